from __future__ import annotations

from remotecare.center.secrets import hash_password, hash_token, new_token, verify_password
from remotecare.center.services.endpoints import EndpointRecord, refusal_for


def _record(**changes: object) -> EndpointRecord:
    fields: dict[str, object] = {
        "endpoint_id": "e1",
        "customer_id": 1,
        "certificate_serial": "abc",
        "revoked": False,
        "customer_status": "active",
    }
    fields.update(changes)
    return EndpointRecord(**fields)  # type: ignore[arg-type]


def test_an_active_endpoint_with_its_current_certificate_may_report() -> None:
    assert refusal_for(_record(), "abc") is None


def test_an_unknown_endpoint_may_not_report() -> None:
    assert refusal_for(None, "abc") == "unknown endpoint"


def test_a_revoked_endpoint_may_not_report() -> None:
    assert refusal_for(_record(revoked=True), "abc") == "endpoint certificate revoked"


def test_a_superseded_certificate_may_not_report() -> None:
    assert refusal_for(_record(), "old") == "certificate superseded by a newer one"


def test_an_endpoint_of_a_terminated_customer_may_not_report() -> None:
    assert refusal_for(_record(customer_status="terminated"), "abc") == (
        "the customer's service is terminated, not active"
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
