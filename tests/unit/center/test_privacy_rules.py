"""The privacy policy is strict data, and purpose 5's dataset covers at least k customers
per combination of quasi-identifiers."""

from __future__ import annotations

from collections import Counter

import pytest

from remotecare.center.access.rules import Role
from remotecare.center.privacy.policy import load_policy
from remotecare.center.privacy.rules import (
    QUALITY_LADDER,
    QUASI_IDENTIFIERS,
    Policy,
    PolicyInvalid,
    Purpose,
    PurposeRefused,
    k_anonymous,
)


def test_the_shipped_policy_loads_and_keeps_subcontractors_to_the_visit() -> None:
    policy = load_policy()
    assert policy.fields(Role.OPERATOR_ADMIN, Purpose.NECESSARY_CONTACT) == (
        "name",
        "email",
        "phone",
    )
    assert policy.fields(Role.SUBCONTRACTOR, Purpose.PROVIDING_SERVICES) == ("name", "phone")
    assert policy.fields(Role.SUBCONTRACTOR, Purpose.NEWS) == ()
    assert policy.fields(Role.CUSTOMER_USER, Purpose.NECESSARY_CONTACT) == ("name",)
    assert all(purpose != Purpose.QUALITY_IMPROVEMENT for _, purpose in policy.grants)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"roles": {"janitor": {1: ["name"]}}}, "'janitor' is not a role"),
        ({"roles": {"operator_staff": {7: ["name"]}}}, "not a purpose of article 4"),
        ({"roles": {"operator_staff": {1: ["salary"]}}}, "a list of name, email, phone"),
        ({"roles": {"operator_staff": {5: ["name"]}}}, "purpose 5 gets non-identifying"),
        ({"roles": {"device": {1: ["name"]}}}, "never reads personal data"),
        ({"roles": {}, "extra": 1}, "one key, roles"),
    ],
)
def test_a_malformed_policy_is_refused(data: object, problem: str) -> None:
    with pytest.raises(PolicyInvalid, match=problem):
        Policy.from_mapping(data)


def test_purposes_are_read_by_number_or_name_and_nothing_else() -> None:
    assert Purpose.parse("6") is Purpose.NEWS
    assert Purpose.parse("necessary_contact") is Purpose.NECESSARY_CONTACT
    with pytest.raises(PurposeRefused, match="not a purpose of article 4"):
        Purpose.parse("marketing")
    with pytest.raises(PurposeRefused):
        Purpose.parse("0")


def _row(region: str, services: str = "meters", cutoff: str = "20") -> dict[str, str]:
    return {"region": region, "services": services, "billing_cutoff": cutoff, "contacts": "1"}


def _smallest_group(rows: list[dict[str, str]]) -> int:
    return min(Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in rows).values())


def test_the_first_rung_that_covers_k_customers_is_used() -> None:
    rows = [_row(f"100-000{i}") for i in range(5)] + [_row(f"105-000{i}") for i in range(5)]
    kept, rung = k_anonymous(rows, QUASI_IDENTIFIERS, QUALITY_LADDER, k=5)
    assert rung == QUALITY_LADDER[0].name
    assert sorted({r["region"] for r in kept}) == ["100*", "105*"]
    assert _smallest_group(kept) >= 5


def test_rare_combinations_are_generalised_further() -> None:
    rows = [_row(f"10{i}-0001", cutoff=str(10 + i)) for i in range(6)]
    kept, rung = k_anonymous(rows, QUASI_IDENTIFIERS, QUALITY_LADDER, k=5)
    assert rung != QUALITY_LADDER[0].name
    assert len(kept) == 6
    assert _smallest_group(kept) >= 5


def test_fewer_than_k_customers_give_nothing_at_all() -> None:
    rows = [_row("100-0001"), _row("999-9999", "supplies", "5")]
    kept, rung = k_anonymous(rows, QUASI_IDENTIFIERS, QUALITY_LADDER, k=5)
    assert kept == []
    assert rung == QUALITY_LADDER[-1].name
