"""Centers for tests: in-process (real TLS on loopback) or as a separate process."""

from __future__ import annotations

import contextlib
import json
import os
import re
import ssl
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.config import CenterSettings
from remotecare.center.server import CenterServer
from remotecare.center.setup import initialize_center
from tests.support.contracts import issue_token, sample_application
from tests.support.ports import answers, free_tcp_port
from tests.support.processes import started
from tests.support.schema import migrated_sqlite_file

OPERATOR_PASSWORD = "correct horse battery staple"
_READY_TIMEOUT_S = 30.0


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
    if not database_url:  # PostgreSQL test databases are copies of a migrated one already
        migrated_sqlite_file(home / "center.db")
    done = initialize_center(settings, password=OPERATOR_PASSWORD)
    return CenterInfo(settings, done.ca_fingerprint)


@contextlib.asynccontextmanager
async def running_center(info: CenterInfo) -> AsyncIterator[Center]:
    """A center serving ``info``'s ports until the block ends (restart it with
    ``restarted``)."""
    async with serving(bootstrap(info.settings)) as center:
        yield center


@contextlib.asynccontextmanager
async def serving(center: Center) -> AsyncIterator[Center]:
    """``center`` served until the block ends."""
    server = CenterServer(center)
    _SERVERS[id(center)] = server
    await server.start()
    try:
        yield center
    finally:
        _SERVERS.pop(id(center), None)
        await server.stop()


_SERVERS: dict[int, CenterServer] = {}


async def stop_serving(center: Center) -> None:
    """Stop serving ``center`` (as if its process went away); ``serve_again`` restarts it."""
    await _SERVERS[id(center)].stop()


async def serve_again(center: Center) -> None:
    await _SERVERS[id(center)].start()


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


def center_command(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``remotecare center ARGS`` in this process with click's runner: the same
    command code as ``remotecare("center", ...)`` without a new interpreter's 1.5 s of
    imports, for the integration tests of administrative commands (the e2e tests and
    those of a process's own output keep ``remotecare``). Not for ``serve``."""
    from click.testing import CliRunner

    from remotecare.center.cli import center

    result = CliRunner().invoke(center, list(args), catch_exceptions=False)
    done = subprocess.CompletedProcess(
        ["remotecare", "center", *args], result.exit_code, result.stdout, result.stderr
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"center {' '.join(args[:1])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done


def enrolment_token(info: CenterInfo, customer: str = "Acme Ltd") -> str:
    """A fresh enrolment token for ``customer``, made directly in the center's database
    (for tests whose center runs as a separate process)."""
    center = bootstrap(info.settings)
    try:
        return issue_token(center, customer).token
    finally:
        center.dispose()


def accept_by_command_line(home: Path, organisation: str = "Acme Ltd") -> int:
    """``organisation``'s application entered and accepted with `remotecare center
    contracts apply / accept` (separate processes); the application's number."""
    application = home / f"application-{uuid.uuid4().hex[:8]}.json"
    application.write_text(json.dumps(sample_application(organisation)), encoding="utf-8")
    applied = remotecare(
        "center", "contracts", "apply", "--home", str(home), "--file", str(application)
    )
    found = re.search(r"application (\d+) submitted", applied.stdout)
    assert found, applied.stdout
    remotecare("center", "contracts", "accept", "--home", str(home), found.group(1))
    return int(found.group(1))


def enroll_process(info: CenterInfo, home: Path) -> None:
    """`remotecare agent enroll` into ``home`` as a separate process, with a fresh token
    (the center must be serving)."""
    remotecare(
        "agent", "enroll", "--home", str(home), "--center", info.console_url,
        "--token", enrolment_token(info), "--ca-fingerprint", info.ca_fingerprint,
    )  # fmt: skip


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
    with started(
        command,
        log,
        what="center",
        ready=lambda: all(answers(host, port) for port in ports),
        env=os.environ,
        ready_timeout_s=_READY_TIMEOUT_S,
    ) as process:
        yield process
