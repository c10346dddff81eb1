"""The supplies kept up to date from the care feed: each printer supply's cartridges and
forecast, and the orders the rules propose, in the drainer's transaction.

Incremental: only the printers in a batch are looked at, and a supply that says what it
said last time (same description, level, maximum and state) keeps its stored forecast;
only the order decision runs again, as days pass. A changed supply, a backfilled (older)
reading or a forecast a week old is recomputed from the printer's compact history; its
siblings that did not change keep theirs (as the accuracy bench's policy does), so a
printer whose black toner moved does not refit its three colours.

Idempotent: a reading handled twice finds its forecasts already made, its cartridges
already stored (keyed by install time) and its orders already open; the database holds at
most one open order per printer supply (``tables.supply_orders``), so two workers that
propose the same order at once insert it once.

The rules run at the reading's time (the agent's clock), so a backfill or a simulated
fleet is judged at the time it describes; records (``proposed_at``) take the center's clock.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from remotecare.center.care.feed import FedReading
from remotecare.center.care.history.rules import Sample, SupplyLevel
from remotecare.center.care.history.service import (
    CounterSeries,
    PrinterHistory,
    SupplySeries,
    printers_history,
)
from remotecare.center.care.supplies.policies import PolicyBook, load_policies
from remotecare.center.care.supplies.rules.calendar import WorkCalendar
from remotecare.center.care.supplies.rules.cartridges import (
    Cartridge,
    CartridgeId,
    LearnedYield,
    LevelFault,
    cartridges_of,
    learn_pages_per_cartridge,
    learn_yield,
    observations_of,
)
from remotecare.center.care.supplies.rules.forecast import (
    Forecast,
    ForecastMethod,
    forecast_cartridge,
)
from remotecare.center.care.supplies.rules.orders import (
    OpenOrder,
    OrderFlag,
    SupplyOutlook,
    order_flags,
    plan_shipment,
)
from remotecare.center.care.supplies.rules.usage import (
    UNKNOWN_USAGE,
    PageClock,
    page_clock,
    usage_profile,
)
from remotecare.center.care.supplies.tables import (
    OPEN_STATUSES,
    cartridges,
    supply_forecasts,
    supply_orders,
)
from remotecare.center.contracts.rules import Service
from remotecare.center.contracts.service import contract_includes, customer_names
from remotecare.center.fleet.printer_facts import PrinterFacts, printer_facts
from remotecare.center.kernel.clock import Clock
from remotecare.protocol.messages import PrinterReading, SupplyState

__all__ = ["HISTORY_WINDOW", "SuppliesConsumer", "forecast_of_row"]

logger = logging.getLogger(__name__)

HISTORY_WINDOW = timedelta(days=400)  # a slow colour's cartridge lasts most of a year
_OBSERVATIONS = 200  # the newest samples of a position the cartridges are cut from
_REFRESH = timedelta(days=7)  # a forecast this old is recomputed even if nothing changed
_SILENT_SWEEP = timedelta(minutes=10)
_RECENT_CARTRIDGES = 5  # a printer's own finished cartridges its yield is learned from
_DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}


def _faults_text(faults: Iterable[LevelFault]) -> str:
    return ",".join(sorted(f.value for f in faults))


def _faults_of(text: str) -> frozenset[LevelFault]:
    return frozenset(LevelFault(f) for f in text.split(",") if f)


def forecast_of_row(row: Any) -> Forecast:
    """The rules' ``Forecast`` of a stored ``supply_forecasts`` row."""
    return Forecast(
        as_of=row.as_of,
        method=ForecastMethod(row.method),
        state=SupplyState(row.state),
        percent_left=row.percent_left,
        percent_per_usage_day=row.percent_per_usage_day,
        percent_per_page=row.percent_per_page,
        days_to_empty=row.days_to_empty,
        days_to_empty_low=row.days_to_empty_low,
        days_to_empty_high=row.days_to_empty_high,
        interval=row.interval,
        confidence=row.confidence,
        receptacle=row.receptacle,
        faults=_faults_of(row.faults),
    )


def _is_receptacle(supply_type: str) -> bool:
    """A waste toner box and its kin fill up: their level is the space left."""
    return supply_type.lower().startswith("waste")


@dataclass(frozen=True, slots=True)
class _Current:
    """One supply position as the order decision needs it."""

    cartridge: CartridgeId
    forecast: Forecast
    supply_type: str
    colour: str | None


@dataclass
class _Batch:
    """What one batch needs of the database, loaded set-wise once."""

    now: datetime
    facts: dict[int, PrinterFacts]
    forecasts: dict[int, dict[int, Any]]
    open_orders: dict[int, list[Any]]
    policies: PolicyBook
    ship_to: dict[int, str]
    yields: dict[tuple[str, str], LearnedYield | None] = field(default_factory=dict)
    histories: dict[int, PrinterHistory] = field(default_factory=dict)
    changed: dict[int, set[int]] = field(default_factory=dict)  # supply positions to redo
    cartridges: dict[int, dict[int, list[Any]]] = field(default_factory=dict)
    writes: _Writes = field(default_factory=lambda: _Writes())


@dataclass
class _Writes:
    """What a batch writes of cartridges and forecasts, in a few statements at its end."""

    cartridges: list[dict[str, Any]] = field(default_factory=list)
    cartridge_ends: list[dict[str, Any]] = field(default_factory=list)
    gone_cartridges: list[int] = field(default_factory=list)
    forecasts: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, conn: Connection) -> None:
        dialect = conn.dialect.name
        for chunk in _chunks(self.gone_cartridges):
            conn.execute(delete(cartridges).where(cartridges.c.id.in_(chunk)))
        if self.cartridge_ends:
            conn.execute(_CARTRIDGE_END, self.cartridge_ends)
        if self.cartridges:
            conn.execute(_upsert(dialect, "cartridges"), self.cartridges)
        if self.forecasts:
            conn.execute(_upsert(dialect, "supply_forecasts"), self.forecasts)


class SuppliesConsumer:
    """The care feed's consumer that keeps cartridges, forecasts and orders.

    Usage::

        FeedDrainer(transactions, [HistoryConsumer(), SuppliesConsumer(clock)], clock)
    """

    name = "supplies"

    def __init__(self, clock: Clock, calendar: WorkCalendar | None = None) -> None:
        self._clock = clock
        self._calendar = calendar or WorkCalendar()
        self._last_sweep: datetime | None = None

    def handle(self, conn: Connection, readings: Sequence[FedReading]) -> None:
        by_printer: dict[int, list[FedReading]] = defaultdict(list)
        for fed in readings:
            if fed.reading.supplies:
                by_printer[fed.printer_id].append(fed)
        now = self._clock.now()
        if by_printer:
            self._handle_printers(conn, by_printer, now)
        if self._last_sweep is None or now - self._last_sweep >= _SILENT_SWEEP:
            flag_silent_printers(conn, now)
            self._last_sweep = now

    def _handle_printers(
        self, conn: Connection, by_printer: Mapping[int, list[FedReading]], now: datetime
    ) -> None:
        ids = sorted(by_printer)
        # No forecasts or orders for a customer whose contract lacks supplies delivery.
        facts = printer_facts(conn, ids)
        supplied = {
            customer_id
            for customer_id in {f.customer_id for f in facts.values()}
            if contract_includes(conn, customer_id, Service.SUPPLIES)
        }
        facts = {pid: f for pid, f in facts.items() if f.customer_id in supplied}
        customers = {f.customer_id for f in facts.values()}
        batch = _Batch(
            now=now,
            facts=facts,
            forecasts=_stored_forecasts(conn, ids),
            open_orders=_open_orders(conn, ids),
            policies=load_policies(conn, customers),
            ship_to=customer_names(conn, customers),
        )
        batch.changed = {
            pid: found
            for pid in ids
            if pid in facts
            and (found := _changed_supplies(batch.forecasts.get(pid, {}), by_printer[pid]))
        }
        changed = sorted(batch.changed)
        if changed:
            newest = {pid: max(f.agent_time for f in by_printer[pid]) for pid in changed}
            batch.histories = printers_history(
                conn, changed, min(newest.values()) - HISTORY_WINDOW, max(newest.values())
            )
            batch.cartridges = _stored_cartridges(conn, changed)
        for printer_id in ids:
            if printer_id in facts:
                self._handle_printer(conn, batch, printer_id, by_printer[printer_id])
        batch.writes.flush(conn)

    def _handle_printer(
        self, conn: Connection, batch: _Batch, printer_id: int, fed: list[FedReading]
    ) -> None:
        newest = max(fed, key=lambda f: f.agent_time)
        at = newest.agent_time
        stored = batch.forecasts.get(printer_id, {})
        if printer_id not in batch.histories:
            current = {index: _current_of_row(row) for index, row in stored.items()}
        else:
            current = self._recompute(conn, batch, printer_id, at, newest.reading)
        self._settle_orders(conn, batch, printer_id, current, at)
        self._propose(conn, batch, printer_id, current, at)

    # --- cartridges and forecasts ---------------------------------------------------------

    def _recompute(
        self,
        conn: Connection,
        batch: _Batch,
        printer_id: int,
        at: datetime,
        reading: PrinterReading,
    ) -> dict[int, _Current]:
        facts = batch.facts[printer_id]
        history = _until(batch.histories[printer_id], at - HISTORY_WINDOW, at)
        pages = _page_clock(history)
        usage = usage_profile(pages, self._calendar, until=at) if pages else UNKNOWN_USAGE
        by_index: dict[int, list[SupplySeries]] = defaultdict(list)
        for one in history.supplies:
            by_index[one.key.supply_index].append(one)
        stored_cartridges = batch.cartridges.get(printer_id, {})
        in_reading = {s.index for s in reading.supplies}
        stored = batch.forecasts.get(printer_id, {})
        redo = batch.changed[printer_id]
        current: dict[int, _Current] = {}
        for index, series in sorted(by_index.items()):
            if index not in in_reading:
                continue  # a position the printer no longer reports keeps its last forecast
            if index not in redo and index in stored:
                current[index] = _current_of_row(stored[index])
                continue
            kind = max(series, key=lambda s: s.samples[-1].at if s.samples else at).kind
            observations = observations_of((s.key, s.samples) for s in series)[-_OBSERVATIONS:]
            if not observations:
                continue
            found = cartridges_of(observations, index, pages=pages)
            identities = _identities(found, stored_cartridges.get(index, []))
            _store_cartridges(
                batch.writes,
                printer_id,
                facts.model,
                kind.type,
                found,
                identities,
                stored_cartridges.get(index, []),
            )
            mine = [c for c in found[:-1] if not c.faults][-_RECENT_CARTRIDGES:]
            learned = learn_yield(mine) or self._model_yield(conn, batch, facts.model, kind.type)
            latest = found[-1]
            forecast = forecast_cartridge(
                latest,
                now=at,
                calendar=self._calendar,
                usage=usage,
                pages_per_percent=learned.pages_per_percent if learned else None,
                receptacle=_is_receptacle(kind.type),
                pages_per_cartridge=learn_pages_per_cartridge(mine),
                pages_since_install=(
                    pages.pages_between(latest.id.installed_at, at) if pages else None
                ),
            )
            cartridge = CartridgeId(index, latest.id.description, identities[-1])
            current[index] = _Current(cartridge, forecast, kind.type, kind.colour)
            seen = observations[-1]
            batch.writes.forecasts.append(
                _forecast_row(printer_id, facts.customer_id, current[index], seen.level, batch.now)
            )
        return current

    def _model_yield(
        self, conn: Connection, batch: _Batch, model: str, supply_type: str
    ) -> LearnedYield | None:
        key = (model, supply_type)
        if key not in batch.yields:
            batch.yields[key] = model_yield(conn, model, supply_type)
        return batch.yields[key]

    # --- orders -----------------------------------------------------------------------------

    def _settle_orders(
        self,
        conn: Connection,
        batch: _Batch,
        printer_id: int,
        current: Mapping[int, _Current],
        at: datetime,
    ) -> None:
        """A replacement seen closes a delivered order as installed and flags any other
        (replaced anyway); a printer heard from again is no longer silent."""
        still_open = []
        for order in batch.open_orders.get(printer_id, []):
            now_in = current.get(order.supply_index)
            if now_in is None:
                still_open.append(order)
                continue
            replaced = now_in.cartridge.installed_at > order.cartridge_installed_at
            if replaced and order.status == "delivered":
                _update_order(
                    conn,
                    order.id,
                    status="installed",
                    installed_at=now_in.cartridge.installed_at,
                    updated_at=batch.now,
                )
                continue
            still_open.append(order)
            flags = order_flags(
                OpenOrder(_ordered_cartridge(order), order.proposed_at),
                current=now_in.cartridge if replaced else _ordered_cartridge(order),
                last_reading_at=at,
                now=at,
                policy=batch.policies.policy(order.customer_id, order.supply_type).rules,
            )
            _set_flags(conn, order, flags, batch.now)
        batch.open_orders[printer_id] = still_open

    def _propose(
        self,
        conn: Connection,
        batch: _Batch,
        printer_id: int,
        current: Mapping[int, _Current],
        at: datetime,
    ) -> None:
        facts = batch.facts[printer_id]
        open_orders = [
            OpenOrder(_ordered_cartridge(o), o.proposed_at)
            for o in batch.open_orders.get(printer_id, [])
        ]
        groups: dict[Any, list[_Current]] = defaultdict(list)
        for supply in current.values():
            groups[batch.policies.policy(facts.customer_id, supply.supply_type)].append(supply)
        shipment_id = str(uuid.uuid4())
        new_rows: list[dict[str, Any]] = []
        for policy, supplies in groups.items():
            shipment = plan_shipment(
                [SupplyOutlook(s.cartridge, s.forecast) for s in supplies],
                now=at,
                calendar=self._calendar,
                policy=policy.rules,
                open_orders=open_orders,
            )
            if shipment is None:
                continue
            for cartridge, reason in shipment.items:
                supply = current[cartridge.supply_index]
                approved = policy.auto_approve
                new_rows.append(
                    {
                        "id": str(uuid.uuid4()),
                        "customer_id": facts.customer_id,
                        "printer_id": printer_id,
                        "supply_index": cartridge.supply_index,
                        "cartridge_description": cartridge.description,
                        "cartridge_installed_at": cartridge.installed_at,
                        "supply_type": supply.supply_type,
                        "colour": supply.colour,
                        "printer_serial": facts.serial,
                        "printer_model": facts.model,
                        "ship_to": batch.ship_to.get(facts.customer_id, ""),
                        "shipment_id": shipment_id,
                        "due_reason": reason.value,
                        "days_to_empty": supply.forecast.days_to_empty,
                        "status": "approved" if approved else "proposed",
                        "proposed_at": batch.now,
                        "approved_at": batch.now if approved else None,
                        "approved_by": "order policy (automatic)" if approved else None,
                        "needs_person": False,
                        "updated_at": batch.now,
                    }
                )
        if new_rows:
            statement = _DIALECTS[conn.dialect.name].insert(supply_orders)
            # Another worker's order for the same supply wins; this one is not needed.
            conn.execute(statement.on_conflict_do_nothing(), new_rows)


def _ordered_cartridge(order: Any) -> CartridgeId:
    return CartridgeId(
        order.supply_index, order.cartridge_description, order.cartridge_installed_at
    )


def _set_flags(conn: Connection, order: Any, flags: frozenset[OrderFlag], now: datetime) -> None:
    """Keep a replaced-anyway flag until a person acts; a silent printer's flag goes when
    it is heard from again."""
    kept = set(_flags_of(order.flag_reason)) - {OrderFlag.PRINTER_SILENT}
    wanted = kept | set(flags)
    if wanted != set(_flags_of(order.flag_reason)):
        _update_order(
            conn,
            order.id,
            needs_person=bool(wanted),
            flag_reason=",".join(sorted(f.value for f in wanted)) or None,
            updated_at=now,
        )


def _flags_of(text: str | None) -> list[OrderFlag]:
    return [OrderFlag(f) for f in (text or "").split(",") if f]


def _update_order(conn: Connection, order_id: str, **values: Any) -> None:
    conn.execute(update(supply_orders).where(supply_orders.c.id == order_id).values(**values))


def flag_silent_printers(conn: Connection, now: datetime) -> int:
    """Flag the open orders whose printer the agent has not read for too long; how many."""
    rows = conn.execute(
        select(supply_orders).where(supply_orders.c.status.in_(OPEN_STATUSES))
    ).all()
    if not rows:
        return 0
    facts = printer_facts(conn, {row.printer_id for row in rows})
    policies = load_policies(conn, {row.customer_id for row in rows})
    flagged = 0
    for row in rows:
        fact = facts.get(row.printer_id)
        policy = policies.policy(row.customer_id, row.supply_type).rules
        flags = order_flags(
            OpenOrder(_ordered_cartridge(row), row.proposed_at),
            current=None,
            last_reading_at=None if fact is None else fact.last_contact_at,
            now=now,
            policy=policy,
        )
        if OrderFlag.PRINTER_SILENT in flags and OrderFlag.PRINTER_SILENT not in _flags_of(
            row.flag_reason
        ):
            _set_flags(conn, row, frozenset({OrderFlag.PRINTER_SILENT}), now)
            flagged += 1
    return flagged


# --- reading and writing ------------------------------------------------------------------


def _changed_supplies(stored: Mapping[int, Any], fed: Sequence[FedReading]) -> set[int]:
    """The supply positions some reading says something else of than their stored forecast
    last saw, or whose forecast is old or newer than the reading (a backfill recomputes)."""
    changed: set[int] = set()
    for reading in fed:
        for supply in reading.reading.supplies:
            row = stored.get(supply.index)
            if (
                row is None
                or row.description != supply.description
                or (row.seen_level, row.seen_max_capacity, row.seen_state)
                != (supply.level, supply.max_capacity, supply.state.value)
                or reading.agent_time < row.as_of
                or reading.agent_time - row.as_of >= _REFRESH
            ):
                changed.add(supply.index)
    return changed


def _current_of_row(row: Any) -> _Current:
    """A supply as its stored forecast row left it."""
    return _Current(
        CartridgeId(row.supply_index, row.description, row.cartridge_installed_at),
        forecast_of_row(row),
        row.supply_type,
        row.colour,
    )


def _page_clock(history: PrinterHistory) -> PageClock | None:
    """The page clock of the printer's total counter (the one every printer has)."""
    totals = [c for c in history.counters if c.key.name == "total" and c.samples]
    if not totals:
        return None
    return page_clock(max(totals, key=lambda c: len(c.samples)).samples)


def _stored_forecasts(conn: Connection, printer_ids: Sequence[int]) -> dict[int, dict[int, Any]]:
    found: dict[int, dict[int, Any]] = defaultdict(dict)
    for chunk in _chunks(printer_ids):
        query = select(supply_forecasts).where(supply_forecasts.c.printer_id.in_(chunk))
        for row in conn.execute(query):
            found[row.printer_id][row.supply_index] = row
    return found


def _open_orders(conn: Connection, printer_ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for chunk in _chunks(printer_ids):
        query = select(supply_orders).where(
            supply_orders.c.printer_id.in_(chunk), supply_orders.c.status.in_(OPEN_STATUSES)
        )
        for row in conn.execute(query):
            found[row.printer_id].append(row)
    return found


def _chunks(ids: Sequence[int], size: int = 1000) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _stored_cartridges(
    conn: Connection, printer_ids: Sequence[int]
) -> dict[int, dict[int, list[Any]]]:
    """The stored cartridges of the printers, by printer and position, oldest first."""
    found: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for chunk in _chunks(sorted(printer_ids)):
        query = (
            select(
                cartridges.c.id,
                cartridges.c.printer_id,
                cartridges.c.supply_index,
                cartridges.c.installed_at,
                cartridges.c.ended_at,
            )
            .where(cartridges.c.printer_id.in_(chunk))
            .order_by(cartridges.c.installed_at)
        )
        for row in conn.execute(query):
            found[row.printer_id][row.supply_index].append(row)
    return found


def _until(history: PrinterHistory, since: datetime, until: datetime) -> PrinterHistory:
    """The samples of a batch's history a printer's newest reading saw: from the one in
    effect at ``since`` up to ``until`` (a batch reads all its printers' samples at once)."""

    def cut(samples: list[Sample[Any]]) -> list[Sample[Any]]:
        kept = [sample for sample in samples if sample.at <= until]
        first = max((n for n, sample in enumerate(kept) if sample.at <= since), default=0)
        return kept[first:]

    return PrinterHistory(
        [SupplySeries(s.key, s.kind, cut(s.samples)) for s in history.supplies],
        [CounterSeries(c.key, cut(c.samples)) for c in history.counters],
    )


def _identities(found: Sequence[Cartridge], stored: Sequence[Any]) -> list[datetime]:
    """Each cartridge's install time as stored: the window's first cartridge began before
    the window when a stored cartridge covers its start, and keeps that one's time."""
    identities = [c.id.installed_at for c in found]
    if found:
        first = found[0].id.installed_at
        covering = [
            row.installed_at
            for row in stored
            if row.installed_at < first and (row.ended_at is None or row.ended_at > first)
        ]
        if covering:
            identities[0] = covering[-1]
    return identities


def _store_cartridges(
    writes: _Writes,
    printer_id: int,
    model: str,
    supply_type: str,
    found: Sequence[Cartridge],
    identities: Sequence[datetime],
    stored: Sequence[Any],
) -> None:
    """Upsert the window's cartridges; drop stored ones within the window that the rules no
    longer see (a replacement taken back: a shaken toner after all)."""
    if not found:
        return
    index = found[0].id.supply_index
    rows = [
        {
            "printer_id": printer_id,
            "supply_index": index,
            "description": c.id.description,
            "supply_type": supply_type,
            "model": model,
            "installed_at": installed_at,
            "pages_at_install": c.pages_at_install,
            "ended_at": c.ended_at,
            "pages_given": c.pages_given,
            "percent_used": c.percent_used,
            "counts_for_yield": learn_yield([c]) is not None,
            "faults": _faults_text(c.faults),
        }
        for c, installed_at in zip(found, identities, strict=True)
    ]
    kept = set(identities)
    writes.gone_cartridges += [
        row.id
        for row in stored
        if row.installed_at >= found[0].id.installed_at and row.installed_at not in kept
    ]
    if identities[0] != found[0].id.installed_at:  # began before the window: keep its start
        first = rows.pop(0)
        covering = next(row.id for row in stored if row.installed_at == identities[0])
        writes.cartridge_ends.append(
            {"b_id": covering, "b_ended_at": first["ended_at"], "b_faults": first["faults"]}
        )
    writes.cartridges += rows


_CARTRIDGE_END = (
    update(cartridges)
    .where(cartridges.c.id == bindparam("b_id"))
    .values(
        ended_at=bindparam("b_ended_at", type_=cartridges.c.ended_at.type),
        faults=bindparam("b_faults"),
    )
)
_KEYS = {
    "cartridges": ("printer_id", "supply_index", "installed_at"),
    "supply_forecasts": ("printer_id", "supply_index"),
}


@functools.cache
def _upsert(dialect: str, table_name: str) -> Any:
    """The insert-or-update of ``table_name`` on its key (built once: building it costs)."""
    table = {"cartridges": cartridges, "supply_forecasts": supply_forecasts}[table_name]
    keys = _KEYS[table_name]
    statement = _DIALECTS[dialect].insert(table)
    changing = [c.name for c in table.columns if c.name not in keys and c.name != "id"]
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: getattr(statement.excluded, name) for name in changing},
    )


def model_yield(conn: Connection, model: str, supply_type: str) -> LearnedYield | None:
    """What this model's supply type gave, over every printer's cartridges the rules judged
    worth learning from (``learn_yield`` of one cartridge)."""
    pages, percent, count = conn.execute(
        select(
            func.sum(cartridges.c.pages_given),
            func.sum(cartridges.c.percent_used),
            func.count(),
        ).where(
            and_(
                cartridges.c.model == model,
                cartridges.c.supply_type == supply_type,
                cartridges.c.counts_for_yield.is_(True),
            )
        )
    ).one()
    if not count or not percent or not pages or percent <= 0:
        return None
    return LearnedYield(float(pages) / float(percent), int(count))


def _forecast_row(
    printer_id: int, customer_id: int, current: _Current, seen: SupplyLevel, now: datetime
) -> dict[str, Any]:
    forecast = current.forecast
    return {
        "printer_id": printer_id,
        "supply_index": current.cartridge.supply_index,
        "customer_id": customer_id,
        "description": current.cartridge.description,
        "supply_type": current.supply_type,
        "colour": current.colour,
        "cartridge_installed_at": current.cartridge.installed_at,
        "as_of": forecast.as_of,
        "method": forecast.method.value,
        "state": forecast.state.value,
        "state_only": forecast.method in (ForecastMethod.STATE_ONLY, ForecastMethod.PAGES_LEFT),
        "receptacle": forecast.receptacle,
        "percent_left": forecast.percent_left,
        "percent_per_usage_day": forecast.percent_per_usage_day,
        "percent_per_page": forecast.percent_per_page,
        "days_to_empty": forecast.days_to_empty,
        "days_to_empty_low": forecast.days_to_empty_low,
        "days_to_empty_high": forecast.days_to_empty_high,
        "interval": forecast.interval,
        "confidence": forecast.confidence,
        "low_confidence": forecast.low_confidence,
        "faults": _faults_text(forecast.faults),
        "seen_level": seen.level,
        "seen_max_capacity": seen.max_capacity,
        "seen_state": seen.state,
        "computed_at": now,
    }
