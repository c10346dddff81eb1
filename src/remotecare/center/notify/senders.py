"""Sending one message: e-mail over SMTP (STARTTLS and authentication, ``aiosmtplib``)
and webhooks signed in the Standard Webhooks form (``httpx``, redirects never followed).
Every failure becomes a :class:`DeliveryError` naming what went wrong."""

from __future__ import annotations

import email.message
import email.utils
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from remotecare.center.notify.messages import EmailMessage
from remotecare.center.notify.rules import signed_headers
from remotecare.errors import RemoteCareError

if TYPE_CHECKING:
    import httpx

# aiosmtplib and httpx are imported when a message goes, not when the center starts
# (about 45 ms of every start, bench/startup.py; most centers send nothing for a while).

__all__ = ["DeliveryError", "SmtpSettings", "send_email", "send_webhook", "webhook_client"]


class DeliveryError(RemoteCareError):
    """A message could not be delivered this time (it is tried again later)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where e-mail goes out. ``starttls``: upgrade the connection before authenticating
    (refuse a server that cannot); ``ca_file``: trust this CA instead of the system's.

    Usage::

        SmtpSettings("smtp.example.com", 587, "care@example.com", "care", "secret")
    """

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    ca_file: Path | None = None
    timeout_s: float = 10.0

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)


async def send_email(smtp: SmtpSettings, to: str, message: EmailMessage, message_id: str) -> None:
    """Send one message to ``to``; its Message-ID is the outbox's, the same on a retry."""
    mail = email.message.EmailMessage()
    mail["From"] = smtp.sender
    mail["To"] = to
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.formatdate(usegmt=True)
    mail["Message-ID"] = f"<{message_id}@remotecare>"
    mail.set_content(message.body)
    import aiosmtplib

    try:
        await aiosmtplib.send(
            mail,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            start_tls=smtp.starttls,
            tls_context=smtp.tls_context() if smtp.starttls else None,
            timeout=smtp.timeout_s,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {type(exc).__name__}: {exc}") from exc


def webhook_client(timeout_s: float = 10.0, ca_file: Path | None = None) -> httpx.AsyncClient:
    """A client for webhooks: bounded in time, never following a redirect (a receiver
    that moved is told by its operator, not followed blindly with a signed body)."""
    import httpx

    verify: ssl.SSLContext | bool = True
    if ca_file is not None:
        verify = ssl.create_default_context(cafile=str(ca_file))
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s), follow_redirects=False, verify=verify, trust_env=False
    )


async def send_webhook(
    client: httpx.AsyncClient,
    url: str,
    secrets: Sequence[str],
    message_id: str,
    body: bytes,
    timestamp: int,
) -> None:
    """POST ``body`` signed with each of ``secrets``; anything but a 2xx is a failure."""
    headers = signed_headers(secrets, message_id, timestamp, body)
    headers["content-type"] = "application/json"
    import httpx

    try:
        response = await client.post(url, content=body, headers=headers)
    except (TimeoutError, httpx.HTTPError) as exc:
        raise DeliveryError(f"webhook {url}: {type(exc).__name__}: {exc}") from exc
    if response.is_redirect:
        where = response.headers.get("location", "?")
        raise DeliveryError(
            f"webhook {url}: redirect {response.status_code} to {where} not followed"
        )
    if not response.is_success:
        raise DeliveryError(f"webhook {url}: HTTP {response.status_code}")
