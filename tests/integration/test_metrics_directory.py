"""The workers' metrics directory lives in the center's home: a center killed with SIGKILL
leaves nothing in the temporary directory, and the next start removes what it left."""

from __future__ import annotations

import functools
import signal
from pathlib import Path

import pytest

from remotecare.center.workers import metrics_directory
from tests.integration.test_workers import _is_zombie, children_of
from tests.support.centers import init_center, serving_center
from tests.support.processes import wait_for

KILLS = 3


def all_gone(pids: set[int]) -> bool:
    return all(not Path(f"/proc/{pid}").exists() or _is_zombie(pid) for pid in pids)


def leftovers(home: Path) -> set[str]:
    return {p.name for p in (home / "metrics").iterdir() if p.is_dir()}


def test_killed_centers_leave_nothing_in_tmp_and_a_restart_clears_their_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # the centers' temporary directory
    info = init_center(tmp_path / "center")
    home = info.settings.home
    ports = (info.settings.console_port, info.settings.device_port)
    seen: set[str] = set()
    for n in range(KILLS):
        log = tmp_path / f"center-{n}.log"
        with serving_center(home, log, ports, serve_args=["--workers", "2"]) as process:
            workers = children_of(process.pid)
            assert len(workers) == 2
            current = leftovers(home)
            assert len(current) == 1, f"stale metrics not cleared at start: {current}"
            assert not current & seen
            seen |= current
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            # The workers are told to stop when their supervisor dies.
            wait_for(
                functools.partial(all_gone, workers),
                20,
                "the workers of a killed supervisor to stop",
            )
        assert leftovers(home) == current  # the killed supervisor could not remove it
        assert not list(tmp.glob("remotecare-metrics-*"))
    with serving_center(home, tmp_path / "last.log", ports, serve_args=["--workers", "2"]):
        assert len(leftovers(home)) == 1
        assert not leftovers(home) & seen
    assert leftovers(home) == set()  # a clean stop removes its own
    assert not list(tmp.iterdir())


def test_a_running_supervisors_metrics_are_kept(tmp_path: Path) -> None:
    with metrics_directory(tmp_path) as (first, _):
        with metrics_directory(tmp_path) as (second, _):
            assert first.is_dir()
            assert second.is_dir()
            assert first != second
        assert first.is_dir()
        assert not second.exists()
    assert leftovers(tmp_path) == set()
