"""Customers for tests: an application entered and accepted, as an operator would."""

from __future__ import annotations

import re
from typing import Any

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.config import CenterSettings
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.identity.enrolment import IssuedToken


def sample_application(organisation: str = "Acme Ltd", **overrides: Any) -> dict[str, Any]:
    """A complete, valid application (JSON form) for ``organisation``."""
    domain = re.sub(r"[^a-z0-9]+", "-", organisation.lower()).strip("-") or "customer"
    application: dict[str, Any] = {
        "organisation": organisation,
        "sites": [{"name": "Head office", "postal_code": "100-0005", "address": "1-1 Marunouchi"}],
        "contacts": [
            {
                "name": "Hanako Yamada",
                "email": f"hanako@{domain}.example",
                "phone": "+81 3 1234 5678",
            }
        ],
        "services": ["supplies", "meters", "fault_monitoring"],
        "billing_cutoff_day": 20,
        "consents_to_news": False,
    }
    application.update(overrides)
    return application


def accept_customer(center: Center, organisation: str = "Acme Ltd", **overrides: Any) -> int:
    """The id of ``organisation`` as a customer: its application entered and accepted
    now, unless it is a customer already."""
    with center.transactions.begin() as conn:
        existing = customer_by_name(conn, organisation)
        if existing is not None:
            return existing
        application_id = center.contracts.submit(
            conn, ADMINISTRATOR, sample_application(organisation, **overrides)
        )
        return center.contracts.accept(conn, ADMINISTRATOR, application_id)


def accept_customer_at(settings: CenterSettings, organisation: str = "Acme Ltd") -> int:
    """``accept_customer`` for a center running elsewhere (another process)."""
    center = bootstrap(settings)
    try:
        return accept_customer(center, organisation)
    finally:
        center.dispose()


def issue_token(center: Center, customer: str = "Acme Ltd", **options: Any) -> IssuedToken:
    """An enrolment token for ``customer``, accepting its application first if need be."""
    accept_customer(center, customer)
    return center.admin.create_token(customer, **options)
