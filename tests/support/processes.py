"""Start and stop the subprocesses tests need (centers, agents, nginx, ippeveprinter), with
every wait bounded.

    with started(command, log, ready=lambda: answers("127.0.0.1", port), what="nginx"):
        ...
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["started", "stop", "wait_for", "wait_until_ready"]

_READY_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
_POLL_S = 0.05
_LOG_TAIL = 2000


def stop(
    process: subprocess.Popen[bytes],
    *,
    first: signal.Signals = signal.SIGTERM,
    timeout_s: float = _STOP_TIMEOUT_S,
) -> None:
    """Send ``first`` (SIGTERM) to a running process, then SIGKILL if it outlives ``timeout_s``."""
    if process.poll() is not None:
        return
    process.send_signal(first)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(_POLL_S)


def wait_until_ready(
    condition: Callable[[], bool],
    process: subprocess.Popen[bytes],
    what: str,
    *,
    log: Path | None = None,
    timeout_s: float = _READY_TIMEOUT_S,
    error: type[Exception] = AssertionError,
) -> None:
    """Poll ``condition`` while ``process`` runs; raise ``error`` if it exits or times out."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-_LOG_TAIL:] if log else ""
            raise error(f"{what} exited with status {process.returncode}: {tail}")
        if time.monotonic() > deadline:
            raise error(f"{what} was not ready within {timeout_s} s")
        time.sleep(_POLL_S)


@contextlib.contextmanager
def started(
    command: Sequence[str],
    log: Path,
    *,
    what: str,
    ready: Callable[[], bool] | None = None,
    env: Mapping[str, str] | None = None,
    append: bool = False,
    first: signal.Signals = signal.SIGTERM,
    ready_timeout_s: float = _READY_TIMEOUT_S,
    stop_timeout_s: float = _STOP_TIMEOUT_S,
    error: type[Exception] = AssertionError,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` with its output in ``log`` (appended to it with ``append``); wait
    until ``ready`` (if given); on exit stop it with ``first``, then SIGKILL."""
    with open(log, "ab" if append else "wb") as out:
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
        )
        try:
            if ready is not None:
                wait_until_ready(
                    ready, process, what, log=log, timeout_s=ready_timeout_s, error=error
                )
            yield process
        finally:
            stop(process, first=first, timeout_s=stop_timeout_s)
