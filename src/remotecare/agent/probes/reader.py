"""Read one printer over SNMP: identify it, walk the Printer-MIB subtrees, map a reading.

Usage::

    reading = await read_printer(parse_printer_url("snmp://public@192.0.2.10"), timeout_s=2.0)

With SNMP v2c and v3, one GETBULK after another carries a cursor for every subtree not yet
read to its end, plus sysDescr and sysObjectID in the first one (:func:`bulk_read`): two
or three round trips per printer. Whatever that leaves unread (an error status, a timeout;
always with SNMPv1) is read the careful way: one GET of sysDescr.0 and sysObjectID.0,
then one walk per subtree, a few at a time, so that a failing subtree is named in the
reading's ``partial_reason``. A printer that does not answer that GET is reported as not
answering at all (:class:`ProbeTimeout`), one that refuses our SNMPv3 credentials fails at
once (:class:`SnmpAuthError`). sysObjectID and sysDescr select a vendor profile
(:mod:`remotecare.agent.vendor_profiles`) whose private objects are fetched with one GET,
and whose counter tables (rows found by a type column) with one walk of the needed columns,
at most :data:`~remotecare.agent.vendor_profiles.MAX_TABLE_ROWS` rows each; a wanted row
found twice, or without a counter in it, is named in ``partial_reason`` (a row the printer
does not have is no fault: a black-and-white machine counts no colour).
A printer whose every subtree fails, or which answers with nothing that identifies it
(and no ``weak_identity`` is given), raises :class:`ProbeError`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from remotecare.agent import printer_mib
from remotecare.agent.octets import decode_text
from remotecare.agent.probes.snmp import (
    Oid,
    SnmpTarget,
    SnmpValue,
    bulk_read,
    get,
    walk,
)
from remotecare.agent.vendor_profiles import (
    MAX_TABLE_ROWS,
    VendorProfile,
    counter_problems,
    packaged_profiles,
    select_profile,
)
from remotecare.errors import ProbeError, ProbeTimeout, SnmpAuthError
from remotecare.protocol.identity import WeakNamer
from remotecare.protocol.messages import PrinterReading

__all__ = ["MAX_CONCURRENT_WALKS", "read_printer"]

logger = logging.getLogger(__name__)

MAX_CONCURRENT_WALKS: Final = 4  # embedded SNMP agents are small: few requests in flight
_TIMEOUT_REASON: Final = "timeout"
_SYS_DESCR_0: Final = (*printer_mib.SYS_DESCR.oid, 0)
_SYS_OBJECT_ID_0: Final = (*printer_mib.SYS_OBJECT_ID.oid, 0)
_IDENTIFYING: Final = (printer_mib.SYS_DESCR, printer_mib.SYS_OBJECT_ID)


async def read_printer(
    target: SnmpTarget,
    *,
    timeout_s: float = 2.0,
    retries: int = 1,
    profiles: Sequence[VendorProfile] | None = None,
    weak_identity: WeakNamer | None = None,
) -> PrinterReading:
    """Read every subtree of :data:`printer_mib.SUBTREES` (and the vendor profile's objects).

    ``timeout_s`` and ``retries`` apply to every SNMP request. ``profiles`` defaults to
    the packaged vendor profiles. ``weak_identity`` names a printer that gives no serial
    number, vendor serial or MAC address (:func:`printer_mib.build_reading`).
    """
    values: dict[Oid, SnmpValue] = {}
    failed: dict[str, str] = {}
    walked = [subtree for subtree in printer_mib.SUBTREES if subtree not in _IDENTIFYING]
    remaining = walked
    if target.version != "1":
        bulk = await bulk_read(
            target,
            [subtree.oid for subtree in _IDENTIFYING],
            [subtree.oid for subtree in walked],
            timeout_s=timeout_s,
            retries=retries,
        )
        values.update(bulk.scalars)
        remaining = [subtree for subtree in walked if subtree.oid not in bulk.finished]
        # Rows of a subtree left unfinished are dropped: its own walk reads it again, or
        # names it as failed, and half a table must not pass for the whole one.
        values.update(
            (oid, value)
            for oid, value in bulk.values.items()
            if not any(oid[: len(s.oid)] == s.oid for s in remaining)
        )
        if bulk.error is not None:
            logger.info("bulk read of %s stopped: %s", target.address, bulk.error)
    if not any(oid in values for oid in (_SYS_DESCR_0, _SYS_OBJECT_ID_0)):
        try:
            values.update(
                await get(
                    target, [_SYS_DESCR_0, _SYS_OBJECT_ID_0], timeout_s=timeout_s, retries=retries
                )
            )
        except ProbeTimeout as exc:
            budget = timeout_s * (retries + 1)
            raise ProbeTimeout(
                f"printer did not answer SNMP at {target.address} within {budget:g} s"
            ) from exc
        except SnmpAuthError:
            raise
        except ProbeError as exc:
            failed[printer_mib.SYS_DESCR.name] = str(exc)
    profile = select_profile(
        packaged_profiles() if profiles is None else profiles,
        decode_text(values.get(_SYS_OBJECT_ID_0)),
        decode_text(values.get(_SYS_DESCR_0)),
    )
    gate = asyncio.Semaphore(MAX_CONCURRENT_WALKS)
    jobs: list[tuple[str, Callable[[], Awaitable[dict[Oid, SnmpValue]]]]] = [
        (subtree.name, _walker(target, subtree.oid, timeout_s, retries)) for subtree in remaining
    ]
    wanted = [oid for oid in (profile.oids if profile else ()) if oid not in values]
    if profile is not None and wanted:
        jobs.append((f"vendor profile {profile.name}", _getter(target, wanted, timeout_s, retries)))
    columns = profile.table_columns if profile else ()
    if profile is not None and columns:
        jobs.append(
            (
                f"vendor profile {profile.name} tables",
                _column_walker(target, columns, timeout_s, retries),
            )
        )
    results = await asyncio.gather(*(_guarded(target, name, job, gate) for name, job in jobs))
    for (name, _job), result in zip(jobs, results, strict=True):
        if isinstance(result, str):
            failed[name] = result
        else:
            values.update(result)
    if all(subtree.name in failed for subtree in walked):
        raise ProbeError(
            f"printer at {target.address} answered SNMP but no subtree could be read: "
            + "; ".join(f"{name}: {reason}" for name, reason in failed.items())
        )
    if profile is not None:
        for counter, problem in counter_problems(profile, values).items():
            failed[f"vendor profile {profile.name} {counter}"] = problem
    return printer_mib.build_reading(
        values, failed=failed, profile=profile, weak_identity=weak_identity
    )


def _walker(
    target: SnmpTarget, root: Oid, timeout_s: float, retries: int
) -> Callable[[], Awaitable[dict[Oid, SnmpValue]]]:
    return lambda: walk(target, [root], timeout_s=timeout_s, retries=retries)


def _column_walker(
    target: SnmpTarget, columns: Sequence[Oid], timeout_s: float, retries: int
) -> Callable[[], Awaitable[dict[Oid, SnmpValue]]]:
    return lambda: walk(
        target, columns, timeout_s=timeout_s, retries=retries, max_rows=MAX_TABLE_ROWS
    )


def _getter(
    target: SnmpTarget, oids: Sequence[Oid], timeout_s: float, retries: int
) -> Callable[[], Awaitable[dict[Oid, SnmpValue]]]:
    return lambda: get(target, oids, timeout_s=timeout_s, retries=retries)


async def _guarded(
    target: SnmpTarget,
    name: str,
    job: Callable[[], Awaitable[dict[Oid, SnmpValue]]],
    gate: asyncio.Semaphore,
) -> dict[Oid, SnmpValue] | str:
    """Run one walk or GET; on failure return the short reason instead of raising."""
    async with gate:
        try:
            return await job()
        except ProbeTimeout:
            logger.info("%s of %s timed out", name, target.address)
            return _TIMEOUT_REASON
        except ProbeError as exc:
            logger.info("%s of %s failed: %s", name, target.address, exc)
            return str(exc)
