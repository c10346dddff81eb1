"""Start-up and memory: `remotecare --help`, a center's start-up, an agent's 1,000-printer
cycle; each figure the median of several runs.

Usage::

    .venv/bin/python bench/startup.py [--runs 9] [--center-runs 5] [--cycles 3]
                                      [--printers 1000] [--skip-agent]

- ``remotecare --help``: wall time from start to exit and peak RSS (``wait4``'s rusage of
  that process alone), beside the interpreter's own floor measured the same way
  (``python -c pass`` and ``python -c "import click"``).
- Center start-up: from starting ``remotecare center serve`` (SQLite, initialized
  beforehand) until both its ports accept connections, with 1 worker and with 2; then
  SIGTERM.
- The agent's imports: ``python -c "import remotecare.agent.cli, remotecare.agent.runner"``
  (what ``remotecare agent run`` loads before its first printer), wall, CPU and peak RSS.
- The agent's cycle: ``bench/poll_fleet.py``'s child (the agent's own ``Agent.poll`` into
  a real outbox) against snmpsim serving ``--printers`` recordings; its peak RSS (the
  child's own ``VmHWM``) and its CPU time per printer read. snmpsim is started once for
  all cycles (``--snmpsim-wait`` gives it longer to start on a busy machine).

A child's peak RSS (``ru_maxrss``) counts the parent's size when it forked, so this
script imports nothing of the center or the agent itself (it initializes the center and
writes the recordings in subprocesses) and prints its own peak RSS last: no child's figure
above can be below it.

Targets (issue 17): ``--help`` <= 0.3 s, center start-up <= 1 s with one worker, agent
RSS <= 50 MB during a 1,000-printer cycle, agent CPU <= 5 ms per printer read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from remotecare.demo import snmpsim
from remotecare.demo.snmpsim import free_udp_port, running_snmpsim

TARGET_HELP_S: Final = 0.3
TARGET_CENTER_S: Final = 1.0
TARGET_AGENT_RSS_MB: Final = 50.0
TARGET_CPU_PER_READ_MS: Final = 5.0
_READY_TIMEOUT_S: Final = 60.0
_STOP_TIMEOUT_S: Final = 30.0
_POLL_S: Final = 0.005
_KIB: Final = 1024
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
_BENCH: Final = Path(__file__).resolve().parent
_POLL_FLEET: Final = _BENCH / "poll_fleet.py"
_AGENT_IMPORTS: Final = "import remotecare.agent.cli, remotecare.agent.runner"
_WRITE_PRINTERS: Final = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import poll_fleet
print(json.dumps(poll_fleet.write_printers(Path(sys.argv[2]), int(sys.argv[3]))))
"""


def program() -> list[str]:
    """The installed `remotecare` script beside this Python, else ``python -m remotecare``."""
    script = Path(sys.executable).with_name("remotecare")
    return [str(script)] if script.exists() else [sys.executable, "-m", "remotecare"]


def timed_run(command: list[str]) -> tuple[float, float, float]:
    """Run ``command`` to its end: wall seconds, CPU seconds (user + system) and peak RSS
    in MB, of that process alone. CPU time stays steady when others load the cores."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed with status {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / _KIB


def median_run(command: list[str], runs: int) -> tuple[float, float, float]:
    """Medians of wall seconds, CPU seconds and peak RSS (MB) over ``runs`` runs."""
    results = [timed_run(command) for _ in range(runs)]
    wall, cpu, rss = (statistics.median(r[i] for r in results) for i in range(3))
    return wall, cpu, rss


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while not condition():
        if process.poll() is not None:
            sys.exit(f"the center exited with status {process.returncode}")
        if time.monotonic() > deadline:
            sys.exit(f"the center did not listen within {_READY_TIMEOUT_S} s")
        time.sleep(_POLL_S)


def center_start_up(
    home: Path, ports: tuple[int, int], workers: int, log: Path
) -> tuple[float, float]:
    """Seconds from starting `center serve` until both ports accept connections, and the
    CPU seconds the process used until then (the supervisor's alone with workers)."""
    command = [*program(), "center", "serve", "--home", str(home), "--workers", str(workers)]
    with open(log, "ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: all(answers(port) for port in ports), process)
            return time.perf_counter() - started, cpu_seconds(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def agent_cycles(root: Path, printers: int, cycles: int) -> list[dict[str, float]]:
    """``cycles`` of poll_fleet's child against one snmpsim: each one's figures."""
    data = root / "data"
    data.mkdir()
    written = subprocess.run(
        [sys.executable, "-c", _WRITE_PRINTERS, str(_BENCH), str(data), str(printers)],
        capture_output=True,
        text=True,
        check=True,
    )
    communities: list[str] = json.loads(written.stdout)
    ports = [free_udp_port() for _ in range(4)]
    urls = [
        f"snmp://{community}@127.0.0.1:{ports[n % len(ports)]}"
        for n, community in enumerate(communities)
    ]
    urls_file = root / "urls.txt"
    urls_file.write_text("\n".join(urls))
    results = []
    with running_snmpsim(data, probe_community=communities[0], ports=ports):
        for cycle in range(cycles):
            home = root / f"agent-{cycle}"
            home.mkdir(mode=0o700)
            command = [
                sys.executable, str(_POLL_FLEET), "--child", str(urls_file),
                "--concurrency", "32", "--timeout", "5", "--home", str(home),
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"the agent's cycle failed:\n{done.stderr[-4000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            read = result["printers"] - result["unreachable"]
            results.append(
                {
                    "read": float(read),
                    "wall_s": result["wall_s"],
                    "cpu_ms_per_read": result["cpu_s"] * 1000 / max(read, 1),
                    "peak_rss_mb": result["peak_rss_mb"],
                }
            )
            print(
                f"  cycle {cycle + 1}: {read} printers read in {result['wall_s']:.1f} s, "
                f"CPU {result['cpu_s']:.1f} s, peak RSS {result['peak_rss_mb']:.1f} MB"
            )
    return results


def show(name: str, run: tuple[float, float, float], note: str = "") -> None:
    wall, cpu, rss = run
    print(f"{name:<25} {wall:6.3f} s     {cpu:6.3f} s  {rss:5.1f} MB{note}")


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each command")
    parser.add_argument("--center-runs", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=3, help="agent cycles")
    parser.add_argument("--printers", type=int, default=1000)
    parser.add_argument("--skip-agent", action="store_true", help="no agent cycle (quick)")
    parser.add_argument(
        "--snmpsim-wait", type=float, default=None, help="seconds for snmpsim to start"
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores")

    print("command                   wall (median)  CPU      peak RSS")
    floor = median_run([sys.executable, "-c", "pass"], args.runs)
    show("python -c pass", floor, "   (interpreter floor)")
    show('python -c "import click"', median_run([sys.executable, "-c", "import click"], args.runs))
    help_run = median_run([*program(), "--help"], args.runs)
    show(
        "remotecare --help",
        help_run,
        f"   ({help_run[1] / floor[1]:.1f}x the floor's CPU; target <= {TARGET_HELP_S:g} s: "
        f"{verdict(help_run[0], TARGET_HELP_S)})",
    )
    for command in (["center", "--help"], ["agent", "--help"]):
        show(f"remotecare {' '.join(command)}", median_run([*program(), *command], args.runs))
    show(
        "agent imports",
        median_run([sys.executable, "-c", _AGENT_IMPORTS], args.runs),
        "   (agent run's modules, before its first printer)",
    )

    with tempfile.TemporaryDirectory(prefix="remotecare-bench-") as temp:
        root = Path(temp)
        ports = (free_port(), free_port())
        home = root / "center"
        subprocess.run(
            [*program(), "center", "init", "--home", str(home), "--hostname", "localhost",
             "--listen", "127.0.0.1", "--console-port", str(ports[0]),
             "--device-port", str(ports[1]), "--password", "bench password"],
            capture_output=True, check=True,
        )  # fmt: skip
        for workers, runs in ((1, args.center_runs), (2, max(3, args.center_runs // 2))):
            runs_done = [
                center_start_up(home, ports, workers, root / "center.log") for _ in range(runs)
            ]
            times = [wall for wall, _ in runs_done]
            median = statistics.median(times)
            cpu = statistics.median(cpu for _, cpu in runs_done)
            target = (
                f"   (target <= {TARGET_CENTER_S:g} s: {verdict(median, TARGET_CENTER_S)})"
                if workers == 1
                else ""
            )
            print(
                f"center start-up, {workers} worker{'s' if workers > 1 else ' '} "
                f"{median:.2f} s median of {runs} (min {min(times):.2f}, "
                f"max {max(times):.2f}), CPU {cpu:.2f} s{target}"
            )
        if args.skip_agent:
            print_own_rss()
            return
        if (
            shutil.which("snmpsim-command-responder") is None
            and not Path(sys.executable).with_name("snmpsim-command-responder").exists()
        ):
            sys.exit("snmpsim is missing: install remotecare[sim]")
        print(f"agent: {args.cycles} cycles of {args.printers} printers (bench/poll_fleet.py)")
        if args.snmpsim_wait is not None:
            snmpsim._READY_TIMEOUT_S = args.snmpsim_wait  # no public knob for it
        results = agent_cycles(root, args.printers, args.cycles)
    rss = statistics.median(r["peak_rss_mb"] for r in results)
    cpu = statistics.median(r["cpu_ms_per_read"] for r in results)
    print(
        f"agent peak RSS           {rss:.1f} MB median   "
        f"(target <= {TARGET_AGENT_RSS_MB:g} MB: {verdict(rss, TARGET_AGENT_RSS_MB)})"
    )
    print(
        f"agent CPU per read       {cpu:.1f} ms median   "
        f"(target <= {TARGET_CPU_PER_READ_MS:g} ms: {verdict(cpu, TARGET_CPU_PER_READ_MS)})"
    )
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")
    print_own_rss()


def print_own_rss() -> None:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _KIB
    print(f"this script's peak RSS {own:.1f} MB (the floor under every child's figure)")


if __name__ == "__main__":
    main()
