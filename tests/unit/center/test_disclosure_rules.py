"""The pure rules of consents to disclosure (terms, article 10)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from remotecare.center.contracts.rules import (
    ContractRefused,
    DisclosureConsent,
    covered_fields,
    parse_consent,
)

WHEN = datetime(2026, 11, 3, tzinfo=UTC)


def _consent(
    purpose: int = 1,
    fields: tuple[str, ...] = ("name", "email"),
    withdrawn_at: datetime | None = None,
    withdrawn_by: str | None = None,
) -> DisclosureConsent:
    return DisclosureConsent(
        1, 7, "Tokyo Mailing KK", purpose, fields, WHEN, "form", WHEN, "admin",
        withdrawn_at, withdrawn_by,
    )  # fmt: skip


def test_a_consent_is_parsed_and_normalised() -> None:
    terms = parse_consent("  Tokyo   Mailing KK ", 3, ["phone", " NAME "], " signed  form ")
    assert (terms.recipient, terms.recipient_key) == ("Tokyo Mailing KK", "tokyo mailing kk")
    assert (terms.purpose, terms.fields, terms.evidence) == (3, ("name", "phone"), "signed form")


@pytest.mark.parametrize(
    ("recipient", "purpose", "fields", "evidence", "refusal"),
    [
        ("", 1, ["name"], "form", "names its recipient"),
        ("X", 5, ["name"], "form", "purpose 5 never gets personal data"),
        ("X", 7, ["name"], "form", "not a purpose of article 4"),
        ("X", 1, ["name", "fax"], "form", "unknown field"),
        ("X", 1, [], "form", "at least one of"),
        ("X", 1, ["name"], " ", "needs its evidence"),
    ],
)
def test_bad_consents_are_refused(
    recipient: str, purpose: int, fields: list[str], evidence: str, refusal: str
) -> None:
    with pytest.raises(ContractRefused, match=refusal):
        parse_consent(recipient, purpose, fields, evidence)


def test_a_consent_covers_its_recipient_purpose_and_fields_while_live() -> None:
    wanted = ("name", "email", "phone")
    assert covered_fields([_consent()], "tokyo mailing  KK", 1, wanted) == ("name", "email")
    assert covered_fields([_consent()], "Osaka Mailing", 1, wanted) == ()
    assert covered_fields([_consent()], "Tokyo Mailing KK", 3, wanted) == ()
    assert covered_fields([_consent()], "Tokyo Mailing KK", 1, ("phone",)) == ()
    withdrawn = _consent(withdrawn_at=WHEN, withdrawn_by="admin")
    assert not withdrawn.live
    assert covered_fields([withdrawn], "Tokyo Mailing KK", 1, wanted) == ()
    both = [_consent(fields=("name",)), _consent(fields=("phone",))]
    assert covered_fields(both, "Tokyo Mailing KK", 1, wanted) == ("name", "phone")
