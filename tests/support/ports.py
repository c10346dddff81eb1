"""Free TCP ports and whether something listens on one: the tests' only socket probes.

A port is drawn from below the kernel's ephemeral range, from a slice of its own for each
pytest-xdist worker. A port the kernel hands out for ``bind(0)`` is an ephemeral one, and
between the probe and the server's own bind any outgoing connection (to PostgreSQL, to
another center) may take it as its source port: the server then fails with "address
already in use". Below the ephemeral range the kernel picks no port by itself, and the
slices keep the workers of one run from drawing the same port.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

__all__ = ["answers", "free_tcp_port"]

_TRIES = 200
_LOWEST = 10_000  # clear of the usual fixed service ports
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_given: set[int] = set()  # handed out by this process: never twice (two calls, two servers)
_draw = random.Random()  # seeded from the OS: two concurrent runs draw differently


def _first_ephemeral_port() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _worker_slice() -> range:
    """This process's ports: its worker's share of the ports below the ephemeral range."""
    below = range(_LOWEST, _first_ephemeral_port())
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, ... under xdist
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    share = len(below) // max(count, 1)
    return range(below.start + index * share, below.start + (index + 1) * share)


def _bindable(port: int, *, also_ipv6: bool) -> bool:
    addresses = [(socket.AF_INET, "127.0.0.1")]
    if also_ipv6:
        addresses.append((socket.AF_INET6, "::1"))
    for family, host in addresses:
        with socket.socket(family) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


def free_tcp_port(*, also_ipv6: bool = False) -> int:
    """A TCP port free right now on 127.0.0.1 (and on ::1 when ``also_ipv6``), not handed
    out before by this process, and one the kernel will not give to an outgoing connection."""
    ports = _worker_slice()
    if len(ports) < _TRIES:  # an unusual ephemeral range: fall back to the kernel's choice
        return _kernel_port(also_ipv6=also_ipv6)
    for _ in range(_TRIES):
        port = _draw.choice(ports)
        if port not in _given and _bindable(port, also_ipv6=also_ipv6):
            _given.add(port)
            return port
    raise AssertionError(f"no TCP port free in {ports} after {_TRIES} tries")


def _kernel_port(*, also_ipv6: bool) -> int:
    for _ in range(_TRIES):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _given and _bindable(port, also_ipv6=also_ipv6):
            _given.add(port)
            return port
    raise AssertionError(f"no TCP port free after {_TRIES} tries")


def answers(host: str, port: int, *, timeout_s: float = 0.2) -> bool:
    """Whether something accepts TCP connections on ``host`` (IPv4 or IPv6) and ``port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.settimeout(timeout_s)
        return sock.connect_ex((host, port)) == 0
