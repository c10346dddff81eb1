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
added up at scrape time. That directory lives under the center's home (``metrics/``), not
in the system's temporary directory: a supervisor killed with SIGKILL cannot remove it,
so the next supervisor removes every one whose owner is gone before making its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from sqlalchemy import make_url

from remotecare.center.config import CenterSettings
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from remotecare.errors import ConfigError

__all__ = ["check_workers", "metrics_directory", "supervise", "worker_command_line"]

logger = logging.getLogger(__name__)

_STOP_GRACE_S = 15.0
_POLL_S = 0.2
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a child gets when its parent dies


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
    with metrics_directory(settings.home) as (metrics_dir, in_use):
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        return _run_workers(workers, worker_command, env, in_use)


def _run_workers(
    workers: int, worker_command: Sequence[str], env: dict[str, str], in_use: int
) -> int:
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: list[subprocess.Popen[bytes]] = []
    status = 0
    try:
        for _ in range(workers):
            # The workers hold the metrics directory's lock with the supervisor, and are
            # stopped if the supervisor dies (SIGKILL gives it no chance to stop them).
            children.append(
                subprocess.Popen(
                    list(worker_command),
                    env=env,
                    pass_fds=(in_use,),
                    # Run in the forked child; safe here, as the supervisor has no threads.
                    preexec_fn=functools.partial(_stop_when_parent_dies, os.getpid()),
                )
            )
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
    return status


@contextlib.contextmanager
def metrics_directory(home: Path) -> Iterator[tuple[Path, int]]:
    """A fresh directory for the workers' metrics under ``home/metrics``, and the file
    descriptor of the lock that marks it in use; removed at the end.

    Each directory ``NAME`` has a lock file ``NAME.lock`` held (``flock``) by its supervisor
    and workers while they live, so the kernel releases it however they end. Directories
    whose lock nobody holds are left over from a killed supervisor and are removed first.
    """
    parent = home / "metrics"
    parent.mkdir(mode=0o700, exist_ok=True)
    with open(parent / ".lock", "a") as clearing:
        fcntl.flock(clearing, fcntl.LOCK_EX)  # one supervisor at a time clears and creates
        _remove_stale(parent)
        directory = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))
        in_use = os.open(_lock_file(directory), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(in_use, fcntl.LOCK_EX)
    try:
        yield directory, in_use
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        _lock_file(directory).unlink(missing_ok=True)
        os.close(in_use)


def _lock_file(directory: Path) -> Path:
    return directory.with_name(directory.name + ".lock")


def _remove_stale(parent: Path) -> None:
    names = {p.name.removesuffix(".lock") for p in parent.iterdir() if p.name != ".lock"}
    for name in sorted(names):
        directory = parent / name
        lock_path = _lock_file(directory)
        try:
            lock: int | None = os.open(lock_path, os.O_RDWR)
        except FileNotFoundError:
            lock = None
        try:
            if lock is not None:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a running supervisor's
            logger.info("removing the metrics of a center that is gone: %s", directory)
            shutil.rmtree(directory, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
        finally:
            if lock is not None:
                os.close(lock)


def _stop_when_parent_dies(supervisor: int) -> None:
    """In a worker, before it runs: ask Linux for SIGTERM when the supervisor dies."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the request took effect
        os._exit(1)


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
