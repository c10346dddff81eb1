"""An HTTP CONNECT proxy on loopback that slows the agent's bytes down on cue, so a test
can catch a request in the middle of its body (and kill the sender right then).

Bytes from the agent towards the center go through at full speed until ``fast_bytes`` of
them (over all tunnels, TLS included) have passed; after that at most ``rate_bps`` bytes a
second. When the agent's side of a tunnel closes while bytes it sent are still held back,
the tunnel to the center is cut (RST) and those bytes are dropped, as when a machine dies
with data in flight. :meth:`SlowProxy.release` lifts the limit for what comes next. It runs
its own event loop in a thread, for tests that drive processes synchronously::

    with slow_connect_proxy(fast_bytes=160 * 1024, rate_bps=16 * 1024) as proxy:
        ...  # agent.toml: proxy_url = proxy.url
        proxy.wait_slow(8 * 1024, timeout_s=30)  # a request is now trickling in
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.support.connect_proxy import pipe, read_request_head

__all__ = ["SlowProxy", "slow_connect_proxy"]

_TICK_S = 0.05
_READ = 65536


@dataclass
class SlowProxy:
    fast_bytes: int
    rate_bps: int
    port: int = 0
    tunnels: list[str] = field(default_factory=list)
    forwarded: int = 0  # agent -> center bytes passed on, over all tunnels
    slow_forwarded: int = 0  # of which after the limit set in
    cut: int = 0  # tunnels cut with bytes held back
    released: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def limited(self) -> bool:
        return not self.released and self.forwarded >= self.fast_bytes

    def release(self) -> None:
        """Full speed from now on."""
        self.released = True

    def wait_slow(self, count: int, timeout_s: float) -> None:
        """Wait until ``count`` bytes have gone through at the slow rate."""
        deadline = time.monotonic() + timeout_s
        while self.slow_forwarded < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"after {timeout_s} s only {self.forwarded} bytes went through the proxy "
                    f"({self.slow_forwarded} slowly); expected {count} slowly"
                )
            time.sleep(0.02)


async def _agent_to_center(
    proxy: SlowProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    held = bytearray()
    eof = asyncio.Event()

    async def receive() -> None:
        try:
            while data := await reader.read(_READ):
                held.extend(data)
        except (ConnectionError, OSError):
            pass
        finally:
            eof.set()

    receiving = asyncio.create_task(receive())
    try:
        while True:
            if not held:
                if eof.is_set():
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(eof.wait(), _TICK_S)
                continue
            if eof.is_set() and proxy.limited:
                proxy.cut += 1  # the sender died with bytes in flight: they never arrive
                writer.transport.abort()
                return
            slow = proxy.limited
            if slow:
                piece = bytes(held[: max(1, int(proxy.rate_bps * _TICK_S))])
                proxy.slow_forwarded += len(piece)
            elif proxy.released:
                piece = bytes(held)
            else:  # up to the point where the limit sets in
                piece = bytes(held[: proxy.fast_bytes - proxy.forwarded])
            del held[: len(piece)]
            proxy.forwarded += len(piece)
            writer.write(piece)
            await writer.drain()
            if slow:
                await asyncio.sleep(_TICK_S)
        with contextlib.suppress(Exception):
            writer.close()
    except (ConnectionError, OSError):
        writer.transport.abort()
    finally:
        receiving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiving


async def _handle(
    proxy: SlowProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        method, target, _ = await read_request_head(reader)  # asks for no authentication
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        proxy.tunnels.append(target)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_agent_to_center(proxy, reader, up_writer), pipe(up_reader, writer))
    except (ConnectionError, ValueError, OSError):
        with contextlib.suppress(Exception):
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.contextmanager
def slow_connect_proxy(*, fast_bytes: int, rate_bps: int) -> Iterator[SlowProxy]:
    """The proxy on a free loopback port, served from a thread until the block ends."""
    proxy = SlowProxy(fast_bytes, rate_bps)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop: asyncio.Event | None = None

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        server = await asyncio.start_server(
            lambda r, w: _handle(proxy, r, w), host="127.0.0.1", port=0
        )
        proxy.port = server.sockets[0].getsockname()[1]
        started.set()
        try:
            await stop.wait()
        finally:
            server.close()
            tunnels = asyncio.all_tasks() - {asyncio.current_task()}
            for task in tunnels:
                task.cancel()
            await asyncio.gather(*tunnels, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        if not started.wait(10):
            raise AssertionError("the slow proxy did not start")
        yield proxy
    finally:
        if stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
