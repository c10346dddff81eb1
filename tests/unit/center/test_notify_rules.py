"""Notification rules on plain values: Standard Webhooks signatures (the specification's
own example), verification across a rotation, who hears of what, quiet hours across
midnight and time zones, retry pauses, and what a message may carry."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from remotecare.center.notify.messages import digest_email, incident_email, webhook_body
from remotecare.center.notify.rules import (
    Audience,
    Channel,
    IncidentNotice,
    Subscription,
    matches,
    message_facts,
    parse_clock_time,
    quiet_until,
    retry_delay,
    signature,
    signed_headers,
    verify,
)

# The example of the Standard Webhooks specification (and its reference libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
OTHER_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def notice(**changes: object) -> IncidentNotice:
    base: dict[str, object] = {
        "incident_id": 7,
        "event": "opened",
        "customer_id": 1,
        "site": "Acme",
        "device": "ACME 1 (serial SER-1)",
        "kind": "fuser_failure",
        "titles": {"en": "Fuser failure", "ja": "定着ユニットの故障"},
        "severity": "critical",
        "responder": "field_service",
        "detail": "SC542",
        "cause": {"cause": "Thermistor", "part": "Fuser unit", "action": "Replace it"},
        "at": T0,
    }
    return IncidentNotice(**{**base, **changes})  # type: ignore[arg-type]


def subscription(**changes: object) -> Subscription:
    base: dict[str, object] = {
        "id": 1,
        "name": "s",
        "channel": Channel.WEBHOOK,
        "address": "https://example.test/",
        "audience": Audience.OPERATOR,
        "customer_ids": None,
        "severities": frozenset({"critical", "warning"}),
        "responders": None,
        "language": "en",
        "quiet_start": None,
        "quiet_end": None,
        "timezone": "Asia/Tokyo",
    }
    return Subscription(**{**base, **changes})  # type: ignore[arg-type]


def test_the_signature_matches_the_standard_webhooks_example() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_during_a_rotation_a_receiver_knowing_either_secret_verifies() -> None:
    headers = signed_headers([OTHER_SECRET, SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert verify(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP)
    assert verify(OTHER_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP)


def test_a_changed_body_an_old_timestamp_or_a_missing_header_fails_verification() -> None:
    headers = signed_headers([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert not verify(SPEC_SECRET, headers, SPEC_BODY + b" ", SPEC_TIMESTAMP)
    assert not verify(SPEC_SECRET, headers, SPEC_BODY, SPEC_TIMESTAMP + 301)
    assert not verify(SPEC_SECRET, {"webhook-id": SPEC_ID}, SPEC_BODY, SPEC_TIMESTAMP)


def test_subscriptions_choose_customers_severities_and_who_acts() -> None:
    assert matches(subscription(), notice())
    assert not matches(subscription(customer_ids=frozenset({2})), notice())
    assert not matches(subscription(severities=frozenset({"warning"})), notice())
    assert not matches(subscription(responders=frozenset({"customer"})), notice())


def test_quiet_hours_across_midnight_end_the_next_morning_in_the_subscribers_zone() -> None:
    quiet = subscription(quiet_start=time(22, 0), quiet_end=time(7, 0), timezone="Asia/Tokyo")
    late = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    assert quiet_until(quiet, late) == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 07:00 JST
    early = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 05:00 in Tokyo
    assert quiet_until(quiet, early) == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert quiet_until(quiet, T0) is None  # 17:00 in Tokyo
    assert quiet_until(subscription(), late) is None


def test_clock_times_are_parsed_strictly() -> None:
    assert parse_clock_time("07:30") == time(7, 30)
    for bad in ("7:30", "24:00", "noon"):
        with pytest.raises(ValueError, match=bad):
            parse_clock_time(bad)


def test_retries_wait_longer_each_time_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(40) == timedelta(hours=1)


def test_a_customers_message_carries_no_diagnosis_and_nobody_gets_contacts() -> None:
    for_customer = message_facts(notice(), Audience.CUSTOMER)
    for_subcontractor = message_facts(notice(), Audience.SUBCONTRACTOR)
    assert "cause" not in for_customer
    assert for_subcontractor["cause"]["part"] == "Fuser unit"
    assert set(for_subcontractor) - {"cause"} == set(for_customer)
    assert not any("contact" in key or "mail" in key for key in for_subcontractor)


def test_templates_render_in_both_languages_and_digests_list_every_item() -> None:
    facts = message_facts(notice(), Audience.SUBCONTRACTOR)
    en, ja = incident_email(facts, "en"), incident_email(facts, "ja")
    assert en.subject == "[Critical] Fuser failure: ACME 1 (serial SER-1) at Acme"
    assert "Part: Fuser unit" in en.body
    assert ja.subject.startswith("【重大】定着ユニットの故障")
    assert "部品: Fuser unit" in ja.body
    resolved = incident_email({**facts, "event": "resolved"}, "en")
    assert resolved.subject.startswith("[Resolved]")
    digest = digest_email([facts, {**facts, "incident_id": 8}], "ja")
    assert "2 件" in digest.subject
    assert "インシデント 8" in digest.body
    assert b'"type": "incident.digest"' in webhook_body("msg_1", [facts, facts])
