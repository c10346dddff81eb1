"""A small HTTP/1.1 client on asyncio streams: the agent's calls to the center and its IPP
requests to printers, without aiohttp (about 14 MB of the agent's resident memory).

The standard library's ``http.client`` blocks: run in a thread, a call could neither be
cancelled when the agent stops nor held to one time budget, so the agent speaks the little
HTTP/1.1 it needs itself:

- one request at a time per connection, connections kept alive and reused (a few at most);
- bodies framed by ``Content-Length``, ``Transfer-Encoding: chunked`` or the connection's end;
- TLS with the caller's :class:`ssl.SSLContext`, directly or inside a ``CONNECT`` tunnel
  through an HTTP proxy (``StreamWriter.start_tls``);
- a cap on an answer's size, and one time budget per request (connect, send, answer).

Usage::

    async with HttpClient(tls=context, timeout_s=30, proxy=Tunnel("proxy", 3128)) as http:
        answer = await http.request("POST", "https://center:8443/api/v1/x", body=b"{}")
        answer.status, answer.headers.get("Retry-After"), answer.body

Errors (every one an :class:`HttpError`)::

    HttpError
     +-- ConnectFailed        the origin's address could not be reached (.os_error)
     +-- TlsFailed            the TLS handshake failed (.ssl_error)
     +-- ProxyUnreachable     the proxy's address could not be reached
     +-- ProxyRefused         the proxy answered CONNECT with something else than 2xx
     +-- BadResponse          the answer is not HTTP/1.x, or is cut short
          +-- BodyTooLarge     the answer's body is larger than allowed
    TimeoutError              the budget ran out (not an HttpError: the caller names it)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from remotecare.errors import (
    BadResponse,
    BodyTooLarge,
    ConnectFailed,
    HttpError,
    NothingReceived,
    ProxyRefused,
    ProxyUnreachable,
    TlsFailed,
)

__all__ = [
    "BadResponse",
    "BodyTooLarge",
    "ConnectFailed",
    "HttpClient",
    "HttpError",
    "ProxyRefused",
    "ProxyUnreachable",
    "Response",
    "TlsFailed",
    "Tunnel",
    "basic_credentials",
]

_MAX_HEAD_BYTES: Final = 64 * 1024  # status line and headers together
_MAX_HEADERS: Final = 100
_READ_CHUNK: Final = 64 * 1024
_NO_BODY_STATUSES: Final = frozenset({204, 304})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_IDLE_CONNECTIONS: Final = 4
_CLOSE_WAIT_S: Final = 2.0
USER_AGENT: Final = "remotecare-agent"


def basic_credentials(username: str, password: str) -> str:
    """The value of a Basic ``Authorization``/``Proxy-Authorization`` header (RFC 7617)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Tunnel:
    """An HTTP proxy that opens ``CONNECT`` tunnels; ``authorization`` is the
    ``Proxy-Authorization`` value, if it wants one."""

    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Response:
    """A whole answer. Header names are in title case (``Retry-After``, ``Content-Type``)."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str | None:
        """The media type of ``Content-Type`` without parameters, lower case."""
        value = self.headers.get("Content-Type")
        return None if value is None else value.split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str  # without brackets
    port: int

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if _DEFAULT_PORTS.get(self.scheme) == self.port else f"{host}:{self.port}"

    @property
    def host_port(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class HttpClient:
    """Requests to one or more origins, connections kept alive between them.

    ``tls`` is used for ``https`` URLs (``None``: refuse them); ``proxy`` tunnels every
    connection through an HTTP proxy with ``CONNECT``; ``timeout_s`` bounds each request
    from connecting to the answer's last byte; an answer's body larger than
    ``max_body_bytes`` is a :class:`BadResponse`.
    """

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        timeout_s: float,
        proxy: Tunnel | None = None,
        max_body_bytes: int = 16 * 1024 * 1024,
        keep_alive: bool = True,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._tls = tls
        self._timeout_s = timeout_s
        self._proxy = proxy
        self._max_body = max_body_bytes
        self._keep_alive = keep_alive
        self._idle: dict[_Origin, list[_Connection]] = {}

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every idle connection."""
        idle = [c for connections in self._idle.values() for c in connections]
        self._idle.clear()
        for connection in idle:
            connection.close()
        # A TLS close waits for the peer's close_notify: never longer than this.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_CLOSE_WAIT_S):
                for connection in idle:
                    with contextlib.suppress(OSError, ssl.SSLError):
                        await connection.writer.wait_closed()

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request and read its whole answer, within the time budget."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        origin = _Origin(scheme, parts.hostname, parts.port or _DEFAULT_PORTS[scheme])
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = self._head(method, target, origin, body, headers or {})
        async with asyncio.timeout(self._timeout_s):
            connection = self._take_idle(origin)
            if connection is not None:
                with contextlib.suppress(NothingReceived):
                    # A kept-alive connection the server closed meanwhile: once more, on a
                    # new one (the center's calls are idempotent: report ids, offsets).
                    return await self._exchange(connection, origin, head, body, method)
            connection = await self._connect(origin)
            return await self._exchange(connection, origin, head, body, method)

    # --- internals ---------------------------------------------------------------------

    def _head(
        self,
        method: str,
        target: str,
        origin: _Origin,
        body: bytes | None,
        headers: dict[str, str],
    ) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {origin.authority}"]
        given = {name.lower() for name in headers}
        if "user-agent" not in given:
            lines.append(f"User-Agent: {USER_AGENT}")
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: identity")
        if body is not None or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body or b'')}")
        if not self._keep_alive:
            lines.append("Connection: close")
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"header {name!r} holds a line break")
            lines.append(f"{name}: {value}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _take_idle(self, origin: _Origin) -> _Connection | None:
        connections = self._idle.get(origin)
        while connections:
            connection = connections.pop()
            if not connection.reader.at_eof() and not connection.writer.is_closing():
                return connection
            connection.close()
        return None

    def _give_back(self, origin: _Origin, connection: _Connection) -> None:
        connections = self._idle.setdefault(origin, [])
        if len(connections) >= _IDLE_CONNECTIONS:
            connection.close()
            return
        connections.append(connection)

    async def _connect(self, origin: _Origin) -> _Connection:
        tls = None
        if origin.scheme == "https":
            if self._tls is None:
                raise ValueError("an https URL needs a TLS context")
            tls = self._tls
        server_hostname = origin.host if tls is not None else None
        if self._proxy is None:
            try:
                reader, writer = await asyncio.open_connection(
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=server_hostname,
                    limit=_MAX_HEAD_BYTES,
                )
            except ssl.SSLError as exc:
                raise TlsFailed(
                    f"TLS handshake with {origin.host_port} failed: {exc}", exc
                ) from exc
            except OSError as exc:
                raise ConnectFailed(
                    f"cannot connect to {origin.host_port}: {_os_reason(exc)}", exc
                ) from exc
            return _Connection(reader, writer)
        proxy = self._proxy
        try:
            reader, writer = await asyncio.open_connection(
                proxy.host, proxy.port, limit=_MAX_HEAD_BYTES
            )
        except OSError as exc:
            where = _Origin("http", proxy.host, proxy.port).host_port
            raise ProxyUnreachable(f"cannot connect to {where}: {_os_reason(exc)}") from exc
        connection = _Connection(reader, writer)
        try:
            await self._open_tunnel(connection, origin, proxy)
            if tls is not None:
                try:
                    await writer.start_tls(tls, server_hostname=server_hostname)
                except ssl.SSLError as exc:
                    raise TlsFailed(
                        f"TLS handshake with {origin.host_port} failed: {exc}", exc
                    ) from exc
        except BaseException:
            connection.close()
            raise
        return connection

    async def _open_tunnel(self, connection: _Connection, origin: _Origin, proxy: Tunnel) -> None:
        lines = [f"CONNECT {origin.host_port} HTTP/1.1", f"Host: {origin.host_port}"]
        if proxy.authorization:
            lines.append(f"Proxy-Authorization: {proxy.authorization}")
        connection.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await connection.writer.drain()
        status, reason, _ = await _read_head(connection.reader)
        if not 200 <= status < 300:
            raise ProxyRefused(status, reason)

    async def _exchange(
        self,
        connection: _Connection,
        origin: _Origin,
        head: bytes,
        body: bytes | None,
        method: str,
    ) -> Response:
        done = False
        try:
            try:
                connection.writer.write(head + body if body else head)
                await connection.writer.drain()
                status, reason, headers = await _read_head(connection.reader)
            except ConnectionError as exc:
                raise NothingReceived(f"the connection was lost: {_os_reason(exc)}") from exc
            while 100 <= status < 200:
                status, reason, headers = await _read_head(connection.reader)
            payload, reusable = await self._read_body(connection.reader, method, status, headers)
            done = True
        except ssl.SSLError as exc:
            raise TlsFailed(f"TLS with {origin.host_port} failed: {exc}", exc) from exc
        except OSError as exc:
            raise BadResponse(f"the connection was lost: {_os_reason(exc)}") from exc
        finally:
            if not done:
                connection.close()
        if reusable and self._keep_alive:
            self._give_back(origin, connection)
        else:
            connection.close()
        return Response(status, reason, headers, payload)

    async def _read_body(
        self, reader: asyncio.StreamReader, method: str, status: int, headers: dict[str, str]
    ) -> tuple[bytes, bool]:
        closes = headers.get("Connection", "").lower() == "close"
        if method == "HEAD" or status in _NO_BODY_STATUSES:
            return b"", not closes
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            return await self._read_chunked(reader), not closes
        length = headers.get("Content-Length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                raise BadResponse(f"Content-Length {length!r} is not a number") from None
            if size < 0:
                raise BadResponse(f"Content-Length {length!r} is negative")
            self._check_size(size)
            try:
                return await reader.readexactly(size), not closes
            except asyncio.IncompleteReadError as exc:
                raise BadResponse("the answer was cut short") from exc
        chunks: list[bytes] = []  # neither: the body ends with the connection
        size = 0
        while chunk := await reader.read(_READ_CHUNK):
            size += len(chunk)
            self._check_size(size)
            chunks.append(chunk)
        return b"".join(chunks), False

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            line = await _read_line(reader)
            try:
                chunk_size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadResponse(f"bad chunk size {line[:40]!r}") from None
            if chunk_size == 0:
                while await _read_line(reader):  # trailers, up to the empty line
                    pass
                return b"".join(chunks)
            size += chunk_size
            self._check_size(size)
            try:
                chunks.append(await reader.readexactly(chunk_size))
            except asyncio.IncompleteReadError as exc:
                raise BadResponse("the answer was cut short") from exc
            if await _read_line(reader):
                raise BadResponse("a chunk is longer than its size says")

    def _check_size(self, size: int) -> None:
        if size > self._max_body:
            raise BodyTooLarge(f"the answer is larger than {self._max_body} bytes")


async def _read_line(reader: asyncio.StreamReader) -> bytes:
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        raise BadResponse("the answer was cut short") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadResponse("a line of the answer is too long") from exc
    return line.rstrip(b"\r\n")


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, str, dict[str, str]]:
    """Status line and headers; header names in title case, repeated ones joined by ", "."""
    try:
        status_line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise NothingReceived("the server closed the connection without answering") from exc
        raise BadResponse("the answer was cut short") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadResponse("the status line is too long") from exc
    parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise BadResponse(f"not an HTTP/1.x answer: {status_line[:60]!r}")
    status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS + 1):
        line = await _read_line(reader)
        if not line:
            return status, reason, headers
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise BadResponse(f"malformed header line {line[:60]!r}")
        key = name.title()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    raise BadResponse(f"more than {_MAX_HEADERS} headers")


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
