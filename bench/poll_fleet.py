"""Poll 1,000 simulated printers in one cycle as the agent does, into a real outbox; measure it.

Usage::

    .venv/bin/python bench/poll_fleet.py [--printers 1000] [--ports 4] [--concurrency 32]

The parent writes one ``.snmprec`` per printer (the demo fleet's six vendor shapes from
:func:`remotecare.demo.fleet.render_snmprec`, each copy with its own community, serial and
MAC), starts snmpsim serving them on several loopback ports, and runs the cycle in a child
process of its own (``--child``) so that the figures are the agent's alone: wall time, CPU
time and peak RSS. The peak RSS is the child's own high-water mark (``VmHWM`` in
``/proc/self/status``): ``getrusage``'s ``ru_maxrss``, printed beside it, also counts the
parent's size when it started the child (with vfork the parent's pages are the child's
until ``exec``), so below the parent's ~40 MB it shows the parent. The child imports only
the agent (the demo fleet and snmpsim stay in the parent). The cycle is the
agent's own :meth:`Agent.poll <remotecare.agent.runner.Agent.poll>`: every report is
pseudonymized and queued in a real outbox (SQLite, WAL, ``synchronous=FULL``) in a
temporary agent home, as each printer finishes. Meanwhile the parent watches that outbox
from outside and notes when the first report became durable; afterwards it checks what
the outbox holds (one report per printer, distinct serials) with SQL. snmpsim's CPU time
over the same cycle is read from ``/proc`` to show which side is the bottleneck. Last, one
printer's read (the same subtrees, and the single GETs) is timed in the child and compared
with net-snmp's ``snmpbulkwalk``/``snmpget`` run as subprocesses, one after the other.
Targets: 1,000 printers in at most 30 s with a peak RSS of at most 50 MB (issue 17, point 4;
80 MB before). ``--snmpsim-wait`` gives snmpsim longer to load 1,000 recordings on a busy
machine (20 s by default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

# The child imports the agent only, so these are imported where the parent uses them.
TARGET_WALL_S: Final = 30.0
TARGET_RSS_MB: Final = 50.0
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
_KIB: Final = 1024
_WATCH_EVERY_S: Final = 0.05


def write_printers(directory: Path, count: int) -> list[str]:
    """Write ``count`` printers (demo shapes, distinct identities); return their communities."""
    from remotecare.demo.fleet import DEMO_FLEET, render_snmprec

    communities = []
    for number in range(count):
        shape = DEMO_FLEET[number % len(DEMO_FLEET)]
        community = f"p{number:04d}-{shape.community}"[:32]
        printer = dataclasses.replace(
            shape,
            community=community,
            serial=None if shape.serial is None else f"{shape.serial[:8]}{number:05d}",
            mac=f"02:52:44:00:{number // 256:02x}:{number % 256:02x}",
        )
        (directory / f"{community}.snmprec").write_text(render_snmprec(printer), "ascii")
        communities.append(community)
    return communities


def cpu_seconds(pid: int) -> float:
    """utime + stime of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def snmpsim_pid() -> int:
    """The snmpsim process this benchmark started (a child of this process)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"snmpsim-command-responder" in cmdline:
            return int(entry.name)
    raise RuntimeError("snmpsim process not found")


def net_snmp_seconds(host: str, port: int, community: str) -> float:
    """Time net-snmp reading what the agent reads: one GET plus one bulk walk per subtree."""
    from remotecare.agent import printer_mib

    walked = [
        s
        for s in printer_mib.SUBTREES
        if s not in (printer_mib.SYS_DESCR, printer_mib.SYS_OBJECT_ID)
    ]
    target = f"{host}:{port}"
    started = time.perf_counter()
    subprocess.run(
        [
            "snmpget",
            "-v2c",
            "-c",
            community,
            "-On",
            target,
            "1.3.6.1.2.1.1.1.0",
            "1.3.6.1.2.1.1.2.0",
        ],
        check=True,
        capture_output=True,
    )
    for subtree in walked:
        subprocess.run(
            [
                "snmpbulkwalk",
                "-v2c",
                "-c",
                community,
                "-On",
                "-Cr25",
                target,
                ".".join(map(str, subtree.oid)),
            ],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


# --- the child: the agent's poll cycle in a process of its own ----------------------------


async def _child_cycle(
    urls: list[str], concurrency: int, timeout_s: float, home: Path
) -> dict[str, Any]:
    from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
    from remotecare.agent.poller import printer_targets, read_any
    from remotecare.agent.runner import Agent

    settings = AgentSettings(
        printers=tuple(urls),
        max_concurrent_polls=concurrency,
        snmp_timeout_seconds=timeout_s,
        snmp_retries=1,
    )
    identity = AgentIdentity(  # never contacted: the cycle polls and queues, sends nothing
        "00000000-0000-4000-8000-00000000b001", "https://127.0.0.1:9/", "https://127.0.0.1:9/"
    )
    agent = Agent(AgentPaths(home), settings, identity)
    started_at = time.time()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    polled = await agent.poll()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak_rss_mb = own_peak_rss_mb()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _KIB
    [one] = printer_targets(settings, urls[:1])
    single0 = time.perf_counter()
    await read_any(one, settings)  # the same read: timeout_s, 1 retry
    single = time.perf_counter() - single0
    return {
        "printers": polled.polled,
        "unreachable": polled.unreachable,
        "storage_error": polled.storage_error,
        "started_at": started_at,
        "wall_s": wall,
        "cpu_s": cpu,
        "one_printer_s": single,
        "peak_rss_mb": peak_rss_mb,
        "maxrss_mb": maxrss_mb,
        "modules": sorted(
            m for m in ("aiohttp", "cryptography", "pydantic", "yaml", "pysnmp") if m in sys.modules
        ),
    }


def own_peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / _KIB
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(urls_file: Path, concurrency: int, timeout_s: float, home: Path) -> None:
    urls = urls_file.read_text().split()
    result = asyncio.run(_child_cycle(urls, concurrency, timeout_s, home))
    print(json.dumps(result))


def queued_count(outbox: Path) -> int:
    """How many reports the outbox holds, read from outside (0 while it is being made)."""
    if not outbox.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(outbox, timeout=5)) as db:
            return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
    except sqlite3.Error:
        return 0


def outbox_contents(outbox: Path) -> dict[str, Any]:
    """What the cycle queued: reports, unreachable, partial, distinct serials; from SQL."""
    with contextlib.closing(sqlite3.connect(outbox)) as db:
        row = db.execute(
            "SELECT count(*), count(*) - count(json_extract(body, '$.reading')), "
            "count(json_extract(body, '$.reading.partial_reason')), "
            "count(DISTINCT json_extract(body, '$.reading.serial')), "
            "min(json_extract(body, '$.unreachable_reason')) FROM outbox"
        ).fetchone()
        ok = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return {
        "queued": row[0],
        "queued_unreachable": row[1],
        "partial": row[2],
        "distinct_serials": row[3],
        "first_unreachable_reason": row[4],
        "outbox_ok": ok,
    }


def run_child(command: list[str], outbox: Path, errors: Path) -> tuple[str, float | None]:
    """Run the child; watch its outbox meanwhile. (stdout, when the first report was in it)."""
    first_queued_at = None
    with open(errors, "w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        assert process.stdout is not None
        while process.poll() is None:
            if first_queued_at is None and queued_count(outbox) > 0:
                first_queued_at = time.time()
            time.sleep(_WATCH_EVERY_S)
        out = process.stdout.read()
    if process.returncode != 0:
        sys.exit(f"the cycle failed:\n{errors.read_text()[-4000:]}")
    return out, first_queued_at


def cpu_pressure() -> str:
    """The 'some' line of /proc/pressure/cpu: how much others were waiting for a core."""
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return "n/a"


# --- the parent ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--printers", type=int, default=1000)
    parser.add_argument("--ports", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32, help="max_concurrent_polls")
    parser.add_argument("--timeout", type=float, default=5.0, help="per SNMP request, seconds")
    parser.add_argument(
        "--snmpsim-wait", type=float, default=None, help="seconds for snmpsim to start"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.concurrency, args.timeout, args.home)
        return
    from remotecare.agent import printer_mib
    from remotecare.demo import snmpsim
    from remotecare.demo.snmpsim import free_udp_port, running_snmpsim

    if args.snmpsim_wait is not None:
        snmpsim._READY_TIMEOUT_S = args.snmpsim_wait  # no public knob for it
    if shutil.which("snmpbulkwalk") is None:
        sys.exit("net-snmp's snmpbulkwalk is missing: apt-get install snmp")
    load = os.getloadavg()
    pressure_before = cpu_pressure()
    with tempfile.TemporaryDirectory(prefix="remotecare-bench-") as temp:
        data = Path(temp) / "data"
        data.mkdir()
        started = time.perf_counter()
        communities = write_printers(data, args.printers)
        ports = [free_udp_port() for _ in range(args.ports)]
        urls = [
            f"snmp://{community}@127.0.0.1:{ports[n % len(ports)]}"
            for n, community in enumerate(communities)
        ]
        urls_file = Path(temp) / "urls.txt"
        urls_file.write_text("\n".join(urls))
        home = Path(temp) / "agent"
        home.mkdir(mode=0o700)
        outbox = home / "outbox.sqlite"
        with running_snmpsim(data, probe_community=communities[0], ports=ports) as simulator:
            print(
                f"snmpsim ready with {args.printers} printers on {args.ports} ports "
                f"after {time.perf_counter() - started:.1f} s"
            )
            sim_pid = snmpsim_pid()
            sim_cpu0 = cpu_seconds(sim_pid)
            command = [
                sys.executable,
                __file__,
                "--child",
                str(urls_file),
                "--concurrency",
                str(args.concurrency),
                "--timeout",
                str(args.timeout),
                "--home",
                str(home),
            ]
            out, first_queued_at = run_child(command, outbox, Path(temp) / "child.err")
            sim_cpu = cpu_seconds(sim_pid) - sim_cpu0
            result = json.loads(out.strip().splitlines()[-1])
            result.update(outbox_contents(outbox))
            one_url_port = ports[0]
            net_snmp = net_snmp_seconds(simulator.host, one_url_port, communities[0])
    cores = os.cpu_count() or 1
    ratio = result["one_printer_s"] / net_snmp
    read = result["printers"] - result["unreachable"]
    print(
        f"printers polled      {result['printers']} in one cycle "
        f"({read} read, {result['unreachable']} unreachable, "
        f"{result['partial']} partial, {result['distinct_serials']} distinct serials)"
    )
    print(
        f"outbox               {result['queued']} reports queued "
        f"({result['queued_unreachable']} unreachable), integrity "
        + ("ok" if result["outbox_ok"] else "DAMAGED")
    )
    if result["storage_error"]:
        print(f"  storage error: {result['storage_error']}")
    if result["first_unreachable_reason"]:
        print(f"  first unreachable: {result['first_unreachable_reason']}")
    if first_queued_at is not None:
        first = first_queued_at - result["started_at"]
        print(f"first report queued  {first:.1f} s into the cycle (watched from outside)")
    print(f"wall time            {result['wall_s']:.1f} s   (target <= {TARGET_WALL_S:g} s)")
    print(f"poller CPU time      {result['cpu_s']:.1f} s")
    print(f"snmpsim CPU time     {sim_cpu:.1f} s   (same cycle; {cores} cores in all)")
    print(
        f"poller peak RSS      {result['peak_rss_mb']:.1f} MB   (VmHWM; target <= "
        f"{TARGET_RSS_MB:g} MB; ru_maxrss {result['maxrss_mb']:.1f} MB counts the parent too)"
    )
    cpu_per_read_ms = result["cpu_s"] * 1000 / max(1, result["printers"] - result["unreachable"])
    print(f"CPU per printer read {cpu_per_read_ms:.1f} ms")
    print(f"agent imported       {', '.join(result['modules']) or 'none of the heavy ones'}")
    walks = len(printer_mib.SUBTREES) - 2
    print(f"one printer, agent   {result['one_printer_s'] * 1000:.0f} ms (warm dispatcher)")
    print(f"one printer, net-snmp {net_snmp * 1000:.0f} ms (snmpget + {walks} snmpbulkwalk runs)")
    print(f"agent / net-snmp     {ratio:.2f}")
    print(f"load average         {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after (1 min)")
    print(f"cpu pressure before  {pressure_before}")
    print(f"cpu pressure after   {cpu_pressure()}")
    met = (
        result["wall_s"] <= TARGET_WALL_S
        and result["peak_rss_mb"] <= TARGET_RSS_MB
        and result["queued"] == result["printers"]
    )
    print("targets              " + ("met" if met else "MISSED"))


if __name__ == "__main__":
    main()
