"""Cartridges from a supply position's samples: replacements, rebounds, yields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remotecare.center.care.history.rules import Sample, SupplyKey, SupplyLevel
from remotecare.center.care.supplies.rules.cartridges import (
    LevelFault,
    SupplyObservation,
    cartridges_of,
    learn_yield,
    observations_of,
)
from remotecare.center.care.supplies.rules.usage import page_clock
from remotecare.protocol.messages import SupplyState

START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday


def at(day: float) -> datetime:
    return START + timedelta(days=day)


def level(
    percent: int | None, state: SupplyState = SupplyState.OK, maximum: int = 100
) -> SupplyLevel:
    return SupplyLevel(percent, maximum if percent is not None else None, state.value)


def seen(
    *levels: tuple[float, int | None], description: str = "Black Toner"
) -> list[SupplyObservation]:
    return [SupplyObservation(at(day), description, level(value)) for day, value in levels]


def test_a_jump_up_to_full_starts_a_new_cartridge() -> None:
    cartridges = cartridges_of(seen((0, 40), (5, 20), (6, 3), (7, 100), (9, 95)), 1)

    assert [c.id.installed_at for c in cartridges] == [at(0), at(7)]
    assert cartridges[0].ended_at == at(7)
    assert cartridges[1].ended_at is None


def test_a_shaken_toner_rebound_is_not_a_replacement() -> None:
    cartridges = cartridges_of(seen((0, 12), (1, 6), (2, 10), (3, 4)), 1)

    assert len(cartridges) == 1


def test_a_rebound_of_one_reporting_step_is_not_a_replacement() -> None:
    cartridges = cartridges_of(seen((0, 100), (3, 75), (6, 50), (9, 25), (10, 50), (12, 25)), 1)

    assert len(cartridges) == 1


def test_a_new_description_starts_a_new_cartridge_even_at_the_same_level() -> None:
    observations = seen((0, 30), (1, 20)) + seen((2, 20), description="Black Toner S/N 2")

    cartridges = cartridges_of(observations, 1)

    assert [c.id.description for c in cartridges] == ["Black Toner", "Black Toner S/N 2"]


def test_a_restarted_cartridge_page_count_starts_a_new_cartridge() -> None:
    own_pages = [Sample(at(0), 5_000), Sample(at(1), 5_400), Sample(at(2), 10)]

    cartridges = cartridges_of(seen((0, 30), (1, 25), (2, 25)), 1, cartridge_pages=own_pages)

    assert [c.id.installed_at for c in cartridges] == [at(0), at(2)]


def test_a_state_only_supply_is_replaced_when_low_turns_ok() -> None:
    observations = [
        SupplyObservation(at(0), "Toner", level(None, SupplyState.OK)),
        SupplyObservation(at(5), "Toner", level(None, SupplyState.LOW)),
        SupplyObservation(at(8), "Toner", level(None, SupplyState.OK)),
    ]

    cartridges = cartridges_of(observations, 1)

    assert len(cartridges) == 2
    assert cartridges[1].points[0].percent is None


def test_a_cartridge_keeps_the_pages_it_gave_across_a_counter_reset() -> None:
    counter = [
        Sample(at(0), 90_000),
        Sample(at(3), 91_000),
        Sample(at(4), 200),
        Sample(at(7), 1_200),
    ]

    first, _ = cartridges_of(
        seen((0, 100), (3, 60), (7, 5), (8, 100)), 1, pages=page_clock(counter)
    )

    assert first.pages_at_install == 0
    assert first.pages_given == 1_000 + 200 + 1_000


def test_the_learned_yield_comes_from_finished_cartridges_that_used_enough() -> None:
    counter = [
        Sample(at(0), 0),
        Sample(at(10), 9_000),
        Sample(at(11), 9_500),
        Sample(at(12), 9_600),
    ]
    cartridges = cartridges_of(
        seen((0, 100), (5, 51), (10, 10), (11, 100), (12, 99)), 1, pages=page_clock(counter)
    )

    learned = learn_yield(cartridges)

    assert learned is not None
    assert learned.cartridges == 1
    assert learned.pages_per_percent == 9_500 / 90


def test_no_yield_is_learned_from_a_cartridge_swapped_after_a_few_percent() -> None:
    counter = [Sample(at(0), 0), Sample(at(3), 500), Sample(at(4), 600)]
    cartridges = cartridges_of(seen((0, 100), (3, 90), (4, 100)), 1, pages=page_clock(counter))

    assert learn_yield(cartridges) is None


def test_a_level_above_its_maximum_counts_as_full_and_is_marked() -> None:
    observations = [SupplyObservation(at(0), "Toner", SupplyLevel(150, 100, "ok"))]

    (cartridge,) = cartridges_of(observations, 1)

    assert cartridge.points[0].percent == 100.0
    assert LevelFault.ABOVE_MAXIMUM in cartridge.faults


def test_a_changing_maximum_capacity_is_marked() -> None:
    observations = [
        SupplyObservation(at(0), "Toner", SupplyLevel(800, 1_000, "ok")),
        SupplyObservation(at(1), "Toner", SupplyLevel(70, 100, "ok")),
    ]

    (cartridge,) = cartridges_of(observations, 1)

    assert LevelFault.CAPACITY_CHANGED in cartridge.faults


def test_random_levels_are_marked_erratic_rather_than_read_as_daily_replacements() -> None:
    values = [50, 90, 20, 85, 10, 95, 30, 88, 15, 92, 40, 99, 5, 80]
    cartridges = cartridges_of(seen(*enumerate(values)), 1)

    assert all(LevelFault.ERRATIC in c.faults for c in cartridges)


def test_series_of_several_descriptions_merge_in_time_order() -> None:
    old = (SupplyKey(1, "Toner A"), [Sample(at(0), level(50)), Sample(at(4), level(2))])
    new = (SupplyKey(1, "Toner B"), [Sample(at(5), level(100))])

    observations = observations_of([new, old])

    assert [o.description for o in observations] == ["Toner A", "Toner A", "Toner B"]


def test_no_samples_give_no_cartridge() -> None:
    assert cartridges_of([], 1) == []


def states(*entries: tuple[float, SupplyState]) -> list[SupplyObservation]:
    return [SupplyObservation(at(day), "Toner", level(None, state)) for day, state in entries]


def test_a_state_only_supply_low_again_after_a_few_pages_was_shaken_not_replaced() -> None:
    counter = [
        Sample(at(day), pages) for day, pages in ((0, 0), (20, 6_000), (21, 6_100), (23, 6_300))
    ]
    observations = states(
        (0, SupplyState.OK), (20, SupplyState.LOW), (21, SupplyState.OK), (23, SupplyState.LOW)
    )

    cartridges = cartridges_of(observations, 1, pages=page_clock(counter))

    assert len(cartridges) == 1


def test_a_state_only_supply_low_again_after_a_cartridges_worth_of_pages_was_replaced() -> None:
    counter = [
        Sample(at(day), pages) for day, pages in ((0, 0), (20, 6_000), (21, 6_100), (41, 12_000))
    ]
    observations = states(
        (0, SupplyState.OK), (20, SupplyState.LOW), (21, SupplyState.OK), (41, SupplyState.LOW)
    )

    cartridges = cartridges_of(observations, 1, pages=page_clock(counter))

    assert [c.id.installed_at for c in cartridges] == [at(0), at(21)]


def test_two_levels_far_apart_are_a_replacement_not_a_reporting_step() -> None:
    cartridges = cartridges_of(seen((0, 20), (8, 100)), 1)

    assert [c.id.installed_at for c in cartridges] == [at(0), at(8)]
