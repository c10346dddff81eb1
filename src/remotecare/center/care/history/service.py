"""The compact history kept from the care feed, and read back by series and time.

Functions run in the transaction of the connection they are given. Writing takes a
batch of readings set-wise: their series (made when first seen), the newest sample of
each, and only for a reading older than that newest sample (a backfill) the samples
around it; ``rules.merge_readings`` decides the changes. On PostgreSQL the series rows of
the batch's printers are locked first, so that two workers draining readings of the same
printer at once take turns instead of judging changes against the same old sample; ingest
never touches these rows, so it never waits for them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Row, Table, and_, bindparam, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from remotecare.center.care.feed import FedReading
from remotecare.center.care.history.rules import (
    CounterKey,
    Sample,
    SupplyKey,
    SupplyKind,
    SupplyLevel,
    counters_of,
    merge_readings,
    supplies_of,
    supply_kinds,
)
from remotecare.center.care.history.tables import (
    EpochMilliseconds,
    counter_samples,
    counter_series,
    supply_samples,
    supply_series,
)

__all__ = [
    "CounterSeries",
    "HistoryConsumer",
    "PrinterHistory",
    "SupplySeries",
    "counter_samples_between",
    "counter_series_of",
    "first_counter_samples",
    "printer_history",
    "printers_history",
    "record_readings",
]

V = TypeVar("V", bound=Hashable)
_CHUNK = 1000  # series per IN (...) list


@dataclass(frozen=True, slots=True)
class _SampleTable(Generic[V]):
    """How one kind of sample maps to its table's value columns."""

    table: Table
    value_of: Callable[[Row[Any]], V]
    columns_of: Callable[[V], dict[str, Any]]


def _supply_level(row: Row[Any]) -> SupplyLevel:
    return SupplyLevel(row.level, row.max_capacity, row.state)


def _supply_columns(level: SupplyLevel) -> dict[str, Any]:
    return level._asdict()


def _counter_value(row: Row[Any]) -> int:
    return int(row.value)


def _counter_columns(value: int) -> dict[str, Any]:
    return {"value": value}


_SUPPLIES = _SampleTable(supply_samples, _supply_level, _supply_columns)
_COUNTERS = _SampleTable(counter_samples, _counter_value, _counter_columns)
_DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}


class HistoryConsumer:
    """The care feed's consumer that keeps the compact history."""

    name = "history"

    def handle(self, conn: Connection, readings: Sequence[FedReading]) -> None:
        record_readings(conn, readings)


def record_readings(conn: Connection, readings: Sequence[FedReading]) -> None:
    """Add what ``readings`` change to their printers' series (idempotent)."""
    if not readings:
        return
    supply_ids = _supply_series(conn, readings)
    counter_ids = _counter_series(conn, readings)
    supplies: dict[int, list[Sample[SupplyLevel]]] = {}
    counters: dict[int, list[Sample[int]]] = {}
    for fed in readings:
        for skey, level in supplies_of(fed.reading).items():
            series = supply_ids[(fed.printer_id, skey)]
            supplies.setdefault(series, []).append(Sample(fed.agent_time, level))
        for ckey, value in counters_of(fed.reading).items():
            series = counter_ids[(fed.printer_id, ckey)]
            counters.setdefault(series, []).append(Sample(fed.agent_time, value))
    _write_samples(conn, _SUPPLIES, supplies)
    _write_samples(conn, _COUNTERS, counters)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _ensure_series(
    conn: Connection,
    table: Table,
    wanted: Mapping[tuple[int, Any], dict[str, Any]],
    key_of: Callable[[Row[Any]], Any],
) -> dict[tuple[int, Any], int]:
    """The ids of the ``wanted`` series (made when missing), the rows locked for this
    transaction on PostgreSQL, in id order (so that concurrent drainers cannot deadlock
    on them)."""
    printer_ids = sorted({printer_id for printer_id, _ in wanted})

    def locked() -> dict[tuple[int, Any], int]:
        found: dict[tuple[int, Any], int] = {}
        for chunk in _chunks(printer_ids):
            query = (
                select(table)
                .where(table.c.printer_id.in_(chunk))
                .order_by(table.c.id)
                .with_for_update()
            )
            for row in conn.execute(query):
                found[(row.printer_id, key_of(row))] = row.id
        return found

    found = locked()
    missing = [columns for key, columns in wanted.items() if key not in found]
    if not missing:
        return found
    statement = _DIALECTS[conn.dialect.name].insert(table).on_conflict_do_nothing()
    conn.execute(statement, missing)
    return locked()


def _supply_series(conn: Connection, readings: Sequence[FedReading]) -> dict[tuple[int, Any], int]:
    wanted: dict[tuple[int, Any], dict[str, Any]] = {}
    for fed in readings:
        for key, kind in supply_kinds(fed.reading).items():
            wanted[(fed.printer_id, key)] = {
                "printer_id": fed.printer_id,
                **_series_columns(key, kind),
            }
    return _ensure_series(
        conn, supply_series, wanted, lambda row: SupplyKey(row.supply_index, row.description)
    )


def _series_columns(key: SupplyKey, kind: SupplyKind) -> dict[str, Any]:
    return {**key._asdict(), **kind._asdict()}


def _counter_series(conn: Connection, readings: Sequence[FedReading]) -> dict[tuple[int, Any], int]:
    wanted: dict[tuple[int, Any], dict[str, Any]] = {}
    for fed in readings:
        for key in counters_of(fed.reading):
            wanted[(fed.printer_id, key)] = {"printer_id": fed.printer_id, **key._asdict()}
    return _ensure_series(conn, counter_series, wanted, lambda row: CounterKey(row.name, row.unit))


def _write_samples(
    conn: Connection, kind: _SampleTable[V], readings: Mapping[int, list[Sample[V]]]
) -> None:
    table = kind.table
    series_ids = sorted(readings)
    newest = _newest_samples(conn, kind, series_ids)
    added: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for series_id in series_ids:
        earliest = min(sample.at for sample in readings[series_id])
        last = newest.get(series_id)
        if last is None or earliest >= last.at:  # in order: the newest sample is the neighbour
            around = [last] if last is not None else []
        else:  # a backfill: the samples around it
            around = _samples_from(conn, kind, series_id, earliest)
        changes = merge_readings(around, readings[series_id])
        added += [
            {"series_id": series_id, "sampled_at": s.at, **kind.columns_of(s.value)}
            for s in changes.added
        ]
        dropped += [{"b_series": series_id, "b_at": at} for at in changes.dropped]
    if dropped:
        conn.execute(
            delete(table).where(
                table.c.series_id == bindparam("b_series"),
                table.c.sampled_at == bindparam("b_at", type_=EpochMilliseconds),
            ),
            dropped,
        )
    if added:
        conn.execute(insert(table), added)


def _newest_samples(
    conn: Connection, kind: _SampleTable[V], series_ids: Sequence[int]
) -> dict[int, Sample[V]]:
    table = kind.table
    other = table.alias("newer")
    newest = (
        select(func.max(other.c.sampled_at))
        .where(other.c.series_id == table.c.series_id)
        .scalar_subquery()
    )
    found: dict[int, Sample[V]] = {}
    for chunk in _chunks(series_ids):
        query = select(table).where(table.c.series_id.in_(chunk), table.c.sampled_at == newest)
        for row in conn.execute(query):
            found[row.series_id] = Sample(row.sampled_at, kind.value_of(row))
    return found


def _samples_from(
    conn: Connection, kind: _SampleTable[V], series_id: int, at: datetime
) -> list[Sample[V]]:
    """The sample in effect at ``at`` (if any) and every one after it, in time order."""
    table = kind.table
    rows = conn.execute(
        select(table)
        .where(table.c.series_id == series_id, table.c.sampled_at >= _in_effect_at(table, at))
        .order_by(table.c.sampled_at)
    )
    return [Sample(row.sampled_at, kind.value_of(row)) for row in rows]


def _in_effect_at(table: Table, at: datetime) -> Any:
    """The time of the series' sample in effect at ``at``, or ``at`` itself if none."""
    other = table.alias("before")
    moment = bindparam("at", at, type_=EpochMilliseconds)
    latest = (
        select(func.max(other.c.sampled_at))
        .where(other.c.series_id == table.c.series_id, other.c.sampled_at <= moment)
        .scalar_subquery()
    )
    return func.coalesce(latest, moment)


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplySeries:
    key: SupplyKey
    kind: SupplyKind
    samples: list[Sample[SupplyLevel]]


@dataclass(frozen=True, slots=True)
class CounterSeries:
    key: CounterKey
    samples: list[Sample[int]]


@dataclass(frozen=True, slots=True)
class PrinterHistory:
    """A printer's series between two times: each starts with the sample in effect at the
    start (when there is one), then every change up to the end."""

    supplies: list[SupplySeries]
    counters: list[CounterSeries]


def printer_history(
    conn: Connection, printer_id: int, since: datetime, until: datetime
) -> PrinterHistory:
    """Every supply and counter series of ``printer_id`` between ``since`` and ``until``."""
    supplies = [
        SupplySeries(
            SupplyKey(row.supply_index, row.description),
            SupplyKind(row.type, row.colour, row.unit),
            _between(conn, _SUPPLIES, row.id, since, until),
        )
        for row in conn.execute(
            select(supply_series)
            .where(supply_series.c.printer_id == printer_id)
            .order_by(supply_series.c.supply_index, supply_series.c.id)
        )
    ]
    counters = [
        CounterSeries(
            CounterKey(row.name, row.unit), _between(conn, _COUNTERS, row.id, since, until)
        )
        for row in conn.execute(
            select(counter_series)
            .where(counter_series.c.printer_id == printer_id)
            .order_by(counter_series.c.name, counter_series.c.unit)
        )
    ]
    return PrinterHistory(supplies, counters)


def _between(
    conn: Connection, kind: _SampleTable[V], series_id: int, since: datetime, until: datetime
) -> list[Sample[V]]:
    table = kind.table
    rows = conn.execute(
        select(table)
        .where(
            table.c.series_id == series_id,
            table.c.sampled_at >= _in_effect_at(table, since),
            table.c.sampled_at <= bindparam("until", until, type_=EpochMilliseconds),
        )
        .order_by(table.c.sampled_at)
    )
    return [Sample(row.sampled_at, kind.value_of(row)) for row in rows]


def printers_history(
    conn: Connection, printer_ids: Sequence[int], since: datetime, until: datetime
) -> dict[int, PrinterHistory]:
    """``printer_history`` of many printers at once, for a batch of the care feed: per kind
    of series, one query for the series and one for all their samples."""
    found = {pid: PrinterHistory([], []) for pid in printer_ids}
    for chunk in _chunks(sorted(found)):
        supplies: dict[int, SupplySeries] = {}
        query = (
            select(supply_series)
            .where(supply_series.c.printer_id.in_(chunk))
            .order_by(supply_series.c.supply_index, supply_series.c.id)
        )
        for row in conn.execute(query):
            series = SupplySeries(
                SupplyKey(row.supply_index, row.description),
                SupplyKind(row.type, row.colour, row.unit),
                [],
            )
            supplies[row.id] = series
            found[row.printer_id].supplies.append(series)
        counters: dict[int, CounterSeries] = {}
        query = (
            select(counter_series)
            .where(counter_series.c.printer_id.in_(chunk))
            .order_by(counter_series.c.name, counter_series.c.unit)
        )
        for row in conn.execute(query):
            counted = CounterSeries(CounterKey(row.name, row.unit), [])
            counters[row.id] = counted
            found[row.printer_id].counters.append(counted)
        for ids in _chunks(sorted(supplies)):
            for series_id, level in _samples_between(conn, _SUPPLIES, ids, since, until):
                supplies[series_id].samples.append(level)
        for ids in _chunks(sorted(counters)):
            for series_id, value in _samples_between(conn, _COUNTERS, ids, since, until):
                counters[series_id].samples.append(value)
    return found


def _samples_between(
    conn: Connection,
    kind: _SampleTable[V],
    series_ids: Sequence[int],
    since: datetime,
    until: datetime,
) -> Iterator[tuple[int, Sample[V]]]:
    table = kind.table
    rows = conn.execute(
        select(table)
        .where(
            table.c.series_id.in_(series_ids),
            table.c.sampled_at >= _in_effect_at(table, since),
            table.c.sampled_at <= bindparam("until", until, type_=EpochMilliseconds),
        )
        .order_by(table.c.series_id, table.c.sampled_at)
    )
    for row in rows:
        yield row.series_id, Sample(row.sampled_at, kind.value_of(row))


# --- set-wise reading of counters (meter reads of a whole fleet) --------------------------


def counter_series_of(
    conn: Connection, printer_ids: Sequence[int]
) -> dict[int, dict[CounterKey, int]]:
    """The counter series of each of ``printer_ids``: series id by counter name and unit."""
    found: dict[int, dict[CounterKey, int]] = {}
    for chunk in _chunks(sorted(set(printer_ids))):
        query = select(counter_series).where(counter_series.c.printer_id.in_(chunk))
        for row in conn.execute(query):
            found.setdefault(row.printer_id, {})[CounterKey(row.name, row.unit)] = row.id
    return found


def counter_samples_between(
    conn: Connection, series_ids: Sequence[int], since: datetime, until: datetime
) -> dict[int, list[Sample[int]]]:
    """Each series' samples from the one in effect at ``since`` (if any) to ``until``, in
    time order: ``printer_history``'s counters, for many series at once.

    Driven by the series: where each one's window starts is found once per series (an
    index seek), then only the window's samples are read."""
    table = counter_samples
    before = table.alias("before")
    moment = bindparam("since", since, type_=EpochMilliseconds)
    start = func.coalesce(
        select(func.max(before.c.sampled_at))
        .where(before.c.series_id == counter_series.c.id, before.c.sampled_at <= moment)
        .scalar_subquery(),
        moment,
    )
    found: dict[int, list[Sample[int]]] = {}
    for chunk in _chunks(sorted(set(series_ids))):
        rows = conn.execute(
            select(table.c.series_id, table.c.sampled_at, table.c.value)
            .select_from(counter_series)
            .join(
                table,
                and_(
                    table.c.series_id == counter_series.c.id,
                    table.c.sampled_at >= start,
                    table.c.sampled_at <= bindparam("until", until, type_=EpochMilliseconds),
                ),
            )
            .where(counter_series.c.id.in_(chunk))
            .order_by(table.c.series_id, table.c.sampled_at)
        )
        for series_id, sampled_at, value in rows:
            found.setdefault(series_id, []).append(Sample(sampled_at, int(value)))
    return found


def first_counter_samples(
    conn: Connection,
    series_ids: Sequence[int],
    after: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, Sample[int]]:
    """Each series' oldest sample (a device's first reading under care), or its first
    one after ``after`` up to ``until``."""
    table = counter_samples
    other = table.alias("older")
    conditions = [other.c.series_id == counter_series.c.id]
    if after is not None:
        conditions.append(other.c.sampled_at > bindparam("after", after, type_=EpochMilliseconds))
    if until is not None:
        conditions.append(other.c.sampled_at <= bindparam("until", until, type_=EpochMilliseconds))
    first = select(func.min(other.c.sampled_at)).where(*conditions).scalar_subquery()
    found: dict[int, Sample[int]] = {}
    for chunk in _chunks(sorted(set(series_ids))):
        query = (
            select(table.c.series_id, table.c.sampled_at, table.c.value)
            .select_from(counter_series)
            .join(
                table,
                and_(table.c.series_id == counter_series.c.id, table.c.sampled_at == first),
            )
            .where(counter_series.c.id.in_(chunk))
        )
        for series_id, sampled_at, value in conn.execute(query):
            found[series_id] = Sample(sampled_at, int(value))
    return found
