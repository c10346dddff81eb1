"""A small but real HTTP CONNECT proxy on loopback, like a site's corporate proxy.

It tunnels only CONNECT requests, optionally demands Basic authentication (407 otherwise)
and records which ``host:port`` each tunnel went to, so tests can check that the agent
really went through it::

    async with connect_proxy(username="agent", password="s3cret") as proxy:
        ...  # proxy.url, proxy.tunnels
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class ConnectProxy:
    port: int
    username: str | None
    password: str | None
    tunnels: list[str] = field(default_factory=list)
    refused: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def authorized(self, headers: dict[str, str]) -> bool:
        if self.username is None:
            return True
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return headers.get("proxy-authorization", "") == f"Basic {expected}"


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until the reader ends; then close the writer."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def read_request_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]]:
    """The method, target and headers (names in lower case) of the request on ``reader``;
    ValueError if its first line is not a request line."""
    request_line = (await reader.readline()).decode("latin-1").strip()
    headers: dict[str, str] = {}
    while (line := (await reader.readline()).decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    method, target, _ = request_line.split(" ", 2)
    return method, target, headers


async def _handle(
    proxy: ConnectProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        method, target, headers = await read_request_head(reader)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        if not proxy.authorized(headers):
            proxy.refused += 1
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
            )
            return
        host, _, port = target.rpartition(":")
        upstream_reader, upstream_writer = await asyncio.open_connection(host.strip("[]"), port)
        proxy.tunnels.append(target)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
    except (ConnectionError, ValueError, OSError):
        with contextlib.suppress(Exception):
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
    finally:
        with contextlib.suppress(Exception):
            await writer.drain()
            writer.close()


@contextlib.asynccontextmanager
async def connect_proxy(
    username: str | None = None, password: str | None = None
) -> AsyncIterator[ConnectProxy]:
    proxy = ConnectProxy(0, username, password)
    server = await asyncio.start_server(lambda r, w: _handle(proxy, r, w), host="127.0.0.1", port=0)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)
