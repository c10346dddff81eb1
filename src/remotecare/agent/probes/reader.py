"""Read one printer over SNMP: walk the Printer-MIB subtrees, then map them to a reading.

Usage::

    reading = await read_printer(parse_printer_url("snmp://public@192.0.2.10"), timeout_s=2.0)

sysDescr is walked first: a printer that does not answer it is reported as not answering
at all (:class:`ProbeTimeout`) without waiting for every other subtree to time out. The
other subtrees are then walked a few at a time; one that fails is named in the reading's
``partial_reason``. A printer whose every subtree fails, or which answers with nothing
that identifies it, raises :class:`ProbeError`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from remotecare.agent import printer_mib
from remotecare.agent.probes.snmp import Oid, SnmpTarget, SnmpValue, walk
from remotecare.errors import ProbeError, ProbeTimeout
from remotecare.protocol.messages import PrinterReading

__all__ = ["MAX_CONCURRENT_WALKS", "read_printer"]

logger = logging.getLogger(__name__)

MAX_CONCURRENT_WALKS: Final = 4  # embedded SNMP agents are small: few requests in flight
_TIMEOUT_REASON: Final = "timeout"


async def read_printer(
    target: SnmpTarget, *, timeout_s: float = 2.0, retries: int = 1
) -> PrinterReading:
    """Walk every subtree of :data:`printer_mib.SUBTREES` and build the reading.

    ``timeout_s`` and ``retries`` apply to every SNMP request.
    """
    first = printer_mib.SYS_DESCR
    values: dict[Oid, SnmpValue] = {}
    failed: dict[str, str] = {}
    try:
        values.update(await walk(target, [first.oid], timeout_s=timeout_s, retries=retries))
    except ProbeTimeout as exc:
        budget = timeout_s * (retries + 1)
        raise ProbeTimeout(
            f"printer did not answer SNMP at {target.address} within {budget:g} s"
        ) from exc
    except ProbeError as exc:
        failed[first.name] = str(exc)
    others = [subtree for subtree in printer_mib.SUBTREES if subtree is not first]
    gate = asyncio.Semaphore(MAX_CONCURRENT_WALKS)
    results = await asyncio.gather(
        *(
            _walk_one(target, subtree, gate, timeout_s=timeout_s, retries=retries)
            for subtree in others
        )
    )
    for subtree, result in zip(others, results, strict=True):
        if isinstance(result, str):
            failed[subtree.name] = result
        else:
            values.update(result)
    if len(failed) == len(printer_mib.SUBTREES):
        raise ProbeError(
            f"printer at {target.address} answered SNMP but no subtree could be read: "
            + "; ".join(f"{name}: {reason}" for name, reason in failed.items())
        )
    return printer_mib.build_reading(values, failed=failed)


async def _walk_one(
    target: SnmpTarget,
    subtree: printer_mib.Subtree,
    gate: asyncio.Semaphore,
    *,
    timeout_s: float,
    retries: int,
) -> dict[Oid, SnmpValue] | str:
    """Walk one subtree; on failure return the short reason instead of raising."""
    async with gate:
        try:
            return await walk(target, [subtree.oid], timeout_s=timeout_s, retries=retries)
        except ProbeTimeout:
            logger.info("%s of %s timed out", subtree.name, target.address)
            return _TIMEOUT_REASON
        except ProbeError as exc:
            logger.info("%s of %s failed: %s", subtree.name, target.address, exc)
            return str(exc)
