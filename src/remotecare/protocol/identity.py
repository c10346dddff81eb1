"""A printer's identity when it gives none of its own: the *weak identity*, one rule that
the agent applies and the center checks.

Usage::

    serial = weak_serial(endpoint_id, report.printer_address, reading.sys_object_id)
    # "weak:5d1c0e..." with serial_source SerialSource.WEAK
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Final

__all__ = ["WEAK_PREFIX", "WEAK_RULE", "WeakNamer", "is_weak_serial", "weak_serial"]

WEAK_PREFIX: Final = "weak:"
WEAK_RULE: Final = "remotecare weak identity v1"  # hashed first: a new rule gets a new tag
_DIGEST_HEX: Final = 32  # 128 bits: no two printers of one customer share it by chance

WeakNamer = Callable[[str | None], str]
"""Gives the weak identity of one printer from its sysObjectID (None: it gave none)."""


def weak_serial(endpoint_id: str, printer_address: str, sys_object_id: str | None) -> str:
    """The weak identity of the printer that ``endpoint_id`` reads at ``printer_address``.

    Rule (v1): ``weak:`` followed by the first 32 hexadecimal digits (lower case) of the
    SHA-256 of the UTF-8 bytes of::

        "remotecare weak identity v1\\n" + ENDPOINT + "\\n" + ADDRESS + "\\n" + OID

    where ENDPOINT is the endpoint's id as its certificate names it (stripped, lower
    case), ADDRESS the report's ``printer_address`` exactly as it is sent (after the
    agent's pseudonymization, never with a community), and OID the printer's sysObjectID
    in dotted decimal, or empty when it gave none.

    It is stable while the same agent reads the same kind of printer at the same address,
    and it changes when any of them changes (a printer moved to another address, or read
    by a newly enrolled agent, is a new weak printer). Two printers of one site at
    different addresses never share it; two sites never share it either, because their
    endpoints differ. It is *weak* because an address is not a machine: another printer
    of the same kind put at that address would take the identity over, which is why the
    center holds every weak printer until an operator confirms it.
    """
    text = "\n".join((WEAK_RULE, endpoint_id.strip().lower(), printer_address, sys_object_id or ""))
    return WEAK_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_HEX]


def is_weak_serial(serial: str) -> bool:
    """Whether ``serial`` has the weak identity's shape (the prefix; not who made it)."""
    return serial.startswith(WEAK_PREFIX)
