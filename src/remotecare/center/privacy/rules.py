"""What a read of personal data may return (terms, articles 4 and 5(2)): the six purposes,
the policy (role x purpose x field, kept as data in ``policy.yaml``), and making a dataset
non-identifying for purpose 5 by generalising quasi-identifiers until every combination
covers at least ``K_ANONYMITY`` customers.

Pure decisions: the policy arrives as a mapping (``privacy/policy.py`` reads the file).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from remotecare.center.access.rules import Role
from remotecare.errors import OperatorError

__all__ = [
    "CONTACT_FIELDS",
    "K_ANONYMITY",
    "QUALITY_LADDER",
    "QUASI_IDENTIFIERS",
    "Generalisation",
    "Policy",
    "PolicyInvalid",
    "Purpose",
    "PurposeRefused",
    "k_anonymous",
]

CONTACT_FIELDS = ("name", "email", "phone")
K_ANONYMITY = 5  # customers per combination of quasi-identifiers, at least


class Purpose(enum.IntEnum):
    """The six purposes of article 4 for which customer information may be used."""

    PROVIDING_SERVICES = 1
    NECESSARY_CONTACT = 2
    SHIPPING_ADDRESS = 3
    DEVICE_INFORMATION = 4  # identifying devices and informing about them
    QUALITY_IMPROVEMENT = 5  # non-identifying data only
    NEWS = 6  # new products and services: only with the customer's consent

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]

    @classmethod
    def parse(cls, value: object) -> Purpose:
        """A purpose from its number or name; ``PurposeRefused`` if it is none of the six."""
        try:
            if isinstance(value, str) and not value.isdigit():
                return cls[value.upper()]
            return cls(int(str(value)))
        except (KeyError, ValueError):
            names = ", ".join(f"{p.value} ({p.name.lower()})" for p in cls)
            raise PurposeRefused(f"{value!r} is not a purpose of article 4: {names}") from None


_DESCRIPTIONS = {
    Purpose.PROVIDING_SERVICES: "providing the services",
    Purpose.NECESSARY_CONTACT: "necessary contact",
    Purpose.SHIPPING_ADDRESS: "shipping address for materials",
    Purpose.DEVICE_INFORMATION: "identifying devices and informing about them",
    Purpose.QUALITY_IMPROVEMENT: "improving products and services (non-identifying)",
    Purpose.NEWS: "information on new products and services (with consent)",
}


class PurposeRefused(OperatorError):
    """A read of personal data refused for its purpose, role or scope; nothing was read."""


class PolicyInvalid(OperatorError):
    """The privacy policy file is malformed (an unknown role, purpose or field)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """Which contact fields each role gets for each purpose; anything unlisted: nothing.

    Usage::

        policy = Policy.from_mapping({"roles": {"operator_staff": {2: ["name", "phone"]}}})
        policy.fields(Role.OPERATOR_STAFF, Purpose.NECESSARY_CONTACT)   # ("name", "phone")
    """

    grants: Mapping[tuple[Role, Purpose], tuple[str, ...]]

    @classmethod
    def from_mapping(cls, data: object) -> Policy:
        if not isinstance(data, Mapping) or set(data) - {"roles"}:
            raise PolicyInvalid("a privacy policy is a mapping with one key, roles")
        roles = data.get("roles")
        if not isinstance(roles, Mapping):
            raise PolicyInvalid("roles: a mapping of role to purposes")
        grants: dict[tuple[Role, Purpose], tuple[str, ...]] = {}
        for role_name, purposes in roles.items():
            try:
                role = Role(role_name)
            except ValueError:
                raise PolicyInvalid(f"roles: {role_name!r} is not a role") from None
            if role in (Role.DEVICE, Role.ANONYMOUS):
                raise PolicyInvalid(f"roles: {role} never reads personal data")
            if not isinstance(purposes, Mapping):
                raise PolicyInvalid(f"roles.{role}: a mapping of purpose to fields")
            for purpose_key, fields in purposes.items():
                try:
                    purpose = Purpose.parse(purpose_key)
                except PurposeRefused as exc:
                    raise PolicyInvalid(f"roles.{role}: {exc}") from None
                if purpose == Purpose.QUALITY_IMPROVEMENT:
                    raise PolicyInvalid(
                        f"roles.{role}: purpose 5 gets non-identifying data only, never fields"
                    )
                if not isinstance(fields, list) or not all(f in CONTACT_FIELDS for f in fields):
                    raise PolicyInvalid(
                        f"roles.{role}.{purpose.value}: a list of {', '.join(CONTACT_FIELDS)}"
                    )
                grants[(role, purpose)] = tuple(f for f in CONTACT_FIELDS if f in fields)
        return cls(grants)

    def fields(self, role: Role, purpose: Purpose) -> tuple[str, ...]:
        return self.grants.get((role, purpose), ())


@dataclass(frozen=True, slots=True)
class Generalisation:
    """One rung of the ladder: each quasi-identifier's value made coarser."""

    name: str
    coarsen: Mapping[str, Callable[[str], str]]

    def apply(self, row: Mapping[str, str]) -> dict[str, str]:
        return {key: self.coarsen.get(key, _keep)(value) for key, value in row.items()}


def _keep(value: str) -> str:
    return value


def k_anonymous(
    rows: Sequence[Mapping[str, str]],
    quasi_identifiers: Sequence[str],
    ladder: Sequence[Generalisation],
    k: int = K_ANONYMITY,
) -> tuple[list[dict[str, str]], str]:
    """``rows`` (one per customer) generalised by the first rung of ``ladder`` at which
    every combination of ``quasi_identifiers`` covers at least ``k`` rows; at the last
    rung, rows of smaller combinations are left out. Returns the rows and the rung's name.

    Usage::

        rows, rung = k_anonymous(profiles, ["region", "services"], LADDER)
    """
    if not ladder:
        raise ValueError("a ladder needs at least one rung")
    for rung in ladder:
        generalised = [rung.apply(row) for row in rows]
        sizes = Counter(tuple(row[q] for q in quasi_identifiers) for row in generalised)
        if all(size >= k for size in sizes.values()):
            return generalised, rung.name
    kept = [row for row in generalised if sizes[tuple(row[q] for q in quasi_identifiers)] >= k]
    return kept, ladder[-1].name


# Purpose 5's dataset: one row per customer, every column a quasi-identifier (the sites'
# postal area, the services chosen, the billing cut-off, how many contacts), coarsened
# rung by rung. Names and e-mail addresses never enter it.
QUASI_IDENTIFIERS = ("region", "services", "billing_cutoff", "contacts")


def _postal_area(digits: int) -> Callable[[str], str]:
    def coarsen(code: str) -> str:
        return code[:digits] + "*" if digits else "*"

    return coarsen


def _third_of_month(day: str) -> str:
    number = int(day)
    return "1-10" if number <= 10 else "11-20" if number <= 20 else "21-31"


def _service_count(services: str) -> str:
    return f"{len(services.split(','))} service(s)"


def _contacts_band(count: str) -> str:
    return "1" if count == "1" else "2+"


def _anything(value: str) -> str:
    return "*"


QUALITY_LADDER = (
    Generalisation(
        "postal area of 3, services, cut-off day",
        {"region": _postal_area(3), "contacts": _contacts_band},
    ),
    Generalisation(
        "postal area of 2, services, third of the month",
        {
            "region": _postal_area(2),
            "billing_cutoff": _third_of_month,
            "contacts": _contacts_band,
        },
    ),
    Generalisation(
        "postal area of 1, number of services",
        {
            "region": _postal_area(1),
            "services": _service_count,
            "billing_cutoff": _anything,
            "contacts": _anything,
        },
    ),
    Generalisation("everything generalised", dict.fromkeys(QUASI_IDENTIFIERS, _anything)),
)
