"""Which readings go ahead in the care feed: those whose conditions changed."""

from __future__ import annotations

from remotecare.center.fleet.rules.conditions import conditions_fingerprint, is_urgent
from remotecare.protocol.messages import Alert, Cover, PrinterReading, SupplyState
from tests.support.reports import a_reading


def with_alert(reading: PrinterReading, code: str = "jam") -> PrinterReading:
    alert = Alert(index=1, severity="critical", group="mediaPath", code=code, description=code)
    return reading.model_copy(update={"alerts": [*reading.alerts, alert]})


def test_a_printers_first_reading_is_urgent() -> None:
    assert is_urgent(conditions_fingerprint(a_reading("S", 1)), None)


def test_new_page_counts_alone_are_routine() -> None:
    before = conditions_fingerprint(a_reading("S", 1000))
    assert not is_urgent(conditions_fingerprint(a_reading("S", 1234)), before)


def test_an_alert_appearing_changing_or_clearing_is_urgent() -> None:
    plain = a_reading("S", 1000)
    jam = conditions_fingerprint(with_alert(plain))
    assert is_urgent(jam, conditions_fingerprint(plain))
    assert is_urgent(conditions_fingerprint(with_alert(plain, "coverOpen")), jam)
    assert is_urgent(conditions_fingerprint(plain), jam)
    assert not is_urgent(conditions_fingerprint(with_alert(a_reading("S", 2000))), jam)


def test_error_bits_covers_and_supply_states_are_conditions() -> None:
    plain = a_reading("S", 1000)
    before = conditions_fingerprint(plain)
    errors = plain.status.model_copy(update={"error_conditions": ["noToner"]})
    cover = Cover(index=1, description="front", status="open", open=True)
    supplies = [s.model_copy(update={"state": SupplyState.EMPTY}) for s in plain.supplies]
    assert supplies, "the sample reading has supplies"
    for changed in (
        plain.model_copy(update={"status": errors}),
        plain.model_copy(update={"covers": [cover]}),
        plain.model_copy(update={"supplies": supplies}),
    ):
        assert is_urgent(conditions_fingerprint(changed), before)


def test_the_order_of_a_tables_rows_does_not_matter_and_the_number_fits_a_bigint() -> None:
    reading = with_alert(with_alert(a_reading("S", 1000), "jam"), "doorOpen")
    reversed_alerts = reading.model_copy(update={"alerts": list(reversed(reading.alerts))})
    assert conditions_fingerprint(reading) == conditions_fingerprint(reversed_alerts)
    assert 0 <= conditions_fingerprint(reading) < 2**63
