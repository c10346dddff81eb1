"""Printers that give no identity of their own: checking their weak identity, and finding
the weak printer a newly identified printer was.

A weak identity (:func:`remotecare.protocol.identity.weak_serial`) is made from the
endpoint, the printer's address as reported and its sysObjectID, so the center can make
it again from what it verified itself (the endpoint comes from the client certificate):

- a reading with ``serial_source`` weak is accepted only if its serial is exactly what the
  rule gives for the calling endpoint, the report's address and the reading's
  sysObjectID (:func:`weak_identity_problem`). So an agent cannot name a weak printer
  after another printer, and two printers at different addresses never share one;
- a serial of the weak shape is refused from any other source, so a real serial never
  lands on a weak printer by accident;
- a printer reporting a real serial that the center does not know yet, from the address
  and with the sysObjectID of a weak printer of the same endpoint, *is* that printer (a
  firmware update made it tell its serial): :func:`former_weak_serial` names the weak
  identity to look for.

Usage::

    reason = weak_identity_problem(caller.endpoint_id, report.printer_address, reading)
    weak = former_weak_serial(caller.endpoint_id, report.printer_address, reading)
"""

from __future__ import annotations

from remotecare.protocol.identity import is_weak_serial, weak_serial
from remotecare.protocol.messages import PrinterReading, SerialSource

__all__ = ["former_weak_serial", "weak_identity_problem"]


def weak_identity_problem(
    endpoint_id: str, printer_address: str, reading: PrinterReading
) -> str | None:
    """Why the reading's identity must be refused, or None when it may be stored."""
    weak = reading.serial_source is SerialSource.WEAK
    if not weak:
        if is_weak_serial(reading.serial):
            return (
                f"weak identity {reading.serial} sent with serial_source "
                f"{reading.serial_source.value}: only {SerialSource.WEAK.value} may carry one"
            )
        return None
    expected = weak_serial(endpoint_id, printer_address, reading.sys_object_id)
    if reading.serial != expected:
        return (
            f"weak identity {reading.serial} does not follow the rule for this endpoint, "
            f"address {printer_address} and sysObjectID {reading.sys_object_id or '(none)'}"
        )
    return None


def former_weak_serial(
    endpoint_id: str, printer_address: str, reading: PrinterReading
) -> str | None:
    """The weak identity this printer had if it gave no identity before; None for a weak
    reading (it has nothing to join)."""
    if reading.serial_source is SerialSource.WEAK:
        return None
    return weak_serial(endpoint_id, printer_address, reading.sys_object_id)
