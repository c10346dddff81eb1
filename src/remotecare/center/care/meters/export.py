"""Meter reads exported for a dealer's billing system: CSV (UTF-8 with a byte order mark,
so that Excel in Japan opens it as UTF-8) and JSON, one row per device and counter.

Rows are produced a page of devices at a time and written as they come, so memory stays
flat in the number of devices. A device without any read is listed with an empty read
and the reason, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import Connection

from remotecare.center.access.rules import Actor
from remotecare.center.care.meters.rules.reads import ReadMethod
from remotecare.center.care.meters.service import (
    MeterError,
    MeterRead,
    closing_of,
    reads_of_customer,
)
from remotecare.center.contracts.service import customer_names
from remotecare.center.fleet.billing import BilledDevice, customers_with_devices
from remotecare.center.kernel import spreadsheet

__all__ = [
    "CSV_COLUMNS",
    "ExportRow",
    "export_rows",
    "rows_of_device",
    "write_csv",
    "write_json",
]

CSV_COLUMNS = (
    "serial",
    "model",
    "customer",
    "site",
    "counter",
    "previous_read",
    "this_read",
    "usage",
    "read_type",
    "method",
    "read_time",
    "period",
    "closed",
    "flags",
)


@dataclass(frozen=True, slots=True)
class ExportRow:
    serial: str
    model: str
    customer: str
    site: str
    counter: str
    previous_read: int | None
    this_read: int | None
    usage: int | None
    read_type: str  # actual, estimated, missing, final, corrected
    method: str
    read_time: str | None  # ISO 8601, UTC
    period: str
    closed: bool
    flags: list[str]


def _read_type(method: str) -> str:
    if method in (m.value for m in ReadMethod if m.is_estimated):
        return "estimated"
    return method


def export_rows(
    conn: Connection,
    actor: Actor,
    period: str,
    now: datetime,
    customer_ids: Iterable[int] | None = None,
) -> Iterator[ExportRow]:
    """The rows of ``period`` for ``customer_ids`` (default: every customer ``actor`` may
    see), by customer, then device (printer id), then counter: a stable order."""
    chosen = sorted(customer_ids) if customer_ids is not None else customers_with_devices(conn)
    for customer_id in chosen:
        if not actor.may_see(customer_id):
            if customer_ids is not None:
                raise MeterError("not your customer")
            continue
        name = customer_names(conn, [customer_id]).get(customer_id, str(customer_id))
        closed = closing_of(conn, customer_id, period) is not None
        for device, reads in reads_of_customer(conn, customer_id, period, now):
            yield from rows_of_device(device, reads, name, period, closed)


def rows_of_device(
    device: BilledDevice, reads: Sequence[MeterRead], customer: str, period: str, closed: bool
) -> Iterator[ExportRow]:
    """A device's rows: one per read, or one saying why it has none."""
    common = {
        "serial": device.serial,
        "model": device.model,
        "customer": customer,
        "site": device.site,
        "period": period,
        "closed": closed,
    }
    if not reads:  # a device that came after the period was closed
        yield ExportRow(
            counter="",
            previous_read=None,
            this_read=None,
            usage=None,
            read_type=ReadMethod.MISSING.value,
            method=ReadMethod.MISSING.value,
            read_time=None,
            flags=["no read: not a device when the period was closed"],
            **common,  # type: ignore[arg-type]
        )
    for read in reads:
        yield ExportRow(
            counter=read.counter,
            previous_read=read.previous_value,
            this_read=read.value,
            usage=read.usage,
            read_type=_read_type(read.method),
            method=read.method,
            read_time=None if read.read_at is None else read.read_at.isoformat(),
            flags=list(read.flags),
            **common,  # type: ignore[arg-type]
        )


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    """Write ``rows`` as CSV with a BOM (``out`` opened with ``newline=""``); how many."""

    def cells(row: ExportRow) -> list[object]:
        values = asdict(row)
        values["flags"] = "; ".join(row.flags)
        return [values[c] for c in CSV_COLUMNS]

    return spreadsheet.write_csv(out, CSV_COLUMNS, (cells(row) for row in rows))


def write_json(rows: Iterable[ExportRow], out: TextIO, period: str) -> int:
    """Write ``rows`` as one JSON document ``{"period": ..., "reads": [...]}``, a row at a
    time; how many."""
    out.write(f'{{"period": {json.dumps(period)}, "reads": [')
    count = 0
    for row in rows:
        out.write(("," if count else "") + "\n" + json.dumps(asdict(row), ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count
