from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remotecare.center.identity.rules import (
    EndpointCertificates,
    EndpointRecord,
    PresentedCertificate,
    refusal_for,
)
from remotecare.center.kernel.secrets import hash_password, hash_token, new_token, verify_password

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _record(**changes: object) -> EndpointRecord:
    fields: dict[str, object] = {
        "endpoint_id": "e1",
        "customer_id": 1,
        "certificates": EndpointCertificates("abc"),
        "revoked": False,
        "customer_status": "active",
    }
    fields.update(changes)
    return EndpointRecord(**fields)  # type: ignore[arg-type]


def _presented(
    serial: str = "abc", *, expires_in: timedelta = timedelta(days=300)
) -> PresentedCertificate:
    return PresentedCertificate("e1", serial, NOW - timedelta(days=30), NOW + expires_in)


def test_an_active_endpoint_with_its_current_certificate_may_report() -> None:
    assert refusal_for(_record(), _presented(), NOW) is None


def test_an_unknown_endpoint_may_not_report() -> None:
    assert refusal_for(None, _presented(), NOW) == "unknown endpoint"


def test_a_revoked_endpoint_may_not_report() -> None:
    assert refusal_for(_record(revoked=True), _presented(), NOW) == "endpoint certificate revoked"


def test_a_superseded_certificate_may_not_report() -> None:
    assert refusal_for(_record(), _presented("old"), NOW) == "certificate superseded by a newer one"


def test_the_replaced_certificate_may_report_during_the_renewal_overlap_only() -> None:
    record = _record(certificates=EndpointCertificates("new", "abc", NOW + timedelta(minutes=1)))
    assert refusal_for(record, _presented("abc"), NOW) is None
    later = NOW + timedelta(minutes=1)
    assert refusal_for(record, _presented("abc"), later) == "certificate superseded by a newer one"


def test_an_expired_certificate_is_refused_with_a_clear_reason() -> None:
    expired = _presented(expires_in=-timedelta(seconds=1))
    assert refusal_for(_record(), expired, NOW) == (
        "endpoint certificate expired: enrol again with a new token"
    )


def test_a_certificate_from_the_future_is_refused() -> None:
    early = PresentedCertificate("e1", "abc", NOW + timedelta(hours=1), NOW + timedelta(days=9))
    assert refusal_for(_record(), early, NOW) == (
        "endpoint certificate not yet valid: check the agent's clock"
    )


def test_revocation_is_named_before_expiry() -> None:
    expired = _presented(expires_in=-timedelta(days=1))
    assert refusal_for(_record(revoked=True), expired, NOW) == "endpoint certificate revoked"


def test_an_endpoint_of_a_terminated_customer_may_not_report() -> None:
    assert refusal_for(_record(customer_status="terminated"), _presented(), NOW) == (
        "service terminated: the customer's contract has ended, so the center refuses this agent"
    )


def test_termination_is_named_before_the_revocation_it_caused() -> None:
    refusal = refusal_for(_record(customer_status="terminated", revoked=True), _presented(), NOW)
    assert (refusal or "").startswith("service terminated")


def test_an_endpoint_of_a_customer_not_yet_active_may_not_report() -> None:
    assert refusal_for(_record(customer_status="submitted"), _presented(), NOW) == (
        "the customer's service is submitted, not active"
    )


def test_passwords_verify_only_against_their_hash() -> None:
    stored = hash_password("s3cret")
    assert verify_password("s3cret", stored)
    assert not verify_password("S3cret", stored)
    assert "s3cret" not in stored


def test_tokens_are_random_and_hashed() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert len(hash_token(first)) == 64
    assert hash_token(first) != first
