"""Whether a customer's service runs (terms, article 3): from the operator's acceptance
of the application until the service ends. Devices of a customer whose service is not
active are not enrolled, and their reports are refused.

Also the application itself (申込書): what it must contain, checked here with plain values
(``parse_application``), and the decisions on it (``decide``, ``may_terminate``).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from remotecare.errors import OperatorError

__all__ = [
    "DISCLOSABLE_FIELDS",
    "DISCLOSABLE_PURPOSES",
    "SERVICE_TERMINATED",
    "Application",
    "ApplicationInvalid",
    "ApplicationStatus",
    "Channel",
    "ConsentTerms",
    "Contact",
    "ContractRefused",
    "DisclosureConsent",
    "Service",
    "ServiceStatus",
    "Site",
    "covered_fields",
    "decide",
    "erasure_due_on",
    "generalised_postal_code",
    "may_terminate",
    "organisation_key",
    "parse_application",
    "parse_consent",
    "parse_contacts",
    "parse_services",
    "recipient_key",
    "services_from_text",
    "services_text",
    "why_not_active",
]

# The start of the refusal an agent of a terminated customer gets: `agent doctor` knows it.
SERVICE_TERMINATED = "service terminated"

_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,24}$")
_POSTAL_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z \-]{1,11}$")
MAX_SITES = 50
MAX_CONTACTS = 20


class ServiceStatus(enum.StrEnum):
    """A customer's ``status``: the application's way to an active service and its end."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    TERMINATED = "terminated"


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Channel(enum.StrEnum):
    """How an application arrived."""

    OPERATOR = "operator"  # typed in by an operator (command line, console)
    PUBLIC_FORM = "public_form"  # the customer's own, on the public form


class Service(enum.StrEnum):
    """What a contract can include; a care service runs only for customers who chose it."""

    SUPPLIES = "supplies"  # supplies delivery
    METERS = "meters"  # meter reads
    FAULT_MONITORING = "fault_monitoring"


class ContractRefused(OperatorError):
    """A contract operation refused as asked; nothing was changed."""


class ApplicationInvalid(ContractRefused):
    """An application (or a change) with missing or malformed fields; ``problems`` names each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("application refused: " + "; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    postal_code: str
    address: str


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact person: personal data, read only through the privacy service."""

    name: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Application:
    organisation: str
    sites: tuple[Site, ...]
    contacts: tuple[Contact, ...]
    services: frozenset[Service]
    billing_cutoff_day: int  # 1-31; past a month's last day means its last day
    consents_to_news: bool  # purpose 6 of article 4: an explicit yes or no


def why_not_active(status: str) -> str | None:
    """Why devices of a customer with ``status`` may not enrol or report; None if they may."""
    if status == ServiceStatus.ACTIVE:
        return None
    if status == ServiceStatus.TERMINATED:
        return (
            f"{SERVICE_TERMINATED}: the customer's contract has ended, "
            "so the center refuses this agent"
        )
    return f"the customer's service is {status}, not active"


def organisation_key(name: str) -> str:
    """The form of an organisation's name that duplicates are compared by."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _text(data: Mapping[str, object], key: str, where: str, problems: list[str], limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}{key} is missing")
        return ""
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        problems.append(f"{where}{key} is longer than {limit} characters")
    return cleaned


def _unknown(data: Mapping[str, object], known: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(data) - known):
        problems.append(f"{where}{key} is not a field of an application")


def _contact(data: object, where: str, problems: list[str]) -> Contact | None:
    if not isinstance(data, Mapping):
        problems.append(f"{where}is not an object")
        return None
    _unknown(data, {"name", "email", "phone"}, where, problems)
    name = _text(data, "name", where, problems, 200)
    email = _text(data, "email", where, problems, 254)
    phone = _text(data, "phone", where, problems, 24)
    if email and not _EMAIL.match(email):
        problems.append(f"{where}email {email!r} is not an e-mail address")
    if phone and not (_PHONE.match(phone) and sum(c.isdigit() for c in phone) >= 6):
        problems.append(f"{where}phone {phone!r} is not a telephone number")
    return Contact(name, email, phone)


def _site(data: object, where: str, problems: list[str]) -> Site | None:
    if not isinstance(data, Mapping):
        problems.append(f"{where}is not an object")
        return None
    _unknown(data, {"name", "postal_code", "address"}, where, problems)
    name = _text(data, "name", where, problems, 200)
    postal_code = _text(data, "postal_code", where, problems, 12)
    address = _text(data, "address", where, problems, 500)
    if postal_code and not _POSTAL_CODE.match(postal_code):
        problems.append(f"{where}postal_code {postal_code!r} is not a postal code")
    return Site(name, postal_code, address)


def _list(data: Mapping[str, object], key: str, problems: list[str], most: int) -> list[object]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        problems.append(f"{key} must list at least one")
        return []
    if len(value) > most:
        problems.append(f"{key} lists more than {most}")
        return []
    return value


def parse_services(value: object, problems: list[str]) -> frozenset[Service]:
    """The services named in ``value`` (a list of names); problems are appended."""
    if not isinstance(value, list) or not value:
        problems.append(f"services must list at least one of {', '.join(Service)}")
        return frozenset()
    chosen: set[Service] = set()
    for item in value:
        if not isinstance(item, str) or item not in Service.__members__.values():
            problems.append(f"services: {item!r} is not one of {', '.join(Service)}")
        else:
            chosen.add(Service(item))
    return frozenset(chosen)


def parse_contacts(value: object) -> tuple[Contact, ...]:
    """A contacts list on its own (a change of contacts); ``ApplicationInvalid`` if bad."""
    problems: list[str] = []
    contacts = _contacts({"contacts": value}, problems)
    if problems:
        raise ApplicationInvalid(problems)
    return contacts


def _contacts(data: Mapping[str, object], problems: list[str]) -> tuple[Contact, ...]:
    found = [
        _contact(item, f"contacts[{i}].", problems)
        for i, item in enumerate(_list(data, "contacts", problems, MAX_CONTACTS))
    ]
    emails = [c.email.casefold() for c in found if c is not None and c.email]
    if len(set(emails)) != len(emails):
        problems.append("contacts: the same e-mail address twice")
    return tuple(c for c in found if c is not None)


def parse_application(data: object) -> Application:
    """An application from its JSON form; ``ApplicationInvalid`` names every problem.

    Usage::

        parse_application({"organisation": "Acme Ltd", "sites": [...], "contacts": [...],
                           "services": ["supplies"], "billing_cutoff_day": 20,
                           "consents_to_news": False})
    """
    if not isinstance(data, Mapping):
        raise ApplicationInvalid(["an application is a JSON object"])
    problems: list[str] = []
    known = {"organisation", "sites", "contacts", "services", "billing_cutoff_day"}
    _unknown(data, known | {"consents_to_news"}, "", problems)
    organisation = _text(data, "organisation", "", problems, 200)
    sites = [
        _site(item, f"sites[{i}].", problems)
        for i, item in enumerate(_list(data, "sites", problems, MAX_SITES))
    ]
    names = [organisation_key(s.name) for s in sites if s is not None and s.name]
    if len(set(names)) != len(names):
        problems.append("sites: two sites with the same name")
    contacts = _contacts(data, problems)
    services = parse_services(data.get("services"), problems)
    cutoff = data.get("billing_cutoff_day")
    if not isinstance(cutoff, int) or isinstance(cutoff, bool) or not 1 <= cutoff <= 31:
        problems.append("billing_cutoff_day must be a whole day of the month, 1 to 31")
        cutoff = 0
    consent = data.get("consents_to_news")
    if not isinstance(consent, bool):
        problems.append("consents_to_news must be an explicit true or false (purpose 6)")
        consent = False
    if problems:
        raise ApplicationInvalid(problems)
    return Application(
        organisation,
        tuple(s for s in sites if s is not None),
        contacts,
        services,
        cutoff,
        consent,
    )


def decide(status: str, accept: bool, reason: str | None) -> ApplicationStatus:
    """The application's status after the operator's decision; ``ContractRefused`` if the
    application was already decided or a rejection gives no reason."""
    if status != ApplicationStatus.SUBMITTED:
        raise ContractRefused(f"the application was already {status}: it cannot be decided again")
    if not accept and not (reason and reason.strip()):
        raise ContractRefused("a rejection needs a reason")
    return ApplicationStatus.ACCEPTED if accept else ApplicationStatus.REJECTED


def may_terminate(status: str, effective_on: date, today: date) -> None:
    """Refuse (``ContractRefused``) a termination that cannot be recorded."""
    if status == ServiceStatus.TERMINATED:
        raise ContractRefused("the customer's service is already terminated")
    if status != ServiceStatus.ACTIVE:
        raise ContractRefused(f"the customer's service is {status}: only an active one ends")
    if effective_on > today:
        raise ContractRefused(
            f"the termination date {effective_on} is in the future: record it on that day"
        )


def erasure_due_on(effective_on: date, days: int) -> date:
    """The day a terminated customer's personal data is erased (terms, article 11):
    ``days`` after the service ended."""
    return effective_on + timedelta(days=days)


def generalised_postal_code(code: str) -> str:
    """What is kept of a site's postal code after erasure: its area only."""
    return code[:3] + "*"


def services_text(services: Iterable[Service]) -> str:
    """How a set of services is stored: names sorted, comma-separated."""
    return ",".join(sorted(str(s) for s in services))


def services_from_text(text: str) -> frozenset[Service]:
    return frozenset(Service(name) for name in text.split(",") if name)


# Disclosure to third parties (terms, article 10): the customer's consent as data.

DISCLOSABLE_FIELDS = ("name", "email", "phone")
# Article 4's purposes; 5 (quality improvement) never gets personal data, so no consent
# can cover it.
DISCLOSABLE_PURPOSES = (1, 2, 3, 4, 6)
EVIDENCE_LIMIT = 500
RECIPIENT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What a customer consented to: whom its contacts' data may go to, for which
    purpose, which fields, and the evidence of it."""

    recipient: str  # as written, whitespace collapsed
    recipient_key: str  # compared by (``recipient_key``)
    purpose: int
    fields: tuple[str, ...]  # in the order of DISCLOSABLE_FIELDS
    evidence: str


@dataclass(frozen=True, slots=True)
class DisclosureConsent:
    """A recorded consent; withdrawn ones are kept, with when and by whom."""

    id: int
    customer_id: int
    recipient: str
    purpose: int
    fields: tuple[str, ...]
    given_at: datetime
    evidence: str
    recorded_at: datetime
    recorded_by: str
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "recipient": self.recipient,
            "purpose": self.purpose,
            "fields": list(self.fields),
            "given_at": self.given_at.isoformat(),
            "evidence": self.evidence,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "withdrawn_at": None if self.withdrawn_at is None else self.withdrawn_at.isoformat(),
            "withdrawn_by": self.withdrawn_by,
        }


def recipient_key(name: str) -> str:
    """The form of a recipient's name that consents and partners are compared by."""
    return organisation_key(name)


def parse_consent(
    recipient: str, purpose: int, fields: Iterable[str], evidence: str
) -> ConsentTerms:
    """The consent as asked, or ``ContractRefused`` naming every problem."""
    problems: list[str] = []
    shown = " ".join(recipient.split())
    if not shown:
        problems.append("a consent names its recipient")
    elif len(shown) > RECIPIENT_LIMIT:
        problems.append(f"the recipient is longer than {RECIPIENT_LIMIT} characters")
    if purpose == 5:
        problems.append("purpose 5 never gets personal data: no consent can cover it")
    elif purpose not in DISCLOSABLE_PURPOSES:
        problems.append(f"{purpose!r} is not a purpose of article 4 (1-6)")
    asked = [f.strip().lower() for f in fields if f.strip()]
    unknown = sorted(set(asked) - set(DISCLOSABLE_FIELDS))
    if unknown:
        problems.append(
            f"unknown field(s) {', '.join(unknown)}: fields are {', '.join(DISCLOSABLE_FIELDS)}"
        )
    elif not asked:
        problems.append(f"a consent covers at least one of {', '.join(DISCLOSABLE_FIELDS)}")
    cleaned_evidence = " ".join(evidence.split())
    if not cleaned_evidence:
        problems.append("a consent needs its evidence (e.g. 'signed form of 2026-11-03')")
    elif len(cleaned_evidence) > EVIDENCE_LIMIT:
        problems.append(f"the evidence is longer than {EVIDENCE_LIMIT} characters")
    if problems:
        raise ContractRefused("; ".join(problems))
    return ConsentTerms(
        shown,
        recipient_key(shown),
        purpose,
        tuple(f for f in DISCLOSABLE_FIELDS if f in asked),
        cleaned_evidence,
    )


def covered_fields(
    consents: Iterable[DisclosureConsent],
    recipient: str,
    purpose: int,
    wanted: Sequence[str],
) -> tuple[str, ...]:
    """Of the ``wanted`` fields, those a live consent for ``recipient`` and ``purpose``
    covers (empty: the export is not covered)."""
    key = recipient_key(recipient)
    granted = {
        field
        for consent in consents
        if consent.live and recipient_key(consent.recipient) == key and consent.purpose == purpose
        for field in consent.fields
    }
    return tuple(f for f in wanted if f in granted)
