"""The agent's own HTTP/1.1 client against scripted servers on loopback: every framing of
a body, kept-alive connections (and ones the server closed meanwhile), a CONNECT proxy,
and each way an answer can be wrong."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from remotecare.agent.http11 import (
    BadResponse,
    BodyTooLarge,
    ConnectFailed,
    HttpClient,
    ProxyRefused,
    ProxyUnreachable,
    Tunnel,
)
from tests.support.connect_proxy import connect_proxy, read_request_head
from tests.support.ports import free_tcp_port

TIMEOUT_S = 5.0

# An answer for each request on a connection, in order; None closes the connection.
Script = Callable[[int], bytes | None]


@dataclass
class Server:
    url: str
    connections: int = 0
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def scripted(script: Script, *, close_after_each: bool = False) -> AsyncIterator[Server]:
    server = Server("")
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.connections += 1
        writers.append(writer)
        try:
            while True:
                try:
                    method, target, headers = await read_request_head(reader)
                except ValueError:
                    return  # the client closed the connection
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                server.requests.append((method, target, headers, body))
                answer = script(len(server.requests))
                if answer is None:
                    return
                writer.write(answer)
                await writer.drain()
                if close_after_each:
                    return
        finally:
            writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    server.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    try:
        yield server
    finally:
        for writer in writers:
            writer.close()
        listener.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(listener.wait_closed(), 2)


def always(answer: bytes) -> Script:
    return lambda _: answer


OK_LENGTH = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}"
OK_CHUNKED = (
    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nretry-after: 7\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
)


async def test_bodies_framed_by_length_or_chunks_come_whole_on_one_kept_alive_connection() -> None:
    answers = {1: OK_LENGTH, 2: OK_CHUNKED}
    async with (
        scripted(lambda n: answers[n]) as server,
        HttpClient(timeout_s=TIMEOUT_S) as http,
    ):
        first = await http.request(
            "POST", server.url + "/a?x=1", body=b"abc", headers={"Content-Type": "text/plain"}
        )
        second = await http.request("GET", server.url + "/b")
    assert (first.status, first.body, first.content_type) == (200, b"{}", "application/json")
    assert (second.status, second.reason, second.body) == (201, "Created", b"hello world")
    assert second.headers["Retry-After"] == "7"  # names in title case, whatever was sent
    assert server.connections == 1
    method, target, headers, body = server.requests[0]
    assert (method, target, body) == ("POST", "/a?x=1", b"abc")
    assert headers["host"] == server.url.removeprefix("http://")
    assert headers["content-type"] == "text/plain"


async def test_a_body_that_ends_with_the_connection_is_read_to_its_end() -> None:
    answer = b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 100_000
    async with (
        scripted(always(answer), close_after_each=True) as server,
        HttpClient(timeout_s=TIMEOUT_S) as http,
    ):
        first = await http.request("GET", server.url + "/")
        second = await http.request("GET", server.url + "/")
    assert first.body == second.body == b"x" * 100_000
    assert server.connections == 2  # such a connection is never reused


async def test_a_kept_alive_connection_the_server_closed_meanwhile_is_replaced() -> None:
    async with (
        scripted(always(OK_LENGTH), close_after_each=True) as server,
        HttpClient(timeout_s=TIMEOUT_S) as http,
    ):
        await http.request("GET", server.url + "/")
        await asyncio.sleep(0.1)  # the server has closed the connection the client kept
        again = await http.request("POST", server.url + "/", body=b"{}")
    assert again.status == 200
    assert server.connections == 2
    assert len(server.requests) == 2  # the request went once, on the new connection


async def test_a_request_on_a_kept_connection_that_ends_unanswered_goes_once_more_anew() -> None:
    answers = {1: OK_LENGTH, 2: None, 3: OK_LENGTH}  # None: close without answering
    async with (
        scripted(lambda n: answers[n]) as server,
        HttpClient(timeout_s=TIMEOUT_S) as http,
    ):
        await http.request("GET", server.url + "/first")
        again = await http.request("PUT", server.url + "/second", body=b"chunk")
    assert again.status == 200
    assert server.connections == 2
    assert [target for _, target, _, _ in server.requests] == ["/first", "/second", "/second"]


async def test_a_connection_closed_without_an_answer_is_a_bad_response() -> None:
    async with (
        scripted(lambda _: None) as server,
        HttpClient(timeout_s=TIMEOUT_S) as http,
    ):
        with pytest.raises(BadResponse, match="without answering"):
            await http.request("GET", server.url + "/")


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", BadResponse, "not an HTTP/1.x answer"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", BadResponse, "cut short"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", BadResponse, "negative"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", BadResponse, "not a number"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", BadResponse, "malformed header"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            BadResponse,
            "bad chunk size",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
            BadResponse,
            "longer than its size",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", BodyTooLarge, "larger than 1000"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n" + b"x" * 1001,
            BodyTooLarge,
            "larger than 1000",
        ),
        (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 1001, BodyTooLarge, "larger than 1000"),
    ],
)
async def test_a_wrong_answer_is_a_clear_error(
    answer: bytes, error: type[Exception], message: str
) -> None:
    async with (
        scripted(always(answer), close_after_each=True) as server,
        HttpClient(timeout_s=TIMEOUT_S, max_body_bytes=1000) as http,
    ):
        with pytest.raises(error, match=message):
            await http.request("GET", server.url + "/")


async def test_a_server_that_never_answers_runs_out_the_budget() -> None:
    async with scripted(lambda _: b"") as server, HttpClient(timeout_s=0.5) as http:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await http.request("GET", server.url + "/")
    assert time.monotonic() - started < 0.5 + 3.0  # its own budget, with room for a loaded CI


async def test_nothing_listening_is_a_failed_connect_at_once() -> None:
    async with HttpClient(timeout_s=TIMEOUT_S) as http:
        with pytest.raises(ConnectFailed) as failed:
            await http.request("GET", f"http://127.0.0.1:{free_tcp_port()}/")
    assert failed.value.os_error.errno == errno.ECONNREFUSED


async def test_requests_go_through_the_connect_proxy_and_its_refusal_is_named() -> None:
    async with (
        scripted(always(OK_LENGTH)) as server,
        connect_proxy(username="agent", password="s3cret") as proxy,
    ):
        port = int(server.url.rsplit(":", 1)[1])
        good = Tunnel("127.0.0.1", proxy.port, "Basic YWdlbnQ6czNjcmV0")  # agent:s3cret
        async with HttpClient(timeout_s=TIMEOUT_S, proxy=good) as http:
            answer = await http.request("GET", server.url + "/through")
        async with HttpClient(timeout_s=TIMEOUT_S, proxy=Tunnel("127.0.0.1", proxy.port)) as http:
            with pytest.raises(ProxyRefused) as refused:
                await http.request("GET", server.url + "/")
    assert answer.status == 200
    assert proxy.tunnels == [f"127.0.0.1:{port}"]
    assert server.requests[0][1] == "/through"
    assert refused.value.status == 407


async def test_a_proxy_that_is_not_there_is_named_as_such() -> None:
    proxy = Tunnel("127.0.0.1", free_tcp_port())
    async with HttpClient(timeout_s=TIMEOUT_S, proxy=proxy) as http:
        with pytest.raises(ProxyUnreachable, match="cannot connect"):
            await http.request("GET", "http://127.0.0.1:9/")


@pytest.mark.parametrize(
    ("url", "headers", "message"),
    [
        ("ftp://127.0.0.1/", {}, "not an http"),
        ("http:///no-host", {}, "not an http"),
        ("https://127.0.0.1/", {}, "needs a TLS context"),
        ("http://127.0.0.1:9/", {"X-Bad": "a\r\nInjected: 1"}, "line break"),
    ],
)
async def test_a_request_that_cannot_be_made_is_refused_before_sending(
    url: str, headers: dict[str, str], message: str
) -> None:
    async with HttpClient(timeout_s=TIMEOUT_S) as http:
        with pytest.raises(ValueError, match=message):
            await http.request("GET", url, headers=headers)
