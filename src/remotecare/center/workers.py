"""Scale-out: N worker processes share the center's ports, one supervisor watches them.

Each worker is ``remotecare center serve --worker`` in its own process: a complete center
(both ports, its own group committer and connection pool) that binds its sockets with
SO_REUSEPORT, so the kernel spreads new connections over the workers. They share one
database: PostgreSQL, or one SQLite file, whose single writer the workers' group commits
share by taking turns on a lock file (``kernel/group_commit.py``), while parsing,
validation and TLS run on every core.

The supervisor upgrades the schema once, starts the workers, and stops all of them on
SIGTERM or SIGINT (or when one of them dies, so that a half-working center never goes on
unnoticed). Metrics are counted per worker in a fresh ``PROMETHEUS_MULTIPROC_DIR`` and
added up at scrape time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from types import FrameType

from sqlalchemy import make_url

from remotecare.center.config import CenterSettings
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from remotecare.errors import ConfigError

__all__ = ["check_workers", "supervise", "worker_command_line"]

logger = logging.getLogger(__name__)

_STOP_GRACE_S = 15.0
_POLL_S = 0.2


def check_workers(settings: CenterSettings, workers: int) -> None:
    """Refuse a worker count the storage cannot take."""
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    url = make_url(settings.effective_database_url)
    if (
        workers > 1
        and url.get_backend_name() == "sqlite"
        and url.database in (None, "", ":memory:")
    ):
        raise ConfigError("--workers > 1 needs a database file, not SQLite in memory")


def supervise(settings: CenterSettings, workers: int, worker_command: Sequence[str]) -> int:
    """Run ``worker_command`` ``workers`` times and wait; the exit status for the CLI.

    ``worker_command`` is the full command line of one worker (``... center serve
    --worker``); each runs with the same environment plus the metrics directory.
    """
    check_workers(settings, workers)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    metrics_dir = tempfile.mkdtemp(prefix="remotecare-metrics-")
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: list[subprocess.Popen[bytes]] = []
    status = 0
    try:
        for _ in range(workers):
            children.append(subprocess.Popen(list(worker_command), env=env))
        logger.info(
            "supervisor %d: %d workers (%s)",
            os.getpid(),
            workers,
            ", ".join(str(c.pid) for c in children),
        )
        while not stopping:
            dead = [c for c in children if c.poll() is not None]
            if dead:
                logger.error(
                    "worker %d exited with %s; stopping the others", dead[0].pid, dead[0].returncode
                )
                status = 1
                break
            time.sleep(_POLL_S)
        logger.info("stopping %d workers", len(children))
    finally:
        _stop_all(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return status


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE_S
    for child in children:
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("worker %d did not stop in time; killing it", child.pid)
            child.kill()
            child.wait()


def worker_command_line(argv: Sequence[str]) -> list[str]:
    """This process's own command line, run as a worker (``--worker`` appended)."""
    return [sys.executable, "-m", "remotecare", *argv, "--worker"]
