"""The incident rules on plain values: the catalogue covers every code the MIBs name,
readings become conditions with keys that fold duplicates, and incidents open, hold,
clear, settle, return and flap as the lifecycle says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from remotecare.agent.rfc3805 import DetectedError, PrtAlertCode, PrtAlertGroup
from remotecare.center.care.incidents.catalogue import (
    CATALOGUE_FILE,
    load_catalogue,
    packaged_catalogue,
)
from remotecare.center.care.incidents.rules.catalogue import Responder, Severity
from remotecare.center.care.incidents.rules.conditions import conditions_of
from remotecare.center.care.incidents.rules.lifecycle import (
    Change,
    IncidentState,
    IncidentView,
    SettlePolicy,
    evaluate,
    settled,
)
from remotecare.errors import ConfigError
from remotecare.protocol.messages import (
    Alert,
    Cover,
    DeviceStatus,
    PrinterReading,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
)

CATALOGUE = packaged_catalogue()
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POLICY = SettlePolicy(settle=timedelta(minutes=10), flap_returns=3)


def reading(
    *,
    alerts: tuple[Alert, ...] = (),
    errors: tuple[str, ...] = (),
    covers: tuple[Cover, ...] = (),
    supplies: tuple[Supply, ...] = (),
) -> PrinterReading:
    return PrinterReading(
        serial="SER-1",
        serial_source=SerialSource.PRINTER_MIB,
        model="ACME 1",
        status=DeviceStatus(device_status="down", error_conditions=list(errors)),
        alerts=list(alerts),
        covers=list(covers),
        supplies=list(supplies),
    )


def alert(code: str, group: str = "generalPrinter", **fields: object) -> Alert:
    return Alert(index=1, severity="critical", group=group, code=code, description="", **fields)


def toner(index: int, state: SupplyState) -> Supply:
    return Supply(
        index=index,
        description="Black Toner",
        type="toner",
        supply_class=SupplyClass.CONSUMED,
        state=state,
    )


def test_every_alert_code_and_detected_error_bit_has_a_place_in_the_catalogue() -> None:
    known = set(CATALOGUE.alert_codes) | CATALOGUE.ignore_alert_codes
    missing = [c.mib_name for c in PrtAlertCode if c.mib_name not in known]
    assert missing == ["other", "unknown"]  # these go to the generic kind, numbers kept
    assert {bit.mib_name for bit in DetectedError} == set(CATALOGUE.error_conditions)


def test_alert_groups_named_in_the_catalogue_exist_in_the_mib() -> None:
    groups = {g.mib_name for g in PrtAlertGroup} | {"*"}
    for target in CATALOGUE.alert_codes.values():
        if not isinstance(target, str):
            assert set(target) <= groups
    assert CATALOGUE.subunit_groups <= groups


def test_a_jam_reported_by_alert_and_by_bit_is_one_condition_for_the_customer() -> None:
    found = conditions_of(
        reading(alerts=(alert("jam", "mediaPath"),), errors=("jammed",)), CATALOGUE
    )
    assert list(found) == ["paper_jam"]
    assert found["paper_jam"].responder(CATALOGUE) is Responder.CUSTOMER
    assert CATALOGUE.kind("paper_jam").severity is Severity.CRITICAL


def test_an_open_cover_from_table_alert_and_bit_is_one_condition_on_its_cover() -> None:
    found = conditions_of(
        reading(
            alerts=(alert("coverOpen", "cover", group_index=1),),
            errors=("doorOpen",),
            covers=(Cover(index=1, description="Front cover", status="open", open=True),),
        ),
        CATALOGUE,
    )
    assert list(found) == ["cover_open:1"]


def test_an_empty_toner_is_keyed_by_its_supply_and_the_bare_bit_adds_nothing() -> None:
    found = conditions_of(
        reading(
            errors=("noToner",), supplies=(toner(1, SupplyState.EMPTY), toner(2, SupplyState.OK))
        ),
        CATALOGUE,
    )
    assert list(found) == ["supply_empty:1"]


def test_field_service_training_level_sends_the_incident_to_field_service() -> None:
    found = conditions_of(
        reading(
            alerts=(alert("markerFuserThermistorFailure", "marker", training_level="fieldService"),)
        ),
        CATALOGUE,
    )
    condition = found["fuser_failure"]
    assert condition.responder(CATALOGUE) is Responder.FIELD_SERVICE
    cause = CATALOGUE.cause_of(condition.code, condition.kind)
    assert cause is not None
    assert cause.part == "Fuser unit"


def test_unknown_alert_codes_are_kept_with_their_numbers_as_a_generic_kind() -> None:
    found = conditions_of(
        reading(alerts=(alert("unrecognized(40123)", "unrecognized(77)"), alert("other"))),
        CATALOGUE,
    )
    assert set(found) == {
        "unknown_alert:unrecognized(40123):unrecognized(77)",
        "unknown_alert:other:generalPrinter",
    }
    assert all(c.responder(CATALOGUE) is Responder.OPERATOR for c in found.values())


def test_events_such_as_a_closed_cover_are_no_condition() -> None:
    assert (
        conditions_of(reading(alerts=(alert("coverClosed", "cover"), alert("powerUp"))), CATALOGUE)
        == {}
    )


def test_an_alert_table_with_hundreds_of_rows_folds_to_its_distinct_conditions() -> None:
    many = tuple(
        Alert(
            index=i,
            severity="warning",
            group="input",
            group_index=i % 4,
            code="subunitEmpty",
            description="",
        )
        for i in range(128)
    )
    found = conditions_of(reading(alerts=many), CATALOGUE)
    assert sorted(found) == ["paper_out:0", "paper_out:1", "paper_out:2", "paper_out:3"]


def test_a_catalogue_naming_an_undeclared_kind_is_refused(tmp_path: Path) -> None:
    text = CATALOGUE_FILE.read_text(encoding="utf-8").replace("jam: paper_jam", "jam: paper_jamm")
    bad = tmp_path / "conditions.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="paper_jamm"):
        load_catalogue(bad)


def test_a_catalogue_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "conditions.yaml"
    bad.write_text(CATALOGUE_FILE.read_text(encoding="utf-8") + "\nextra: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="extra"):
        load_catalogue(bad)


# --- lifecycle -------------------------------------------------------------------------

JAM = conditions_of(reading(errors=("jammed",)), CATALOGUE)


def view(state: IncidentState = IncidentState.OPEN, **fields: object) -> IncidentView:
    base = IncidentView("paper_jam", "paper_jam", state, last_seen_at=T0)
    return replace(base, **fields)  # type: ignore[arg-type]


def test_a_new_condition_opens_an_incident_and_a_repeat_changes_nothing() -> None:
    assert [d.change for d in evaluate({}, JAM, T0, POLICY)] == [Change.OPENED]
    again = evaluate({"paper_jam": view()}, JAM, T0 + timedelta(minutes=5), POLICY)
    assert [d.change for d in again] == [None]


def test_a_condition_gone_clears_and_resolves_after_the_settle_time_only() -> None:
    later = T0 + timedelta(minutes=5)
    assert [d.change for d in evaluate({"paper_jam": view()}, {}, later, POLICY)] == [
        Change.CLEARED
    ]
    clearing = {"paper_jam": view(IncidentState.CLEARING, cleared_at=later)}
    assert settled(clearing, later + timedelta(minutes=9), POLICY) == []
    assert [d.change for d in settled(clearing, later + timedelta(minutes=10), POLICY)] == [
        Change.RESOLVED
    ]


def test_an_older_reading_neither_clears_nor_returns_an_incident() -> None:
    earlier = T0 - timedelta(minutes=1)
    assert evaluate({"paper_jam": view()}, {}, earlier, POLICY) == []
    assert (
        evaluate({"paper_jam": view(IncidentState.CLEARING, cleared_at=T0)}, JAM, earlier, POLICY)
        == []
    )


def test_a_reading_never_clears_a_kind_it_does_not_govern() -> None:
    silent = {
        "printer_silent": IncidentView("printer_silent", "printer_silent", IncidentState.OPEN, T0)
    }
    governed = frozenset({"paper_jam"})
    assert evaluate(silent, {}, T0 + timedelta(minutes=1), POLICY, governed=governed) == []


def test_a_condition_that_keeps_returning_is_held_as_one_flapping_incident() -> None:
    incident = view(IncidentState.CLEARING, cleared_at=T0)
    changes = []
    at = T0
    for _ in range(3):
        at += timedelta(minutes=2)
        (decision,) = evaluate({"paper_jam": incident}, JAM, at, POLICY)
        changes.append(decision.change)
        incident = replace(
            incident,
            returns=decision.returns,
            first_return_at=decision.first_return_at,
            flapping=incident.flapping or decision.change is Change.FLAPPING,
            last_seen_at=at,
        )
    assert changes == [Change.RETURNED, Change.RETURNED, Change.FLAPPING]
    assert incident.flapping
    flapping = replace(incident, cleared_at=at)
    assert settled({"paper_jam": flapping}, at + timedelta(minutes=10), POLICY) == []
    assert settled({"paper_jam": flapping}, at + timedelta(minutes=30), POLICY) != []


# --- report ----------------------------------------------------------------------------


def test_the_monthly_report_counts_failures_per_model_and_gives_device_days_per_failure() -> None:
    from datetime import date

    from remotecare.center.care.incidents.rules.report import (
        ReportedIncident,
        month_starts,
        monthly_report,
    )

    months = month_starts(date(2026, 3, 15), 2)
    assert months == [date(2026, 2, 1), date(2026, 3, 1)]
    seen = [
        ReportedIncident("A-1", datetime(2026, 2, 3, tzinfo=UTC), "field_service"),
        ReportedIncident("A-1", datetime(2026, 2, 9, tzinfo=UTC), "customer"),
        ReportedIncident("A-1", datetime(2026, 3, 1, tzinfo=UTC), "field_service"),
        ReportedIncident("A-1", datetime(2026, 3, 2, tzinfo=UTC), "field_service"),
        ReportedIncident("B-2", datetime(2026, 1, 30, tzinfo=UTC), "field_service"),  # too old
    ]
    rows = monthly_report(seen, {"A-1": 4, "B-2": 1}, months)
    assert [(r.model, r.month, r.incidents, r.failures, r.mtbf_days) for r in rows] == [
        ("A-1", "2026-02", 2, 1, 112.0),  # 4 devices x 28 days / 1 failure
        ("A-1", "2026-03", 2, 2, 62.0),  # 4 x 31 / 2
        ("B-2", "2026-02", 0, 0, None),
        ("B-2", "2026-03", 0, 0, None),
    ]
    assert month_starts(date(2026, 1, 5), 2) == [date(2025, 12, 1), date(2026, 1, 1)]
