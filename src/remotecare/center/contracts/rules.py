"""Whether a customer's service runs (terms, article 3): from the operator's acceptance
of the application until the service ends. Devices of a customer whose service is not
active are not enrolled, and their reports are refused."""

from __future__ import annotations

import enum

__all__ = ["ServiceStatus", "why_not_active"]


class ServiceStatus(enum.StrEnum):
    """A customer's ``status``: the application's way to an active service and its end."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    TERMINATED = "terminated"


def why_not_active(status: str) -> str | None:
    """Why devices of a customer with ``status`` may not enrol or report; None if they may."""
    if status == ServiceStatus.ACTIVE:
        return None
    return f"the customer's service is {status}, not active"
