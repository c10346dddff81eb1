"""Meter reads: billing settings, what the care feed saw around each cut-off, reads
computed from the compact history, periods closed once, corrections with a reason.

Functions take the caller's open connection and an ``Actor``. Reads of a period are
computed a page of devices at a time (``compute_reads``), so a fleet of any size is read
with memory bounded by the page: the history is asked set-wise for the page's counter
samples around the cut-off only (from the window before it to a week after), and for
the whole period only for a counter that fell (a reset, whose evidence is shown).

A closed period is fixed: closing it again changes nothing. An estimated read that a
reading arriving later could make actual (an outbox backfill) is listed for review
(``reads_for_review``), never changed by itself; an operator corrects a read with a
reason, kept in ``meter_corrections`` with who and when.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from remotecare.center.access.rules import Actor
from remotecare.center.care.feed import FedReading
from remotecare.center.care.history.rules import CounterKey, Sample
from remotecare.center.care.history.service import (
    counter_samples_between,
    counter_series_of,
    first_counter_samples,
)
from remotecare.center.care.meters.rules.periods import (
    BillingPeriod,
    BillingSettings,
    period_containing,
    period_named,
)
from remotecare.center.care.meters.rules.reads import CounterRead, ReadMethod, read_at_cutoff
from remotecare.center.care.meters.rules.screening import Reading, clock_refusal, screen
from remotecare.center.care.meters.rules.usage import (
    SiteDevice,
    detect_swaps,
    usage_between,
    validate_usage,
)
from remotecare.center.care.meters.tables import (
    billing_settings,
    meter_closings,
    meter_corrections,
    meter_reads,
    meter_refused_readings,
    meter_sightings,
)
from remotecare.center.care.supplies.rules.calendar import WorkCalendar
from remotecare.center.contracts.service import customer_terms
from remotecare.center.fleet.billing import (
    BilledDevice,
    billed_devices,
    devices_sharing_a_site,
    printer_customers,
)
from remotecare.center.kernel.storage import RawJson
from remotecare.errors import OperatorError

__all__ = [
    "AFTER_CUTOFF",
    "ClosedPeriod",
    "MeterError",
    "MeterRead",
    "MeterSightings",
    "close_period",
    "closing_of",
    "compute_reads",
    "correct_read",
    "counter_label",
    "customer_settings",
    "period_of",
    "previous_period_name",
    "reads_for_review",
    "set_customer_settings",
    "stored_reads",
]

AFTER_CUTOFF = timedelta(days=7)  # readings after a cut-off used to interpolate it
PAST_PERIODS = 12  # a device's own history for validation
DEVICE_PAGE = 1000
_DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}


class MeterError(OperatorError):
    """A meter operation that cannot be carried out as asked."""


# --- settings ----------------------------------------------------------------------------


def _settings_of(row: Any) -> BillingSettings:
    return BillingSettings(
        cutoff_day=row.cutoff_day,
        cutoff_minutes=row.cutoff_minutes,
        zone=row.zone,
        counters=tuple(row.counters.split(",")),
        window=timedelta(minutes=row.window_minutes),
        grace=timedelta(minutes=row.grace_minutes),
        country=row.country,
    )


def customer_settings(
    conn: Connection, customer_ids: Collection[int]
) -> dict[int, BillingSettings]:
    """Each customer's billing settings; where the operator set none, the defaults with
    the cut-off day of the customer's contract (its application names one)."""
    found = {
        row.customer_id: _settings_of(row)
        for row in conn.execute(
            select(billing_settings).where(billing_settings.c.customer_id.in_(sorted(customer_ids)))
        )
    }
    return {
        customer_id: found.get(customer_id) or _from_contract(conn, customer_id)
        for customer_id in customer_ids
    }


def _from_contract(conn: Connection, customer_id: int) -> BillingSettings:
    terms = customer_terms(conn, customer_id)
    return BillingSettings(cutoff_day=None if terms is None else terms.billing_cutoff_day)


def set_customer_settings(
    conn: Connection, actor: Actor, customer_id: int, settings: BillingSettings, now: datetime
) -> None:
    """Set a customer's billing settings (operators only); they apply to periods not yet
    closed."""
    if not actor.sees_every_customer:
        raise MeterError("only operators set billing settings")
    values = {
        "cutoff_day": settings.cutoff_day,
        "cutoff_minutes": settings.cutoff_minutes,
        "zone": settings.zone,
        "counters": ",".join(settings.counters),
        "window_minutes": int(settings.window / timedelta(minutes=1)),
        "grace_minutes": int(settings.grace / timedelta(minutes=1)),
        "country": settings.country,
        "updated_at": now,
        "updated_by": actor.name,
    }
    statement = _DIALECTS[conn.dialect.name].insert(billing_settings)
    conn.execute(
        statement.values(customer_id=customer_id, **values).on_conflict_do_update(
            index_elements=["customer_id"], set_=values
        )
    )


def period_of(conn: Connection, customer_id: int, name: str) -> BillingPeriod:
    return period_named(name, customer_settings(conn, [customer_id])[customer_id])


def previous_period_name(name: str) -> str:
    year, month = int(name[:4]), int(name[5:7])
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


# --- what the care feed saw ----------------------------------------------------------------


class MeterSightings:
    """The care feed's consumer that keeps, per printer and billing period, the first and
    last reading time, and refuses readings whose agent clock is far off (idempotent:
    minimum and maximum, and a refusal keyed by printer and time)."""

    name = "meters"

    def handle(self, conn: Connection, readings: Sequence[FedReading]) -> None:
        if not readings:
            return
        customers = printer_customers(conn, {fed.printer_id for fed in readings})
        settings = customer_settings(conn, set(customers.values()))
        seen: dict[tuple[int, str], tuple[datetime, datetime]] = {}
        refused: list[dict[str, Any]] = []
        for fed in readings:
            customer = customers.get(fed.printer_id)
            if customer is None or not fed.reading.counters:
                continue
            reason = (
                None if fed.received_at is None else clock_refusal(fed.agent_time, fed.received_at)
            )
            if reason is not None:
                refused.append(
                    {
                        "printer_id": fed.printer_id,
                        "agent_time": fed.agent_time,
                        "received_at": fed.received_at,
                        "reason": reason.value,
                    }
                )
                continue
            key = (fed.printer_id, period_containing(fed.agent_time, settings[customer]).name)
            first, last = seen.get(key, (fed.agent_time, fed.agent_time))
            seen[key] = (min(first, fed.agent_time), max(last, fed.agent_time))
        dialect = _DIALECTS[conn.dialect.name]
        if refused:
            conn.execute(dialect.insert(meter_refused_readings).on_conflict_do_nothing(), refused)
        if seen:
            rows = [
                {"printer_id": p, "period": period, "first_at": first, "last_at": last}
                for (p, period), (first, last) in sorted(seen.items())
            ]
            statement = dialect.insert(meter_sightings)
            smaller, larger = (
                (func.least, func.greatest)
                if conn.dialect.name == "postgresql"
                else (func.min, func.max)
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["printer_id", "period"],
                    set_={
                        "first_at": smaller(
                            meter_sightings.c.first_at, statement.excluded.first_at
                        ),
                        "last_at": larger(meter_sightings.c.last_at, statement.excluded.last_at),
                    },
                ),
                rows,
            )


# --- computing reads -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeterRead:
    """One device's read of one billed counter for a period, with its usage."""

    printer_id: int
    customer_id: int
    counter: str
    period: str
    value: int | None
    previous_value: int | None
    usage: int | None
    method: str
    read_at: datetime | None
    sources: tuple[Reading, ...]
    flags: tuple[str, ...]
    read_id: int | None = None  # set once stored

    @property
    def estimated(self) -> bool:
        return self.method in _ESTIMATED


_ESTIMATED = frozenset(method.value for method in ReadMethod if method.is_estimated)


def counter_label(key: CounterKey) -> str:
    """How a counter is named on reads: its name, with its unit unless impressions."""
    return key.name if key.unit == "impressions" else f"{key.name} ({key.unit})"


def _billed(series: Mapping[CounterKey, int], counters: Sequence[str]) -> dict[str, int]:
    return {
        counter_label(key): series_id
        for key, series_id in sorted(series.items())
        if key.name in counters
    }


@dataclass(slots=True)
class _Previous:
    """The previous period's read of a counter, as usage and the extrapolation need it."""

    value: int | None
    read_at: datetime | None


_NO_PREVIOUS = _Previous(None, None)


@dataclass(slots=True)
class _Page:
    """What one page of devices needs from the database to compute its reads."""

    series: dict[int, dict[str, int]]
    samples: dict[int, list[Sample[int]]]
    last_before: dict[int, datetime]
    first_after: dict[int, datetime]
    refused: dict[int, dict[datetime, str]]
    previous: dict[tuple[int, str], _Previous]
    past_usage: dict[tuple[int, str], list[int]] = field(default_factory=dict)


def compute_reads(
    conn: Connection,
    customer_id: int,
    period: BillingPeriod,
    settings: BillingSettings,
    devices: Sequence[BilledDevice],
    now: datetime,
    *,
    previous: Mapping[tuple[int, str], _Previous] | None = None,
    site_mates: Sequence[BilledDevice] = (),
) -> list[MeterRead]:
    """The reads of ``devices`` (of ``customer_id``) for ``period``, one per device and
    billed counter (a device without readings gets missing reads, never none).

    ``previous``: the previous period's reads by (printer, counter); by default the stored
    ones, or computed now where the previous period was not closed. ``site_mates``: other
    devices at the same sites (for device swaps), beside ``devices``.
    """
    ids = [device.printer_id for device in devices]
    # Devices sharing a site with one of the page are read too (rare), so that a swap is
    # seen from both sides whichever page each device falls in.
    page_sites = {(d.endpoint_id, d.site) for d in devices}
    mates = sorted(
        {m.printer_id for m in site_mates if (m.endpoint_id, m.site) in page_sites} - set(ids)
    )
    page = _load_page(conn, [*ids, *mates], period, settings, now)
    if previous is None:
        page.previous, page.past_usage = _stored_previous_and_past_usage(conn, ids, period.name)
        known = {printer_id for printer_id, _ in page.previous}
        missing = [d for d in devices if d.printer_id not in known]
        if missing:  # the period before was not closed for them: its reads, computed now
            before = period_named(previous_period_name(period.name), settings)
            for read in compute_reads(
                conn, customer_id, before, settings, missing, now, previous={}
            ):
                page.previous[(read.printer_id, read.counter)] = _Previous(read.value, read.read_at)
    else:
        page.previous = dict(previous)
        page.past_usage = _past_usage(conn, ids, period.name)
    calendar = _calendar(settings, period.end)
    replaced = _replacements(devices, site_mates, page, period.end)
    first_samples = _first_samples(conn, page, devices)
    # Each counter's read at cut-off first, then the readings behind the counters that
    # fell (resets: rare) in one query for the page, then usage and validation.
    drafts: list[_Draft] = []
    for device in devices:
        printer_id = device.printer_id
        billed = page.series.get(printer_id, {})
        swap = replaced.get(printer_id)
        # A device reads the billed counters it has (a mono printer no colour); one with
        # none of them is still listed, with a missing read of each.
        labels = sorted(billed) or list(settings.counters)
        for label in labels:
            series_id = billed.get(label)
            drafts.append(
                _draft(device, label, series_id, period, settings, calendar, page, now, swap)
            )
    paths = _paths_if_fallen(conn, drafts, period, now)
    return [
        _read_one(
            conn,
            draft,
            customer_id,
            period,
            page,
            paths,
            first_samples.get(draft.series_id) if draft.series_id is not None else None,
        )
        for draft in drafts
    ]


def _calendar(settings: BillingSettings, at: datetime) -> WorkCalendar:
    offset = at.astimezone(settings.tz).utcoffset() or timedelta(0)
    return WorkCalendar(country=settings.country, utc_offset=offset)


def _load_page(
    conn: Connection,
    printer_ids: Sequence[int],
    period: BillingPeriod,
    settings: BillingSettings,
    now: datetime,
) -> _Page:
    series = {
        printer_id: _billed(by_key, settings.counters)
        for printer_id, by_key in counter_series_of(conn, printer_ids).items()
    }
    series_ids = [s for billed in series.values() for s in billed.values()]
    until = min(now, period.end + AFTER_CUTOFF)
    # Before the cut-off, the window's samples (and the one in effect at its start); after
    # it, only the first sample (what an interpolation needs).
    samples = counter_samples_between(conn, series_ids, period.end - settings.window, period.end)
    for series_id, sample in first_counter_samples(conn, series_ids, period.end, until).items():
        samples.setdefault(series_id, []).append(sample)
    next_name = period_containing(period.end + timedelta(microseconds=1), settings).name
    last_before: dict[int, datetime] = {}
    first_after: dict[int, datetime] = {}
    for row in conn.execute(
        select(meter_sightings).where(
            meter_sightings.c.printer_id.in_(printer_ids),
            meter_sightings.c.period.in_([period.name, next_name]),
        )
    ):
        # Sightings are filed by the period their customer's settings gave when they
        # arrived: after a change of cut-off, one that falls on the wrong side is ignored.
        if row.period == period.name and row.last_at <= period.end:
            last_before[row.printer_id] = row.last_at
        elif row.period != period.name and period.end < row.first_at <= until:
            first_after[row.printer_id] = row.first_at
    refused: dict[int, dict[datetime, str]] = {}
    for row in conn.execute(
        select(meter_refused_readings).where(meter_refused_readings.c.printer_id.in_(printer_ids))
    ):
        refused.setdefault(row.printer_id, {})[row.agent_time] = row.reason
    return _Page(series, samples, last_before, first_after, refused, {})


def _past_period_names(period_name: str) -> list[str]:
    """The ``PAST_PERIODS`` periods before ``period_name``, the latest first."""
    names = []
    name = period_name
    for _ in range(PAST_PERIODS):
        name = previous_period_name(name)
        names.append(name)
    return names


def _stored_previous_and_past_usage(
    conn: Connection, printer_ids: Sequence[int], period_name: str
) -> tuple[dict[tuple[int, str], _Previous], dict[tuple[int, str], list[int]]]:
    """The stored reads of the previous period, and the usage of the past periods (the
    previous one included), by (printer, counter): one query for both."""
    names = _past_period_names(period_name)
    previous: dict[tuple[int, str], _Previous] = {}
    past_usage: dict[tuple[int, str], list[int]] = {}
    query = select(
        meter_reads.c.printer_id,
        meter_reads.c.counter,
        meter_reads.c.period,
        meter_reads.c.value,
        # Only the previous period's reads need their time (the older ones their usage):
        # a time costs a parse on SQLite, and a device has up to 12 past periods.
        case((meter_reads.c.period == names[0], meter_reads.c.read_at), else_=None),
        meter_reads.c.usage,
    ).where(meter_reads.c.printer_id.in_(printer_ids), meter_reads.c.period.in_(names))
    for printer_id, counter, period, value, read_at, usage in conn.execute(query):
        if period == names[0]:
            previous[(printer_id, counter)] = _Previous(value, read_at)
        if usage is not None:
            past_usage.setdefault((printer_id, counter), []).append(int(usage))
    return previous, past_usage


def _past_usage(
    conn: Connection, printer_ids: Sequence[int], period_name: str
) -> dict[tuple[int, str], list[int]]:
    found: dict[tuple[int, str], list[int]] = {}
    query = select(meter_reads.c.printer_id, meter_reads.c.counter, meter_reads.c.usage).where(
        meter_reads.c.printer_id.in_(printer_ids),
        meter_reads.c.period.in_(_past_period_names(period_name)),
        meter_reads.c.usage.is_not(None),
    )
    for printer_id, counter, usage in conn.execute(query):
        found.setdefault((printer_id, counter), []).append(int(usage))
    return found


def _replacements(
    devices: Sequence[BilledDevice],
    site_mates: Sequence[BilledDevice],
    page: _Page,
    cutoff: datetime,
) -> dict[int, str]:
    """Devices of the page replaced at their site before the cut-off, with the serial of
    the device that replaced them (and the other way round, with "replaces ")."""
    everyone = {d.printer_id: d for d in (*devices, *site_mates)}
    by_site: dict[tuple[str, str], list[BilledDevice]] = {}
    for device in everyone.values():
        by_site.setdefault((device.endpoint_id, device.site), []).append(device)
    found: dict[int, str] = {}
    for mates in by_site.values():
        if len(mates) < 2:
            continue
        site = [
            SiteDevice(
                d.printer_id,
                d.serial,
                d.site,
                d.first_seen_at,
                _last_reading(page, d.printer_id, cutoff) or cutoff,
            )
            for d in mates
        ]
        for swap in detect_swaps(site, cutoff):
            found[swap.old.printer_id] = f"replaced by {swap.new.serial}"
            found[swap.new.printer_id] = f"replaces {swap.old.serial}"
    return found


def _last_reading(page: _Page, printer_id: int, cutoff: datetime) -> datetime | None:
    seen = page.last_before.get(printer_id)
    times = [
        sample.at
        for series_id in page.series.get(printer_id, {}).values()
        for sample in page.samples.get(series_id, [])
        if sample.at <= cutoff
    ]
    candidates = [t for t in (seen, max(times, default=None)) if t is not None]
    return max(candidates, default=None)


def _first_samples(
    conn: Connection, page: _Page, devices: Sequence[BilledDevice]
) -> dict[int, Sample[int]]:
    """The first samples of the counters that have no previous read (a first read)."""
    wanted = [
        series_id
        for device in devices
        for label, series_id in page.series.get(device.printer_id, {}).items()
        if page.previous.get((device.printer_id, label), _NO_PREVIOUS).value is None
    ]
    return first_counter_samples(conn, wanted) if wanted else {}


def _reading_at(reading: Reading) -> datetime:
    return reading.at


def _readings(
    page: _Page, printer_id: int, series_id: int, now: datetime
) -> tuple[list[Reading], list[str]]:
    """The trusted readings of one counter near the cut-off, and why others were left out:
    its samples, plus the value in effect at the printer's last reading before the cut-off
    and first after it (unchanged readings leave no sample)."""
    # The samples come in time order (the window's, then the first after the cut-off), so
    # the value in effect at a moment is the one just before it, found by bisection.
    readings = [Reading(sample.at, sample.value) for sample in page.samples.get(series_id, ())]
    for moment in (page.last_before.get(printer_id), page.first_after.get(printer_id)):
        if moment is None:
            continue
        position = bisect_right(readings, moment, key=_reading_at)
        if position and readings[position - 1].at != moment:
            readings.insert(position, Reading(moment, readings[position - 1].value))
    refused = page.refused.get(printer_id)
    flags: list[str] = []
    if refused:
        flags = [
            f"excluded {moment:%Y-%m-%d %H:%M}: agent clock ({reason})"
            for moment, reason in sorted(refused.items())
            if any(reading.at == moment for reading in readings)
        ]
        readings = [reading for reading in readings if reading.at not in refused]
    screened = screen(readings, now)
    for exclusion in screened.excluded:
        reading = exclusion.reading
        flags.append(
            f"excluded {reading.value} at {reading.at:%Y-%m-%d %H:%M}: "
            f"{exclusion.reason.value} ({exclusion.detail})"
        )
    return screened.kept, flags


@dataclass(slots=True)
class _Draft:
    """A counter's read at cut-off, before its usage is known."""

    device: BilledDevice
    label: str
    series_id: int | None
    previous: _Previous
    read: CounterRead
    flags: list[str]

    def fell(self) -> bool:
        """Whether the counter is lower than at the previous read (a reset or a swap)."""
        value, previous = self.read.value, self.previous.value
        return (
            self.series_id is not None
            and value is not None
            and previous is not None
            and value < previous
        )


def _draft(
    device: BilledDevice,
    label: str,
    series_id: int | None,
    period: BillingPeriod,
    settings: BillingSettings,
    calendar: WorkCalendar,
    page: _Page,
    now: datetime,
    swap: str | None,
) -> _Draft:
    previous = page.previous.get((device.printer_id, label), _NO_PREVIOUS)
    readings, flags = (
        ([], []) if series_id is None else _readings(page, device.printer_id, series_id, now)
    )
    rate_base = (
        Reading(previous.read_at, previous.value)
        if previous.value is not None and previous.read_at is not None
        else None
    )
    read: CounterRead = read_at_cutoff(
        readings,
        period.end,
        settings.window,
        calendar,
        rate_base=rate_base,
        replaced=swap is not None and swap.startswith("replaced by"),
    )
    flags += read.flags
    if swap is not None:
        flags.append(swap)
    return _Draft(device, label, series_id, previous, read, flags)


def _read_one(
    conn: Connection,
    draft: _Draft,
    customer_id: int,
    period: BillingPeriod,
    page: _Page,
    paths: Mapping[int, list[Reading]],
    first_sample: Sample[int] | None,
) -> MeterRead:
    read, previous, series_id = draft.read, draft.previous, draft.series_id
    printer_id = draft.device.printer_id
    flags = draft.flags
    usage = None
    if read.value is not None:
        current = Reading(read.read_at or period.end, read.value)
        if previous.value is not None:
            path = paths.get(series_id, []) if series_id is not None else []
            used = usage_between(
                Reading(previous.read_at or period.start, previous.value), path, current
            )
        else:
            refused = page.refused.get(printer_id, {})
            if first_sample is not None and series_id is not None and first_sample.at in refused:
                first_sample = _first_trusted(conn, series_id, refused, period.end)
            start = (
                [Reading(first_sample.at, first_sample.value)] if first_sample is not None else []
            )
            used = usage_between(None, start, current)
        usage = used.pages
        flags += used.flags
        flags += validate_usage(usage, page.past_usage.get((printer_id, draft.label), []))
    return MeterRead(
        printer_id=printer_id,
        customer_id=customer_id,
        counter=draft.label,
        period=period.name,
        value=read.value,
        previous_value=previous.value,
        usage=usage,
        method=read.method.value,
        read_at=read.read_at,
        sources=read.sources,
        flags=tuple(flags),
    )


def _first_trusted(
    conn: Connection, series_id: int, refused: Mapping[datetime, str], until: datetime
) -> Sample[int] | None:
    """The oldest sample of a series not refused for its agent clock (rare: only for a
    printer with refused readings)."""
    samples = counter_samples_between(conn, [series_id], min(refused), until).get(series_id, [])
    return next((sample for sample in samples if sample.at not in refused), None)


def _paths_if_fallen(
    conn: Connection, drafts: Sequence[_Draft], period: BillingPeriod, now: datetime
) -> dict[int, list[Reading]]:
    """For each counter lower than at its previous read (a reset or a swap of the board),
    the trusted readings between the previous read and this one: the evidence of where it
    fell. One query for all of them, each counter's own span picked out of it."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    for draft in drafts:
        if draft.fell() and draft.series_id is not None:
            current_at = draft.read.read_at or period.end
            spans[draft.series_id] = (draft.previous.read_at or current_at, current_at)
    if not spans:
        return {}
    samples = counter_samples_between(
        conn,
        sorted(spans),
        min(since for since, _ in spans.values()),
        max(until for _, until in spans.values()),
    )
    return {
        series_id: screen(
            [Reading(s.at, s.value) for s in samples.get(series_id, []) if since < s.at < until],
            now,
        ).kept
        for series_id, (since, until) in spans.items()
    }


# --- storing, closing, correcting --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    customer_id: int
    period: str
    closed_at: datetime
    closed_by: str
    reads: int
    already: bool  # it had been closed before: nothing changed


def closing_of(conn: Connection, customer_id: int, period: str) -> ClosedPeriod | None:
    row = conn.execute(
        select(meter_closings).where(
            meter_closings.c.customer_id == customer_id, meter_closings.c.period == period
        )
    ).first()
    if row is None:
        return None
    return ClosedPeriod(customer_id, period, row.closed_at, row.closed_by, row.reads, True)


def _devices(
    conn: Connection, customer_id: int, after: int = 0, page_size: int = DEVICE_PAGE
) -> Iterator[list[BilledDevice]]:
    while True:
        page = billed_devices(conn, [customer_id], after_printer_id=after, limit=page_size)
        if not page:
            return
        yield page
        after = page[-1].printer_id


def reads_of_customer(
    conn: Connection,
    customer_id: int,
    period_name: str,
    now: datetime,
    *,
    after_printer_id: int = 0,
    page_size: int = DEVICE_PAGE,
) -> Iterator[tuple[BilledDevice, list[MeterRead]]]:
    """Each device of the customer (by id, from ``after_printer_id`` on) with its reads for
    the period: stored if the period is closed, else computed now (a preview), a page of
    ``page_size`` devices at a time."""
    settings = customer_settings(conn, [customer_id])[customer_id]
    period = period_named(period_name, settings)
    closed = closing_of(conn, customer_id, period_name) is not None
    mates = [] if closed else devices_sharing_a_site(conn, customer_id)
    for devices in _devices(conn, customer_id, after_printer_id, page_size):
        ids = [d.printer_id for d in devices]
        if closed:
            stored = stored_reads(conn, ids, period_name)
            for device in devices:
                yield device, stored.get(device.printer_id, [])
            continue
        by_device: dict[int, list[MeterRead]] = {}
        for read in compute_reads(
            conn, customer_id, period, settings, devices, now, site_mates=mates
        ):
            by_device.setdefault(read.printer_id, []).append(read)
        for device in devices:
            yield device, by_device.get(device.printer_id, [])


def reads_of_device(
    conn: Connection, customer_id: int, device_id: int, period_names: Sequence[str], now: datetime
) -> Iterator[tuple[str, bool, BilledDevice | None, list[MeterRead]]]:
    """One device's reads for each period (stored if closed, else computed now) with
    whether the period is closed: what ``reads_of_customer`` gives for the device, with the
    customer's settings, the device and the site mates read once for all the periods (the
    device page shows three; on PostgreSQL each statement is a round trip)."""
    settings = customer_settings(conn, [customer_id])[customer_id]
    found = billed_devices(conn, [customer_id], after_printer_id=device_id - 1, limit=1)
    device = found[0] if found and found[0].printer_id == device_id else None
    mates: list[BilledDevice] | None = None
    for period_name in period_names:
        closed = closing_of(conn, customer_id, period_name) is not None
        if device is None:
            yield period_name, closed, None, []
        elif closed:
            yield (
                period_name,
                closed,
                device,
                stored_reads(conn, [device_id], period_name).get(device_id, []),
            )
        else:
            if mates is None:
                mates = devices_sharing_a_site(conn, customer_id)
            period = period_named(period_name, settings)
            reads = compute_reads(
                conn, customer_id, period, settings, [device], now, site_mates=mates
            )
            yield period_name, closed, device, reads


def stored_reads(
    conn: Connection, printer_ids: Sequence[int], period_name: str
) -> dict[int, list[MeterRead]]:
    found: dict[int, list[MeterRead]] = {}
    query = (
        select(meter_reads)
        .where(meter_reads.c.printer_id.in_(printer_ids), meter_reads.c.period == period_name)
        .order_by(meter_reads.c.printer_id, meter_reads.c.counter)
    )
    for row in conn.execute(query):
        found.setdefault(row.printer_id, []).append(_stored(row))
    return found


def _stored(row: Any) -> MeterRead:
    return MeterRead(
        printer_id=row.printer_id,
        customer_id=row.customer_id,
        counter=row.counter,
        period=row.period,
        value=row.value,
        previous_value=row.previous_value,
        usage=row.usage,
        method=row.method,
        read_at=row.read_at,
        sources=tuple(Reading(datetime.fromisoformat(at), value) for at, value in row.sources),
        flags=tuple(row.flags),
        read_id=row.id,
    )


def close_period(
    conn: Connection, actor: Actor, customer_id: int, period_name: str, now: datetime
) -> ClosedPeriod:
    """Fix the customer's reads for the period (operators, or the automatic close).
    Closing a closed period changes nothing and says so; a period whose cut-off has not
    passed is refused."""
    if not actor.sees_every_customer:
        raise MeterError("only operators close billing periods")
    settings = customer_settings(conn, [customer_id])[customer_id]
    period = period_named(period_name, settings)
    if now < period.end:
        raise MeterError(f"period {period_name} ends at {period.end:%Y-%m-%d %H:%M} UTC: not yet")
    claimed = conn.execute(
        _DIALECTS[conn.dialect.name]
        .insert(meter_closings)
        .values(
            customer_id=customer_id,
            period=period_name,
            closed_at=now,
            closed_by=actor.name,
            reads=0,
        )
        .on_conflict_do_nothing()
        .returning(meter_closings.c.period)
    ).first()
    if claimed is None:  # closed before, or by another process at this moment
        existing = closing_of(conn, customer_id, period_name)
        assert existing is not None
        return existing
    mates = devices_sharing_a_site(conn, customer_id)
    count = 0
    for devices in _devices(conn, customer_id):
        reads = compute_reads(conn, customer_id, period, settings, devices, now, site_mates=mates)
        conn.execute(insert(meter_reads), [_row(read, now) for read in reads])
        count += len(reads)
    conn.execute(
        update(meter_closings)
        .where(meter_closings.c.customer_id == customer_id, meter_closings.c.period == period_name)
        .values(reads=count)
    )
    return ClosedPeriod(customer_id, period_name, now, actor.name, count, False)


def _row(read: MeterRead, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": read.customer_id,
        "printer_id": read.printer_id,
        "counter": read.counter,
        "period": read.period,
        "value": read.value,
        "previous_value": read.previous_value,
        "usage": read.usage,
        "method": read.method,
        "read_at": read.read_at,
        "sources": _sources_json(read.sources),
        "flags": list(read.flags) if read.flags else _NO_FLAGS,
        "computed_at": now,
    }


_NO_FLAGS = RawJson("[]")


def _sources_json(sources: Sequence[Reading]) -> RawJson:
    """``[[iso time, value], ...]`` as ``json.dumps`` writes it (times and integers need
    no escaping), without building the lists first: a close writes one per read."""
    return RawJson(
        "[" + ", ".join(f'["{r.at.isoformat()}", {int(r.value)}]' for r in sources) + "]"
    )


def correct_read(
    conn: Connection,
    actor: Actor,
    read_id: int,
    new_value: int,
    reason: str,
    now: datetime,
) -> MeterRead:
    """Correct a closed read (operators only, with a reason): its value and usage change,
    the correction is kept with who, when, why and the old value; the next period's read,
    if closed, takes the corrected value as its previous read."""
    if not actor.sees_every_customer:
        raise MeterError("only operators correct reads")
    if not reason.strip():
        raise MeterError("a correction needs a reason")
    if new_value < 0:
        raise MeterError("a counter is never negative")
    row = conn.execute(select(meter_reads).where(meter_reads.c.id == read_id)).first()
    if row is None:
        raise MeterError(f"no read {read_id}")
    usage = None if row.previous_value is None else max(new_value - row.previous_value, 0)
    flag = f"corrected by {actor.name} at {now:%Y-%m-%d %H:%M}: {reason.strip()}"
    conn.execute(
        update(meter_reads)
        .where(meter_reads.c.id == read_id)
        .values(value=new_value, usage=usage, method="corrected", flags=[*row.flags, flag])
    )
    conn.execute(
        insert(meter_corrections).values(
            read_id=read_id,
            operator=actor.name,
            reason=reason.strip(),
            corrected_at=now,
            old_value=row.value,
            new_value=new_value,
            old_method=row.method,
        )
    )
    _carry_to_next(conn, row, new_value, actor, now)
    updated = conn.execute(select(meter_reads).where(meter_reads.c.id == read_id)).one()
    return _stored(updated)


def _carry_to_next(conn: Connection, row: Any, new_value: int, actor: Actor, now: datetime) -> None:
    year, month = int(row.period[:4]), int(row.period[5:7])
    following = f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
    later = conn.execute(
        select(meter_reads).where(
            meter_reads.c.printer_id == row.printer_id,
            meter_reads.c.counter == row.counter,
            meter_reads.c.period == following,
        )
    ).first()
    if later is None:
        return
    usage = None if later.value is None else max(later.value - new_value, 0)
    flag = f"previous read corrected by {actor.name} at {now:%Y-%m-%d %H:%M}"
    conn.execute(
        update(meter_reads)
        .where(meter_reads.c.id == later.id)
        .values(previous_value=new_value, usage=usage, flags=[*later.flags, flag])
    )


@dataclass(frozen=True, slots=True)
class Review:
    """A closed estimated read that a reading received later could make actual."""

    read: MeterRead
    reading_at: datetime
    reading_value: int | None


def reads_for_review(conn: Connection, actor: Actor, customer_id: int) -> list[Review]:
    """The customer's closed estimated reads that a later (backfilled) reading inside the
    window before the cut-off could replace: listed for an operator, not changed."""
    if not actor.may_see(customer_id):
        raise MeterError("not your customer")
    settings = customer_settings(conn, [customer_id])[customer_id]
    estimated = sorted(_ESTIMATED)
    rows = conn.execute(
        select(meter_reads, meter_sightings.c.last_at)
        .join(
            meter_sightings,
            and_(
                meter_sightings.c.printer_id == meter_reads.c.printer_id,
                meter_sightings.c.period == meter_reads.c.period,
            ),
        )
        .where(meter_reads.c.customer_id == customer_id, meter_reads.c.method.in_(estimated))
        .order_by(meter_reads.c.period, meter_reads.c.printer_id, meter_reads.c.counter)
    ).all()
    found: list[Review] = []
    for row in rows:
        cutoff = period_named(row.period, settings).end
        if not timedelta(0) <= cutoff - row.last_at <= settings.window:
            continue
        read = _stored(row)
        value = _value_at(conn, row.printer_id, row.counter, row.last_at)
        found.append(Review(read, row.last_at, value))
    return found


def _value_at(conn: Connection, printer_id: int, label: str, at: datetime) -> int | None:
    series = counter_series_of(conn, [printer_id]).get(printer_id, {})
    series_id = next((s for key, s in series.items() if counter_label(key) == label), None)
    if series_id is None:
        return None
    samples = counter_samples_between(conn, [series_id], at, at).get(series_id, [])
    return samples[-1].value if samples else None
