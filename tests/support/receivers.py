"""Real receivers on loopback for notification tests: an SMTP server (aiosmtpd) that
demands STARTTLS with a certificate our CA issued and then a login, misbehaving SMTP
servers, and an HTTP webhook receiver that verifies Standard Webhooks signatures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from remotecare.center.notify.rules import verify
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.keys import generate_private_key, write_private_key
from tests.support.ports import free_tcp_port

__all__ = [
    "SMTP_PASSWORD",
    "SMTP_USER",
    "HangingSmtp",
    "SmtpInbox",
    "WebhookReceiver",
    "issue_loopback_ca",
    "smtp_server",
    "webhook_receiver",
]

SMTP_USER = "care"
SMTP_PASSWORD = "mail-password"


@dataclass(frozen=True)
class LoopbackCa:
    ca_file: Path
    cert_file: Path
    key_file: Path


def issue_loopback_ca(directory: Path) -> LoopbackCa:
    """A CA of ours and a server certificate it issued for 127.0.0.1 and localhost."""
    ca = CertificateAuthority.create(directory / "ca", "Remote Care test CA")
    key = generate_private_key()
    issued = ca.issue_server_certificate(key, ["127.0.0.1", "localhost"])
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_text(issued.pem)
    write_private_key(key_file, key)
    return LoopbackCa(directory / "ca" / "ca.pem", cert_file, key_file)


@dataclass
class SmtpInbox:
    """What the SMTP server received, and how it should behave."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    drop_mid_message: bool = False
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_mid_message:
            server.transport.close()  # the connection drops before the answer
            return "451 dropped"
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok)


@contextlib.contextmanager
def smtp_server(ca: LoopbackCa, *, drop_mid_message: bool = False) -> Iterator[SmtpInbox]:
    """aiosmtpd on 127.0.0.1: STARTTLS required (our CA's certificate), then AUTH."""
    inbox = SmtpInbox(drop_mid_message=drop_mid_message)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(ca.cert_file, ca.key_file)
    port = free_tcp_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
        auth_exclude_mechanism=["CRAM-MD5"],
        ready_timeout=10,
    )
    controller.start()
    inbox.port = port
    try:
        yield inbox
    finally:
        controller.stop()


class HangingSmtp:
    """A TCP server that accepts and never says a word (an SMTP server that hangs)."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(8)
        self.port = self._socket.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._socket.settimeout(0.2)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                connection, _ = self._socket.accept()
                self._held.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for connection in self._held:
            connection.close()
        self._socket.close()


@dataclass
class WebhookReceiver:
    """An HTTP receiver on loopback: ``/ok`` verifies with ``secret`` and keeps what it
    got, ``/fail`` answers 500, ``/hang`` never answers, ``/moved`` redirects to ``/ok``."""

    secret: str
    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    failures: int = 0
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _ok(self, request: web.Request) -> web.Response:
        self.hits["/ok"] = self.hits.get("/ok", 0) + 1
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not verify(self.secret, headers, body, int(time.time())):
            self.refused += 1
            return web.Response(status=401)
        self.received.append({"id": headers["webhook-id"], **json.loads(body)})
        return web.Response(status=204)

    async def _fail(self, request: web.Request) -> web.Response:
        self.failures += 1
        return web.Response(status=500)

    async def _hang(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response(status=204)

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/ok")


@contextlib.asynccontextmanager
async def webhook_receiver(secret: str) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret)
    app = web.Application()
    app.router.add_post("/ok", receiver._ok)
    app.router.add_post("/fail", receiver._fail)
    app.router.add_post("/hang", receiver._hang)
    app.router.add_post("/moved", receiver._moved)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    receiver.port = free_tcp_port()
    site = web.TCPSite(runner, "127.0.0.1", receiver.port)
    await site.start()
    try:
        yield receiver
    finally:
        await runner.cleanup()
