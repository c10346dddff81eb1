"""What a production install gets: the wheel, installed without extras into a fresh virtual
environment, runs a center and probes a printer; the simulator and test tools stay out."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from remotecare.demo.snmpsim import running_snmpsim
from tests.support.ports import answers, free_tcp_port
from tests.support.processes import started
from tests.support.recordings import EXPECTED, recordings_dir

pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "src")
PRINTER = "brother_mfc-l2710dw"  # its recording's file name is its community
INSTALL_TIMEOUT_S = 600  # every runtime dependency from the package index
NOT_FOR_PRODUCTION = ("snmpsim", "pysmi", "pytest", "schemathesis", "mypy")


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin` folder of a new virtual environment holding the wheel, without extras."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"  # a copy, so that building leaves nothing in the repository
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info"
            ))  # fmt: skip
        else:
            shutil.copy2(REPO / name, source / name)
    wheels = root / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(source)])
    [wheel] = wheels.glob("remotecare-*.whl")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(wheel)],
        timeout=INSTALL_TIMEOUT_S,
    )  # fmt: skip
    return venv / "bin"


def run(command: list[str], *, timeout: float = 120, **kwargs: object) -> str:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout}\n{result.stderr}"
    return str(result.stdout)


def clean_env() -> dict[str, str]:
    """This environment without the test's virtual environment or source path."""
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}


def test_the_install_holds_no_simulator_and_no_test_tools(fresh_venv: Path) -> None:
    script = "import importlib.util as u, sys; print(*[m for m in sys.argv[1:] if u.find_spec(m)])"
    found = run([str(fresh_venv / "python"), "-c", script, *NOT_FOR_PRODUCTION], env=clean_env())
    assert found.split() == []
    run([str(fresh_venv / "python"), "-m", "pip", "check"], env=clean_env())


def test_the_installed_program_inits_serves_a_center_and_probes_a_printer(
    fresh_venv: Path, tmp_path: Path
) -> None:
    remotecare = str(fresh_venv / "remotecare")
    env = clean_env()
    home = tmp_path / "center"
    ports = (free_tcp_port(), free_tcp_port())
    out = run(
        [remotecare, "center", "init", "--home", str(home), "--hostname", "localhost",
         "--listen", "127.0.0.1", "--console-port", str(ports[0]),
         "--device-port", str(ports[1])],
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert "center initialized" in out
    with started(
        [remotecare, "center", "serve", "--home", str(home)],
        tmp_path / "center.log",
        what="installed center",
        ready=lambda: all(answers("127.0.0.1", port) for port in ports),
        env=env,
    ) as center:
        center.send_signal(signal.SIGTERM)
        assert center.wait(20) == 0
    with running_snmpsim(recordings_dir(), probe_community=PRINTER) as simulator:
        shown = run([remotecare, "agent", "probe", simulator.url(PRINTER)], env=env, cwd=tmp_path)
    assert EXPECTED[PRINTER].serial in shown
    assert EXPECTED[PRINTER].model in shown
