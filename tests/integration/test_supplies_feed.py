"""The supplies service fed by the care feed, in process, on SQLite and PostgreSQL: a supply
running low gets a forecast and one order however often it is seen, a replacement closes a
delivered order as installed, a replacement before delivery or a silent printer flags the
order for a person, and bad numbers never crash it nor start an order storm."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from remotecare.center.access.rules import Actor, Role, WorkKind
from remotecare.center.care.feed import DrainPacing, FeedDrainer, record_stored_readings
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.care.supplies.forecasting import SuppliesConsumer, flag_silent_printers
from remotecare.center.care.supplies.policies import CustomerPolicy, set_policy
from remotecare.center.care.supplies.rules.lifecycle import OrderStatus, Transition
from remotecare.center.care.supplies.rules.orders import OrderPolicy
from remotecare.center.care.supplies.service import (
    OrderFilter,
    OrderNotFound,
    OrderService,
    OrderTransitionRefused,
    SupplyForecast,
    SupplyOrder,
)
from remotecare.center.care.supplies.tables import cartridges, supply_forecasts, supply_orders
from remotecare.center.contracts.rules import Service
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.reports import stored_readings
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.kernel.transactions import Transactions
from remotecare.protocol.messages import Report, SupplyState
from tests.support.care import contract_services, seed_endpoint
from tests.support.schema import migrated_engine
from tests.support.supplies import Level, a_supplies_report

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 10:00 in Tokyo
CALLER = Caller("00000000-0000-4000-8000-0000000000c2", 1)
OPERATOR = Actor.operator("olga")
PAGES_PER_DAY = 300


class SteppedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class Fleet:
    """Ingest and the care feed with the history and the supplies, on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = SteppedClock(T0)
        self.supplies = SuppliesConsumer(self.clock)
        self.drainer = FeedDrainer(
            Transactions(engine),
            [HistoryConsumer(), self.supplies],
            self.clock,
            pacing=DrainPacing(batch=50),
        )
        self.sent: list[Report] = []

    def report(self, batch: Sequence[Report]) -> None:
        """Store ``batch`` and drain the feed, at the time of its newest reading."""
        self.clock.current = max(r.agent_time for r in batch)
        with self.engine.begin() as conn:
            request = IngestRequest(
                CALLER, batch, self.clock.current, BindingPolicy.AUTOMATIC, record_stored_readings
            )
            ingest_many(conn, [request])
        self.sent += batch
        for _ in range(100):
            if self.drainer.drain_once() == 0:
                return
        raise AssertionError("the feed did not run dry")

    def days(
        self,
        serial: str,
        first: int,
        last: int,
        levels: Callable[[int], Mapping[int, int | Level]],
    ) -> None:
        """One reading a day from day ``first`` to ``last`` (inclusive)."""
        for day in range(first, last + 1):
            at = T0 + timedelta(days=day)
            self.report([a_supplies_report(serial, at, 10_000 + PAGES_PER_DAY * day, levels(day))])

    def orders(self, which: OrderFilter | None = None) -> list[SupplyOrder]:
        with self.engine.connect() as conn:
            return OrderService(self.clock).orders(conn, OPERATOR, which or OrderFilter())

    def open_orders(self, serial: str) -> list[SupplyOrder]:
        return self.orders(OrderFilter(open_only=True, printer_serial=serial))

    def act(self, order_id: str, transition: Transition, **options: str) -> None:
        with self.engine.begin() as conn:
            OrderService(self.clock).act(conn, OPERATOR, order_id, transition, **options)

    def forecasts(self) -> dict[int, SupplyForecast]:
        with self.engine.connect() as conn:
            rows = OrderService(self.clock).forecasts(conn, OPERATOR)
        return {row.supply_index: row for row in rows}


@pytest.fixture
def fleet(tmp_path: Path, database_url: str) -> Iterator[Fleet]:
    engine = migrated_engine(database_url, tmp_path / "center.db")
    seed_endpoint(engine, CALLER.endpoint_id, T0)
    yield Fleet(engine)
    engine.dispose()


def falling_black(day: int) -> dict[int, int | Level]:
    """Black uses 3 % a day from full; the colours hardly move."""
    return {1: max(100 - 3 * day, 0), 2: 95 - day // 10, 3: 90 - day // 10, 4: 92 - day // 10}


def test_a_supply_running_low_gets_a_forecast_and_one_order(fleet: Fleet) -> None:
    fleet.days("LOW-1", 0, 18, falling_black)  # black at 46 %: two weeks left, not yet due
    forecasts = fleet.forecasts()
    assert set(forecasts) == {1, 2, 3, 4}
    black = forecasts[1]
    assert black.method == "trend"
    assert black.days_to_empty is not None
    assert 10 < black.days_to_empty < 22
    assert black.days_to_empty_low is not None
    assert black.days_to_empty_high is not None
    assert black.days_to_empty_low <= black.days_to_empty <= black.days_to_empty_high
    assert fleet.open_orders("LOW-1") == []

    fleet.days("LOW-1", 19, 30, falling_black)  # down to 10 %
    (order,) = fleet.open_orders("LOW-1")
    assert (order.supply_index, order.status, order.due_reason) == (
        1,
        OrderStatus.PROPOSED,
        "forecast",
    )
    assert order.customer == "Acme"
    assert order.ship_to == "Acme"


def test_no_forecast_or_order_without_the_supplies_service(fleet: Fleet) -> None:
    with fleet.engine.begin() as conn:  # the customer changes to meter reads only
        contract_services(conn, {Service.METERS}, T0)
    fleet.days("NOSUP-1", 0, 30, falling_black)  # down to 10 %: would be ordered
    assert fleet.forecasts() == {}
    assert fleet.orders() == []


def test_feeding_the_same_readings_again_changes_nothing(fleet: Fleet) -> None:
    fleet.days("TWICE-1", 0, 30, falling_black)
    before = fleet.orders()
    with fleet.engine.begin() as conn:
        fed = stored_readings(conn, [str(r.report_id) for r in fleet.sent])
        for _ in range(3):
            fleet.supplies.handle(conn, fed)
            fleet.supplies.handle(conn, fed[-5:])
    assert fleet.orders() == before
    assert len(fleet.open_orders("TWICE-1")) == 1


def test_only_the_supplies_whose_reading_changed_are_recomputed(fleet: Fleet) -> None:
    """Black falls every day; the colours say the same and keep their stored forecast
    until they change or it is a week old."""

    def black_moves(day: int) -> dict[int, int | Level]:
        return {1: 100 - 3 * day, 2: 95, 3: 90, 4: 92}

    fleet.days("ONE-1", 0, 10, black_moves)
    first = fleet.forecasts()
    fleet.days("ONE-1", 11, 12, black_moves)
    later = fleet.forecasts()
    assert later[1].as_of == T0 + timedelta(days=12)
    assert [later[i].as_of for i in (2, 3, 4)] == [first[i].as_of for i in (2, 3, 4)]
    assert first[2].as_of < T0 + timedelta(days=10)
    fleet.days("ONE-1", 13, 20, black_moves)  # a week on: refreshed
    assert fleet.forecasts()[2].as_of > first[2].as_of


def test_a_replacement_closes_a_delivered_order_as_installed(fleet: Fleet) -> None:
    fleet.days("SWAP-1", 0, 30, falling_black)
    (order,) = fleet.open_orders("SWAP-1")
    for step in (Transition.APPROVE, Transition.SHIP, Transition.DELIVER):
        fleet.act(order.id, step)
    fleet.days("SWAP-1", 31, 33, falling_black)  # the spare waits: nothing new is ordered
    assert [o.id for o in fleet.open_orders("SWAP-1")] == [order.id]

    fleet.days("SWAP-1", 34, 40, lambda day: falling_black(day) | {1: 100 - (day - 34)})

    (done,) = fleet.orders(OrderFilter(printer_serial="SWAP-1"))
    assert done.status is OrderStatus.INSTALLED
    assert done.installed_at == T0 + timedelta(days=34)
    assert fleet.forecasts()[1].description == "Black Toner"
    assert fleet.open_orders("SWAP-1") == []
    with fleet.engine.connect() as conn:
        installs = conn.execute(
            select(cartridges.c.installed_at).where(cartridges.c.supply_index == 1)
        ).scalars()
        assert sorted(installs) == [T0, T0 + timedelta(days=34)]


def test_a_cartridge_replaced_before_delivery_flags_its_order(fleet: Fleet) -> None:
    fleet.days("EARLY-1", 0, 30, falling_black)
    (order,) = fleet.open_orders("EARLY-1")
    fleet.act(order.id, Transition.APPROVE)
    fleet.days("EARLY-1", 31, 33, lambda day: falling_black(day) | {1: 100})

    (flagged,) = fleet.open_orders("EARLY-1")
    assert flagged.needs_person
    assert flagged.flag_reason == "replaced_anyway"
    assert flagged.status is OrderStatus.APPROVED


def test_an_order_whose_printer_went_silent_is_flagged(fleet: Fleet) -> None:
    fleet.days("QUIET-1", 0, 30, falling_black)
    with fleet.engine.begin() as conn:
        assert flag_silent_printers(conn, T0 + timedelta(days=31)) == 0
        assert flag_silent_printers(conn, T0 + timedelta(days=35)) == 1
    (flagged,) = fleet.open_orders("QUIET-1")
    assert flagged.flag_reason == "printer_silent"
    fleet.days("QUIET-1", 36, 36, falling_black)  # heard from again
    (back,) = fleet.open_orders("QUIET-1")
    assert not back.needs_person


def test_an_automatic_policy_approves_and_a_long_lead_time_orders_earlier(fleet: Fleet) -> None:
    with fleet.engine.begin() as conn:
        set_policy(conn, 1, CustomerPolicy(OrderPolicy(10, 4.0), auto_approve=True))
    fleet.days("AUTO-1", 0, 18, falling_black)  # 46 %: due with ten working days' lead time
    (order,) = fleet.open_orders("AUTO-1")
    assert order.status is OrderStatus.APPROVED
    assert order.approved_by == "order policy (automatic)"


def test_siblings_due_within_the_lead_time_share_a_shipment(fleet: Fleet) -> None:
    def two_falling(day: int) -> dict[int, int | Level]:
        return falling_black(day) | {2: max(100 - int(2.6 * day), 0)}

    fleet.days("PAIR-1", 0, 30, two_falling)
    orders = fleet.open_orders("PAIR-1")
    assert sorted(o.supply_index for o in orders) == [1, 2]
    assert len({o.shipment_id for o in orders}) == 1


def test_a_printer_that_says_low_without_numbers_is_ordered_on_that_transition(
    fleet: Fleet,
) -> None:
    def states(day: int) -> dict[int, int | Level]:
        state = SupplyState.LOW if day >= 20 else SupplyState.SOME_REMAINING
        return {1: Level(None, None, state)}

    fleet.days("STATES-1", 0, 19, states)
    assert fleet.forecasts()[1].state_only
    assert fleet.forecasts()[1].days_to_empty is None
    assert fleet.open_orders("STATES-1") == []
    fleet.days("STATES-1", 20, 25, states)
    (order,) = fleet.open_orders("STATES-1")
    assert order.due_reason == "printer_says_low"


def test_people_act_only_on_orders_of_their_customers_and_in_order(fleet: Fleet) -> None:
    fleet.days("ACT-1", 0, 30, falling_black)
    (order,) = fleet.open_orders("ACT-1")
    order_id = order.id
    stranger = Actor.scoped("carl", Role.CUSTOMER_ADMIN, [2])
    with fleet.engine.begin() as conn:
        service = OrderService(fleet.clock)
        with pytest.raises(OrderNotFound):
            service.act(conn, stranger, order_id, Transition.APPROVE)
        assert service.orders(conn, stranger) == []
        with pytest.raises(OrderTransitionRefused):
            service.act(conn, OPERATOR, order_id, Transition.SHIP)  # not approved yet
        with pytest.raises(OrderTransitionRefused):
            service.act(conn, OPERATOR, order_id, Transition.CANCEL, reason="  ")
        cancelled = service.act(conn, OPERATOR, order_id, Transition.CANCEL, reason="on hold")
    assert (cancelled.status, cancelled.cancel_reason) == (OrderStatus.CANCELLED, "on hold")
    assert cancelled.cancelled_by == "olga"


def test_a_subcontractor_sees_its_assigned_orders_and_the_console_counts_open_ones(
    fleet: Fleet,
) -> None:
    fleet.days("MINE-1", 0, 30, falling_black)
    fleet.days("THEIRS-1", 0, 30, falling_black)
    mine, theirs = (fleet.open_orders(serial)[0] for serial in ("MINE-1", "THEIRS-1"))
    assigned = Actor.subcontractor("fixit", [(WorkKind.ORDER, mine.id, 1)])
    devices_only = Actor.subcontractor("fixit", [(WorkKind.DEVICE, "1", 1)])
    with fleet.engine.begin() as conn:
        service = OrderService(fleet.clock)
        assert [o.id for o in service.orders(conn, assigned)] == [mine.id]
        assert service.count(conn, assigned) == 1
        assert service.orders(conn, devices_only) == []
        with pytest.raises(OrderNotFound):
            service.order(conn, assigned, theirs.id)
        with pytest.raises(OrderNotFound):
            service.act(conn, assigned, theirs.id, Transition.APPROVE)
        assert service.open_counts(conn, OPERATOR) == {OrderStatus.PROPOSED: 2}
        assert service.open_counts(conn, assigned) == {OrderStatus.PROPOSED: 1}
        service.act(conn, OPERATOR, mine.id, Transition.APPROVE)
        assert service.open_counts(conn, OPERATOR) == {
            OrderStatus.PROPOSED: 1,
            OrderStatus.APPROVED: 1,
        }
        by_printer = service.orders(conn, OPERATOR, OrderFilter(printer_id=mine.printer_id))
        assert [o.id for o in by_printer] == [mine.id]
        by_customer = service.orders(conn, OPERATOR, OrderFilter(customer_id=2))
        assert by_customer == []


def test_the_database_holds_one_open_order_per_cartridge(fleet: Fleet) -> None:
    fleet.days("UNIQUE-1", 0, 30, falling_black)
    with fleet.engine.connect() as conn:
        row = conn.execute(select(supply_orders)).one()._asdict()
    with pytest.raises(IntegrityError), fleet.engine.begin() as conn:
        conn.execute(insert(supply_orders), row | {"id": "another", "status": "shipped"})
    with fleet.engine.begin() as conn:  # a closed order beside it is fine
        conn.execute(insert(supply_orders), row | {"id": "old", "status": "cancelled"})
        conn.execute(insert(supply_orders), row | {"id": "older", "status": "installed"})


# --- bad input: never a crash, never an order storm ----------------------------------------


def _random_levels(day: int) -> dict[int, int | Level]:
    return {1: random.Random(day).randrange(0, 101)}


def _changing_maximum(day: int) -> dict[int, int | Level]:
    maximum = 100 if (day // 7) % 2 == 0 else 1000
    return {1: Level(maximum * (90 - day) // 100, maximum)}


def _above_maximum(day: int) -> dict[int, int | Level]:
    return {1: Level(150, 100)}


BAD_INPUT = {
    "levels at random, back and forth": _random_levels,
    "maximum capacity changing": _changing_maximum,
    "150 % (level above its maximum)": _above_maximum,
}


@pytest.mark.parametrize("levels", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_numbers_give_an_unsure_forecast_and_no_order_storm(
    fleet: Fleet, levels: Callable[[int], Mapping[int, int | Level]]
) -> None:
    fleet.days("BAD-1", 0, 60, levels)

    black = fleet.forecasts()[1]
    assert black.low_confidence or black.days_to_empty is None
    assert black.faults != ""
    assert len(fleet.orders()) <= 1


def test_a_printer_with_no_history_gets_no_number_and_no_order(fleet: Fleet) -> None:
    fleet.days("NEW-1", 0, 0, lambda day: {1: 40, 2: 80})

    forecasts = fleet.forecasts()
    assert {f.method for f in forecasts.values()} == {"none"}
    assert all(f.days_to_empty is None and f.low_confidence for f in forecasts.values())
    assert fleet.orders() == []
    with fleet.engine.connect() as conn:
        assert len(conn.execute(select(supply_forecasts)).all()) == 2
