"""Centers for tests: in-process (real TLS on loopback) or as a separate process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.config import CenterSettings
from remotecare.center.setup import initialize_center

OPERATOR_PASSWORD = "correct horse battery staple"
_READY_TIMEOUT_S = 30.0


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class CenterInfo:
    settings: CenterSettings
    ca_fingerprint: str

    @property
    def console_url(self) -> str:
        return f"https://localhost:{self.settings.console_port}"

    @property
    def device_url(self) -> str:
        return f"https://localhost:{self.settings.device_port}"

    def trusting_context(self) -> ssl.SSLContext:
        """A client context that trusts this center's CA and presents no certificate."""
        return ssl.create_default_context(cafile=str(self.settings.ca_cert_file))

    def read_engine(self) -> Engine:
        """An engine for reading what the center stored (no pooled connections left over)."""
        return create_engine(self.settings.effective_database_url, poolclass=NullPool)

    @property
    def on_sqlite(self) -> bool:
        return self.settings.effective_database_url.startswith("sqlite")


def init_center(home: Path, database_url: str = "", **overrides: Any) -> CenterInfo:
    """A new center home on free loopback ports; ``overrides`` are further settings."""
    settings = CenterSettings(
        home=home,
        hostname="localhost",
        listen_host="127.0.0.1",
        console_port=free_tcp_port(),
        device_port=free_tcp_port(),
        database_url=database_url,
        **overrides,
    )
    done = initialize_center(settings, password=OPERATOR_PASSWORD)
    return CenterInfo(settings, done.ca_fingerprint)


@contextlib.asynccontextmanager
async def running_center(info: CenterInfo) -> AsyncIterator[Center]:
    center = bootstrap(info.settings)
    await center.start()
    try:
        yield center
    finally:
        await center.stop()


def remotecare(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the `remotecare` command line as a separate process."""
    command = [sys.executable, "-m", "remotecare", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host`` (IPv4 or IPv6) and ``port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def enrolment_token(info: CenterInfo, customer: str = "Acme Ltd") -> str:
    """A fresh enrolment token for ``customer``, made directly in the center's database
    (for tests whose center runs as a separate process)."""
    center = bootstrap(info.settings)
    try:
        return center.enrollment.create_token(customer).token
    finally:
        center.engine.dispose()


@contextlib.contextmanager
def center_process(
    info: CenterInfo,
    log: Path,
    *,
    global_args: Sequence[str] = (),
    serve_args: Sequence[str] = (),
) -> Iterator[subprocess.Popen[bytes]]:
    """`remotecare [global_args] center serve [serve_args]` in its own process, stopped
    (SIGTERM, then SIGKILL) on exit."""
    ports = (info.settings.console_port, info.settings.device_port)
    with serving_center(
        info.settings.home, log, ports, global_args=global_args, serve_args=serve_args
    ) as process:
        yield process


@contextlib.contextmanager
def serving_center(
    home: Path,
    log: Path,
    ports: Sequence[int],
    *,
    host: str = "127.0.0.1",
    global_args: Sequence[str] = (),
    serve_args: Sequence[str] = (),
    module: str = "remotecare",
) -> Iterator[subprocess.Popen[bytes]]:
    """`remotecare center serve --home HOME` in its own process until every port answers
    on ``host``; stopped (SIGTERM, then SIGKILL) on exit. ``module``: another program
    taking the same arguments (``tests.support.care``)."""
    command = [sys.executable, "-m", module, *global_args, "center", "serve"]
    command += ["--home", str(home), *serve_args]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
        try:
            deadline = time.monotonic() + _READY_TIMEOUT_S
            while not all(answers(host, port) for port in ports):
                if process.poll() is not None:
                    raise AssertionError(f"center exited: {log.read_text()}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"center not listening after {_READY_TIMEOUT_S} s")
                time.sleep(0.1)
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
