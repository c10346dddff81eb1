"""Whom to tell, when, and how a message is signed: pure rules over plain values.

Usage::

    if matches(subscription, notice):
        held_until = quiet_until(subscription, now)   # None: send now
    headers = signed_headers([secret], message_id, timestamp, body)
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "DEAD_AFTER",
    "SECRET_PREFIX",
    "Audience",
    "Channel",
    "IncidentNotice",
    "OutboxStatus",
    "Subscription",
    "matches",
    "message_facts",
    "parse_clock_time",
    "quiet_until",
    "retry_delay",
    "signature",
    "signed_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret). Standard Webhooks: the key is the base64 after the prefix
DEAD_AFTER = timedelta(days=1)  # failing this long, a message goes to the dead letters
_FIRST_RETRY = timedelta(seconds=30)
_LAST_RETRY = timedelta(hours=1)


class Channel(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Audience(enum.StrEnum):
    """Who reads the message, which decides what it may carry (terms, article 10)."""

    CUSTOMER = "customer"
    SUBCONTRACTOR = "subcontractor"
    OPERATOR = "operator"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class IncidentNotice:
    """An incident change worth telling, with the facts a message may carry."""

    incident_id: int
    event: str  # opened, flapping, resolved
    customer_id: int
    site: str  # the customer's (organisation's) name: where the device stands
    device: str  # model and serial, or the agent's endpoint
    kind: str
    titles: Mapping[str, str]  # language -> title
    severity: str
    responder: str
    detail: str
    cause: Mapping[str, str | None] | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    name: str
    channel: Channel
    address: str
    audience: Audience
    customer_ids: frozenset[int] | None  # None: every customer
    severities: frozenset[str]
    responders: frozenset[str] | None  # None: whoever acts
    language: str
    quiet_start: time | None
    quiet_end: time | None
    timezone: str


def matches(subscription: Subscription, notice: IncidentNotice) -> bool:
    """Whether ``subscription`` wants to hear of ``notice``."""
    if (
        subscription.customer_ids is not None
        and notice.customer_id not in subscription.customer_ids
    ):
        return False
    if notice.severity not in subscription.severities:
        return False
    return subscription.responders is None or notice.responder in subscription.responders


def quiet_until(subscription: Subscription, at: datetime) -> datetime | None:
    """The end of the quiet hours ``at`` falls in (UTC), or None outside them. Quiet
    hours may span midnight (22:00 to 07:00)."""
    start, end = subscription.quiet_start, subscription.quiet_end
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(subscription.timezone)
    local = at.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    spans_midnight = start > end
    quiet = (start <= now or now < end) if spans_midnight else (start <= now < end)
    if not quiet:
        return None
    end_day = local.date()
    if now >= end:  # only when spanning midnight: the quiet hours end tomorrow
        end_day += timedelta(days=1)
    until = datetime.combine(end_day, end, tzinfo=zone)
    return until.astimezone(at.tzinfo)


_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_clock_time(text: str) -> time:
    """``"22:00"`` -> 22:00; anything else is refused with the value named."""
    found = _CLOCK.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    return time(int(found.group(1)), int(found.group(2)))


def retry_delay(attempts: int) -> timedelta:
    """After ``attempts`` failures: 30 s doubling, at most an hour."""
    delay: timedelta = _FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16)
    return min(_LAST_RETRY, delay)


def message_facts(notice: IncidentNotice, audience: Audience) -> dict[str, Any]:
    """What a message to ``audience`` carries: the incident, the site and the device, and
    for the people who repair it the probable cause. Never the customer's contacts."""
    facts: dict[str, Any] = {
        "incident_id": notice.incident_id,
        "event": notice.event,
        "kind": notice.kind,
        "titles": dict(notice.titles),
        "severity": notice.severity,
        "responder": notice.responder,
        "site": notice.site,
        "device": notice.device,
        "detail": notice.detail,
        "at": notice.at.isoformat(),
    }
    if audience is not Audience.CUSTOMER and notice.cause is not None:
        facts["cause"] = dict(notice.cause)
    return facts


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: ``v1,`` + base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per live secret (two during a
    rotation), space-separated."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, message_id, timestamp, body) for secret in secrets
        ),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: int,
    tolerance_s: int = 300,
) -> bool:
    """A receiver's check: a signature made with ``secret`` over this id, timestamp and
    body, with a timestamp within ``tolerance_s`` of ``now``."""
    try:
        timestamp = int(headers["webhook-timestamp"])
        expected = signature(secret, headers["webhook-id"], timestamp, body)
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
