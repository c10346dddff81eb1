"""Poll 1,000 simulated printers in one cycle with the agent's real poller; measure it.

Usage::

    .venv/bin/python bench/poll_fleet.py [--printers 1000] [--ports 4] [--concurrency 32]

The parent writes one ``.snmprec`` per printer (the demo fleet's six vendor shapes from
:func:`remotecare.demo.fleet.render_snmprec`, each copy with its own community, serial and
MAC), starts snmpsim serving them on several loopback ports, and runs the poll in a child
process of its own (``--child``) so that the figures are the poller's alone: wall time,
CPU time and peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``). snmpsim's CPU time
over the same cycle is read from ``/proc`` to show which side is the bottleneck. Last, one
printer's read (the same subtrees, and the single GETs) is timed in the child and compared
with net-snmp's ``snmpbulkwalk``/``snmpget`` run as subprocesses, one after the other.
Targets: 1,000 printers in at most 30 s with a peak RSS of at most 80 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from remotecare.agent import printer_mib
from remotecare.demo.fleet import DEMO_FLEET, render_snmprec
from remotecare.demo.snmpsim import free_udp_port, running_snmpsim

TARGET_WALL_S: Final = 30.0
TARGET_RSS_MB: Final = 80.0
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
_KIB: Final = 1024


def write_printers(directory: Path, count: int) -> list[str]:
    """Write ``count`` printers (demo shapes, distinct identities); return their communities."""
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


# --- the child: the agent's poller in a process of its own ------------------------------


async def _child_cycle(urls: list[str], concurrency: int, timeout_s: float) -> dict[str, Any]:
    from remotecare.agent.config import AgentSettings
    from remotecare.agent.poller import poll_once, printer_targets
    from remotecare.agent.probes.reader import read_printer
    from remotecare.agent.probes.snmp import SnmpTarget

    settings = AgentSettings(
        printers=tuple(urls),
        max_concurrent_polls=concurrency,
        snmp_timeout_seconds=timeout_s,
        snmp_retries=1,
    )
    wall0, cpu0 = time.perf_counter(), time.process_time()
    reports = await poll_once(settings)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    unread = [r.unreachable_reason for r in reports if r.reading is None]
    partial = sum(1 for r in reports if r.reading is not None and r.reading.partial_reason)
    serials = {r.reading.serial for r in reports if r.reading is not None}
    [one] = printer_targets(settings, urls[:1])
    assert isinstance(one, SnmpTarget), one  # the bench fleet is snmpsim: snmp:// URLs
    single0 = time.perf_counter()
    await read_printer(one, timeout_s=timeout_s, retries=1)
    single = time.perf_counter() - single0
    return {
        "printers": len(reports),
        "read": len(reports) - len(unread),
        "unreachable": len(unread),
        "first_unreachable_reason": unread[0] if unread else None,
        "partial": partial,
        "distinct_serials": len(serials),
        "wall_s": wall,
        "cpu_s": cpu,
        "one_printer_s": single,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _KIB,
    }


def child(urls_file: Path, concurrency: int, timeout_s: float) -> None:
    urls = urls_file.read_text().split()
    result = asyncio.run(_child_cycle(urls, concurrency, timeout_s))
    print(json.dumps(result))


# --- the parent ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--printers", type=int, default=1000)
    parser.add_argument("--ports", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32, help="max_concurrent_polls")
    parser.add_argument("--timeout", type=float, default=5.0, help="per SNMP request, seconds")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.concurrency, args.timeout)
        return
    if shutil.which("snmpbulkwalk") is None:
        sys.exit("net-snmp's snmpbulkwalk is missing: apt-get install snmp")
    load = os.getloadavg()
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
            ]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            sim_cpu = cpu_seconds(sim_pid) - sim_cpu0
            result = json.loads(done.stdout.strip().splitlines()[-1])
            one_url_port = ports[0]
            net_snmp = net_snmp_seconds(simulator.host, one_url_port, communities[0])
    cores = os.cpu_count() or 1
    ratio = result["one_printer_s"] / net_snmp
    print(
        f"printers polled      {result['printers']} in one cycle "
        f"({result['read']} read, {result['unreachable']} unreachable, "
        f"{result['partial']} partial, {result['distinct_serials']} distinct serials)"
    )
    if result["first_unreachable_reason"]:
        print(f"  first unreachable: {result['first_unreachable_reason']}")
    print(f"wall time            {result['wall_s']:.1f} s   (target <= {TARGET_WALL_S:g} s)")
    print(f"poller CPU time      {result['cpu_s']:.1f} s")
    print(f"snmpsim CPU time     {sim_cpu:.1f} s   (same cycle; {cores} cores in all)")
    print(f"poller peak RSS      {result['peak_rss_mb']:.1f} MB   (target <= {TARGET_RSS_MB:g} MB)")
    walks = len(printer_mib.SUBTREES) - 2
    print(f"one printer, agent   {result['one_printer_s'] * 1000:.0f} ms (warm dispatcher)")
    print(f"one printer, net-snmp {net_snmp * 1000:.0f} ms (snmpget + {walks} snmpbulkwalk runs)")
    print(f"agent / net-snmp     {ratio:.2f}")
    print(f"load average         {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after (1 min)")
    met = result["wall_s"] <= TARGET_WALL_S and result["peak_rss_mb"] <= TARGET_RSS_MB
    print("targets              " + ("met" if met else "MISSED"))


if __name__ == "__main__":
    main()
