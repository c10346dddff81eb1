"""Free TCP ports and whether something listens on one: the tests' only socket probes."""

from __future__ import annotations

import socket

__all__ = ["answers", "free_tcp_port"]

_TRIES = 50


def free_tcp_port(*, also_ipv6: bool = False) -> int:
    """A TCP port free right now on 127.0.0.1 (and on ::1 when ``also_ipv6``)."""
    for _ in range(_TRIES):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if not also_ipv6:
            return port
        try:
            with socket.socket(socket.AF_INET6) as sock6:
                sock6.bind(("::1", port))
        except OSError:
            continue
        return port
    raise AssertionError(f"no TCP port free on both loopbacks after {_TRIES} tries")


def answers(host: str, port: int, *, timeout_s: float = 0.2) -> bool:
    """Whether something accepts TCP connections on ``host`` (IPv4 or IPv6) and ``port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.settimeout(timeout_s)
        return sock.connect_ex((host, port)) == 0
