"""The compact history's rules: change-only samples, judged by neighbours in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from remotecare.protocol.messages import (
    Counter,
    DeviceStatus,
    PrinterReading,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def samples(*pairs: tuple[int, int]) -> list[Sample[int]]:
    return [Sample(at(minutes), value) for minutes, value in pairs]


def test_stores_the_first_reading_of_a_series() -> None:
    changes = merge_readings([], samples((0, 100)))
    assert changes.added == samples((0, 100))
    assert changes.dropped == []


def test_skips_a_reading_that_repeats_the_sample_before_it() -> None:
    changes = merge_readings(samples((0, 100)), samples((10, 100), (20, 100)))
    assert not changes


def test_stores_only_the_readings_that_change_the_value() -> None:
    changes = merge_readings(samples((0, 100)), samples((10, 100), (20, 105), (30, 105), (40, 9)))
    assert changes.added == samples((20, 105), (40, 9))


def test_a_reading_processed_twice_adds_nothing_the_second_time() -> None:
    first = merge_readings(samples((0, 100)), samples((10, 120)))
    again = merge_readings([*samples((0, 100)), *first.added], samples((10, 120)))
    assert first.added == samples((10, 120))
    assert not again


def test_a_late_reading_is_compared_with_the_sample_before_it_not_the_newest() -> None:
    stored = samples((0, 100), (60, 200))
    changes = merge_readings(stored, samples((30, 150)))
    assert changes.added == samples((30, 150))
    assert changes.dropped == []


def test_a_late_reading_equal_to_the_sample_before_it_adds_nothing() -> None:
    changes = merge_readings(samples((0, 100), (60, 200)), samples((30, 100)))
    assert not changes


def test_a_late_change_drops_the_next_sample_that_now_repeats_it() -> None:
    changes = merge_readings(samples((0, 100), (60, 200)), samples((30, 200)))
    assert changes.added == samples((30, 200))
    assert changes.dropped == [at(60)]


def test_a_late_reading_before_every_stored_sample_starts_the_series() -> None:
    changes = merge_readings(samples((60, 200)), samples((0, 200)))
    assert changes.added == samples((0, 200))
    assert changes.dropped == [at(60)]


def test_readings_in_any_order_give_the_same_series_as_in_time_order() -> None:
    readings = samples((0, 1), (10, 1), (20, 2), (30, 2), (40, 3), (50, 3))
    in_order = merge_readings([], readings).added
    backwards: list[Sample[int]] = []
    for reading in reversed(readings):
        changes = merge_readings(backwards, [reading])
        kept = [s for s in backwards if s.at not in changes.dropped]
        backwards = sorted([*kept, *changes.added], key=lambda s: s.at)
    assert backwards == in_order == samples((0, 1), (20, 2), (40, 3))


def reading(
    level: int | None, *, description: str = "Black Toner", pages: int = 5
) -> PrinterReading:
    return PrinterReading(
        serial="SER-1",
        serial_source=SerialSource.PRINTER_MIB,
        model="ACME 1",
        status=DeviceStatus(device_status="running"),
        counters=[Counter(name="total", value=pages, unit="impressions")],
        supplies=[
            Supply(
                index=1,
                description=description,
                type="toner",
                supply_class=SupplyClass.CONSUMED,
                colour="black",
                unit="percent",
                level=level,
                max_capacity=100,
                state=SupplyState.OK if level is not None else SupplyState.SOME_REMAINING,
            )
        ],
    )


def test_a_supply_sample_holds_level_capacity_and_state_by_name() -> None:
    assert supplies_of(reading(40)) == {SupplyKey(1, "Black Toner"): SupplyLevel(40, 100, "ok")}
    assert supplies_of(reading(None)) == {
        SupplyKey(1, "Black Toner"): SupplyLevel(None, 100, "some_remaining")
    }
    assert supply_kinds(reading(40)) == {
        SupplyKey(1, "Black Toner"): SupplyKind("toner", "black", "percent")
    }


def test_a_cartridge_that_names_itself_differently_is_another_series() -> None:
    old = supplies_of(reading(3, description="Black Toner S/N A1"))
    new = supplies_of(reading(100, description="Black Toner S/N B7"))
    assert set(old).isdisjoint(new)


def test_counters_are_keyed_by_name_and_unit() -> None:
    assert counters_of(reading(40, pages=1234)) == {CounterKey("total", "impressions"): 1234}
