"""The order decision: when, once per cartridge, one parcel per printer, and flags."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from remotecare.center.care.history.rules import SupplyLevel
from remotecare.center.care.supplies.rules.calendar import WorkCalendar
from remotecare.center.care.supplies.rules.cartridges import (
    CartridgeId,
    LevelFault,
    SupplyObservation,
    cartridges_of,
)
from remotecare.center.care.supplies.rules.forecast import (
    Forecast,
    ForecastMethod,
    forecast_cartridge,
)
from remotecare.center.care.supplies.rules.orders import (
    DueReason,
    OpenOrder,
    OrderFlag,
    OrderPolicy,
    SupplyOutlook,
    delivery_at,
    duplicate_orders,
    order_due,
    order_flags,
    plan_shipment,
)
from remotecare.center.care.supplies.rules.usage import UsageProfile
from remotecare.protocol.messages import SupplyState

CALENDAR = WorkCalendar()
POLICY = OrderPolicy(lead_time_working_days=3, safety_days=4.0)
MONDAY = datetime(2026, 6, 1, 0, tzinfo=UTC)  # 09:00 in Tokyo


def cartridge_id(index: int = 1) -> CartridgeId:
    return CartridgeId(index, f"Toner {index}", MONDAY - timedelta(days=30))


def forecast(
    days: float | None, spread: float = 0.2, state: SupplyState = SupplyState.OK, **more: object
) -> Forecast:
    return Forecast(
        as_of=MONDAY,
        method=ForecastMethod.TREND if days is not None else ForecastMethod.STATE_ONLY,
        state=state,
        days_to_empty=days,
        days_to_empty_low=None if days is None else days * (1 - spread),
        days_to_empty_high=None if days is None else days * (1 + spread),
        confidence=0.8,
        **more,  # type: ignore[arg-type]
    )


def due(outlook: SupplyOutlook, open_orders: list[OpenOrder] | None = None) -> DueReason | None:
    return order_due(
        outlook, now=MONDAY, calendar=CALENDAR, policy=POLICY, open_orders=open_orders or []
    )


def test_a_parcel_arrives_after_the_lead_time_in_working_days() -> None:
    friday_before_golden_week = datetime(2026, 5, 1, 0, tzinfo=UTC)

    # 7, 8 and 11 May are the three working days; the parcel is there by the end of the 11th.
    assert delivery_at(friday_before_golden_week, CALENDAR, POLICY) == datetime(
        2026, 5, 11, 15, tzinfo=UTC
    )


def test_an_order_is_due_when_the_late_end_is_within_lead_time_and_safety_days() -> None:
    # Lead time ends Thursday 4 June at midnight (3.6 days), plus 4 safety days: 7.6 days.
    assert due(SupplyOutlook(cartridge_id(), forecast(6.0, spread=0.2))) is DueReason.FORECAST
    assert due(SupplyOutlook(cartridge_id(), forecast(9.0, spread=0.2))) is None


def test_a_wide_interval_whose_early_end_is_within_the_lead_time_is_due() -> None:
    assert due(SupplyOutlook(cartridge_id(), forecast(8.0, spread=0.6))) is DueReason.FORECAST


def test_the_printer_saying_low_makes_an_order_due_without_a_number() -> None:
    outlook = SupplyOutlook(cartridge_id(), forecast(None, state=SupplyState.LOW))

    assert due(outlook) is DueReason.PRINTER_SAYS_LOW


def test_a_nearly_full_waste_box_makes_an_order_due() -> None:
    outlook = SupplyOutlook(
        cartridge_id(), forecast(None, state=SupplyState.NEARLY_FULL, receptacle=True)
    )

    assert due(outlook) is DueReason.PRINTER_SAYS_LOW


def test_a_cartridge_with_an_open_order_is_not_ordered_again_however_many_readings_see_it() -> None:
    outlook = SupplyOutlook(cartridge_id(), forecast(2.0, state=SupplyState.LOW))
    open_orders = [OpenOrder(cartridge_id(), MONDAY - timedelta(days=1))]

    assert [due(outlook, open_orders) for _ in range(50)] == [None] * 50


def test_a_spare_waiting_at_the_customer_puts_off_the_next_order() -> None:
    outlook = SupplyOutlook(cartridge_id(), forecast(2.0), spares_on_hand=1)

    assert due(outlook) is None


def test_erratic_levels_order_nothing_until_the_printer_says_low() -> None:
    erratic = forecast(1.0, faults=frozenset({LevelFault.ERRATIC}))

    assert due(SupplyOutlook(cartridge_id(), erratic)) is None


def test_a_printer_reading_random_levels_causes_no_order_storm() -> None:
    rng = random.Random(9)
    open_orders: list[OpenOrder] = []
    observations: list[SupplyObservation] = []
    for n in range(90):
        now = MONDAY + timedelta(days=n)
        observations.append(
            SupplyObservation(now, "Toner", SupplyLevel(rng.randrange(101), 100, "ok"))
        )
        current = cartridges_of(observations, 1)[-1]
        outlook = SupplyOutlook(
            current.id,
            forecast_cartridge(
                current,
                now=now,
                calendar=CALENDAR,
                usage=UsageProfile(100.0, 0.0),
                rated_yield_pages=6_000,
            ),
        )
        shipment = plan_shipment(
            [outlook], now=now, calendar=CALENDAR, policy=POLICY, open_orders=open_orders
        )
        if shipment is not None:
            open_orders += [OpenOrder(c, now) for c, _ in shipment.items]

    assert len(open_orders) <= 1


def test_siblings_due_within_the_lead_time_go_in_the_same_parcel() -> None:
    black = SupplyOutlook(cartridge_id(1), forecast(5.0))
    cyan = SupplyOutlook(cartridge_id(2), forecast(11.0))  # due in a few days
    magenta = SupplyOutlook(cartridge_id(3), forecast(60.0))
    yellow_on_order = SupplyOutlook(cartridge_id(4), forecast(4.0))
    open_orders = [OpenOrder(cartridge_id(4), MONDAY - timedelta(days=1))]

    shipment = plan_shipment(
        [black, cyan, magenta, yellow_on_order],
        now=MONDAY,
        calendar=CALENDAR,
        policy=POLICY,
        open_orders=open_orders,
    )

    assert shipment is not None
    assert shipment.items == (
        (cartridge_id(1), DueReason.FORECAST),
        (cartridge_id(2), DueReason.SIBLING),
    )


def test_nothing_due_means_no_parcel() -> None:
    outlooks = [
        SupplyOutlook(cartridge_id(1), forecast(40.0)),
        SupplyOutlook(cartridge_id(2), forecast(30.0)),
    ]

    assert plan_shipment(outlooks, now=MONDAY, calendar=CALENDAR, policy=POLICY) is None


def test_open_orders_beyond_the_first_for_a_cartridge_are_duplicates() -> None:
    first = OpenOrder(cartridge_id(1), MONDAY)
    again = OpenOrder(cartridge_id(1), MONDAY + timedelta(hours=1))
    other = OpenOrder(cartridge_id(2), MONDAY)

    assert duplicate_orders([again, other, first]) == [again]


def test_an_order_whose_cartridge_was_replaced_anyway_is_flagged() -> None:
    order = OpenOrder(cartridge_id(1), MONDAY)
    replaced = CartridgeId(1, "Toner 1", MONDAY + timedelta(days=1))

    flags = order_flags(
        order,
        current=replaced,
        last_reading_at=MONDAY + timedelta(days=2),
        now=MONDAY + timedelta(days=2),
        policy=POLICY,
    )

    assert flags == {OrderFlag.REPLACED_ANYWAY}


def test_an_order_whose_printer_went_silent_is_flagged() -> None:
    order = OpenOrder(cartridge_id(1), MONDAY)

    flags = order_flags(
        order,
        current=cartridge_id(1),
        last_reading_at=MONDAY,
        now=MONDAY + timedelta(days=4),
        policy=POLICY,
    )

    assert flags == {OrderFlag.PRINTER_SILENT}


def test_an_order_on_track_has_no_flags() -> None:
    order = OpenOrder(cartridge_id(1), MONDAY)

    assert (
        order_flags(
            order,
            current=cartridge_id(1),
            last_reading_at=MONDAY,
            now=MONDAY + timedelta(days=1),
            policy=POLICY,
        )
        == frozenset()
    )
