"""An application is complete and well-formed or refused with every problem named; the
decisions on it and on a termination refuse what cannot be done."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from remotecare.center.contracts.rules import (
    ApplicationInvalid,
    ApplicationStatus,
    ContractRefused,
    Service,
    decide,
    may_terminate,
    organisation_key,
    parse_application,
    parse_contacts,
    why_not_active,
)
from tests.support.contracts import sample_application


def _problems(data: Any) -> list[str]:
    with pytest.raises(ApplicationInvalid) as refused:
        parse_application(data)
    return refused.value.problems


def test_a_complete_application_is_read_with_its_choices() -> None:
    application = parse_application(sample_application("  Acme   Ltd ", consents_to_news=True))
    assert application.organisation == "Acme Ltd"
    assert application.services == {Service.SUPPLIES, Service.METERS, Service.FAULT_MONITORING}
    assert application.billing_cutoff_day == 20
    assert application.consents_to_news is True
    assert application.contacts[0].email == "hanako@acme-ltd.example"
    assert application.sites[0].postal_code == "100-0005"


def test_every_missing_field_is_named() -> None:
    problems = _problems({})
    assert problems == [
        "organisation is missing",
        "sites must list at least one",
        "contacts must list at least one",
        "services must list at least one of supplies, meters, fault_monitoring",
        "billing_cutoff_day must be a whole day of the month, 1 to 31",
        "consents_to_news must be an explicit true or false (purpose 6)",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"contacts": [{"name": "A", "email": "not-an-address", "phone": "03 1234 5678"}]},
         "contacts[0].email 'not-an-address' is not an e-mail address"),
        ({"contacts": [{"name": "A", "email": "a@b.example", "phone": "call me"}]},
         "contacts[0].phone 'call me' is not a telephone number"),
        ({"contacts": [{"name": "", "email": "a@b.example", "phone": "03 1234 5678"}]},
         "contacts[0].name is missing"),
        ({"services": ["supplies", "coffee"]},
         "services: 'coffee' is not one of supplies, meters, fault_monitoring"),
        ({"billing_cutoff_day": 0}, "billing_cutoff_day must be a whole day of the month, 1 to 31"),
        ({"billing_cutoff_day": "20"},
         "billing_cutoff_day must be a whole day of the month, 1 to 31"),
        ({"consents_to_news": None},
         "consents_to_news must be an explicit true or false (purpose 6)"),
        ({"consents_to_news": "yes"},
         "consents_to_news must be an explicit true or false (purpose 6)"),
        ({"sites": [{"name": "HQ", "postal_code": "!!", "address": "x"}]},
         "sites[0].postal_code '!!' is not a postal code"),
        ({"sites": "HQ"}, "sites must list at least one"),
        ({"fax": "03"}, "fax is not a field of an application"),
        ({"organisation": "x" * 201}, "organisation is longer than 200 characters"),
    ],
)  # fmt: skip
def test_a_malformed_field_is_refused_by_name(change: dict[str, Any], problem: str) -> None:
    assert problem in _problems(sample_application(**change))


def test_the_same_contact_twice_is_refused() -> None:
    person = {"name": "A", "email": "a@b.example", "phone": "03 1234 5678"}
    twice = {**person, "email": "A@B.example"}
    assert "contacts: the same e-mail address twice" in _problems(
        sample_application(contacts=[person, twice])
    )


def test_an_application_that_is_not_an_object_is_refused() -> None:
    assert _problems(["Acme"]) == ["an application is a JSON object"]


def test_a_change_of_contacts_is_checked_like_an_application() -> None:
    with pytest.raises(ApplicationInvalid, match="contacts must list at least one"):
        parse_contacts([])
    assert parse_contacts([{"name": "B", "email": "b@c.example", "phone": "+1 555 0100"}])


def test_organisations_are_compared_without_case_width_or_spacing() -> None:
    assert organisation_key(
        "\uff21\uff23\uff2d\uff25  Ltd"
    )  # full-width ACME == organisation_key("acme ltd")


def test_an_application_is_decided_once() -> None:
    assert decide("submitted", True, None) is ApplicationStatus.ACCEPTED
    assert decide("submitted", False, "no coverage there") is ApplicationStatus.REJECTED
    with pytest.raises(ContractRefused, match="already rejected"):
        decide("rejected", True, None)
    with pytest.raises(ContractRefused, match="already accepted"):
        decide("accepted", False, "changed our mind")


def test_a_rejection_needs_a_reason() -> None:
    with pytest.raises(ContractRefused, match="needs a reason"):
        decide("submitted", False, "  ")


def test_only_an_active_service_ends_and_not_in_the_future() -> None:
    today = date(2026, 12, 4)
    may_terminate("active", today, today)
    with pytest.raises(ContractRefused, match="already terminated"):
        may_terminate("terminated", today, today)
    with pytest.raises(ContractRefused, match="in the future"):
        may_terminate("active", date(2027, 1, 1), today)


def test_why_not_active_names_the_status() -> None:
    assert why_not_active("active") is None
    assert why_not_active("submitted") == "the customer's service is submitted, not active"
    assert (why_not_active("terminated") or "").startswith("service terminated:")
