"""Run snmpsim (a real SNMP agent simulator) on loopback, for the demo, tests and benchmarks.

Each ``<name>.snmprec`` file in the data directory becomes an SNMP v2c community named
``<name>``. snmpsim answers an unknown community with silence, so :func:`wait_ready`
asks for sysDescr of a community that must exist.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from remotecare.errors import RemoteCareError

__all__ = ["SnmpSimulator", "SnmpV3User", "free_udp_port", "running_snmpsim"]

_READY_TIMEOUT_S = 20.0
_STOP_TIMEOUT_S = 10.0


def free_udp_port() -> int:
    """Return a UDP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class SnmpV3User:
    """The one SNMPv3 user snmpsim accepts (protocol names as its --help lists them).

    With v3, snmpsim picks the recording by *context name* (the file name without
    ``.snmprec``), as it picks it by community with v1/v2c.
    """

    user: str
    auth_key: str = field(repr=False)
    priv_key: str = field(repr=False)
    auth_proto: str = "SHA"
    priv_proto: str = "AES"

    def args(self) -> list[str]:
        return [
            f"--v3-user={self.user}",
            f"--v3-auth-key={self.auth_key}",
            f"--v3-auth-proto={self.auth_proto}",
            f"--v3-priv-key={self.priv_key}",
            f"--v3-priv-proto={self.priv_proto}",
        ]


@dataclass(frozen=True, slots=True)
class SnmpSimulator:
    host: str
    ports: tuple[int, ...]
    data_dir: Path

    @property
    def port(self) -> int:
        return self.ports[0]

    def url(self, community: str, port: int | None = None) -> str:
        return f"snmp://{community}@{self.host}:{port or self.port}"


def _snmpsim_executable() -> str:
    candidate = Path(sys.executable).with_name("snmpsim-command-responder")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("snmpsim-command-responder")
    if found is None:
        raise RemoteCareError(
            "snmpsim-command-responder not found: install remotecare[sim] (the demo's extra)"
        )
    return found


def _answers(host: str, port: int, community: str) -> bool:
    """Send one SNMP v2c GET of sysDescr.0 and tell whether any response came back."""
    # A hand-built GET keeps this readiness probe free of the asyncio client (one UDP packet).
    oid = bytes([0x06, 0x08, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00])
    varbind = bytes([0x30, len(oid) + 2]) + oid + b"\x05\x00"
    varbinds = bytes([0x30, len(varbind)]) + varbind
    pdu_body = b"\x02\x01\x01" + b"\x02\x01\x00" + b"\x02\x01\x00" + varbinds
    pdu = bytes([0xA0, len(pdu_body)]) + pdu_body
    comm = community.encode()
    msg_body = b"\x02\x01\x01" + bytes([0x04, len(comm)]) + comm + pdu
    message = bytes([0x30, len(msg_body)]) + msg_body
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        try:
            sock.sendto(message, (host, port))
            sock.recvfrom(4096)
        except OSError:
            return False
    return True


@contextmanager
def running_snmpsim(
    data_dir: Path,
    *,
    probe_community: str,
    ports: Sequence[int] | None = None,
    host: str = "127.0.0.1",
    log_file: Path | None = None,
    v3_user: SnmpV3User | None = None,
) -> Iterator[SnmpSimulator]:
    """Start snmpsim serving ``data_dir`` on ``ports``; stop it on exit, whatever happens.

    ``v3_user`` adds one SNMPv3 user (v1/v2c communities keep working beside it).
    """
    chosen = tuple(ports) if ports else (free_udp_port(),)
    with tempfile.TemporaryDirectory(prefix="remotecare-snmpsim-") as cache_dir:
        args = [_snmpsim_executable(), f"--data-dir={data_dir}", f"--cache-dir={cache_dir}"]
        if v3_user is not None:
            args = [args[0], "--v3-engine-id=auto", *v3_user.args(), *args[1:]]
        args += [f"--agent-udpv4-endpoint={host}:{port}" for port in chosen]
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        log = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + _READY_TIMEOUT_S
            while not _answers(host, chosen[0], probe_community):
                if process.poll() is not None:
                    raise RemoteCareError(f"snmpsim exited with status {process.returncode}")
                if time.monotonic() > deadline:
                    raise RemoteCareError(f"snmpsim did not answer within {_READY_TIMEOUT_S} s")
                time.sleep(0.1)
            yield SnmpSimulator(host=host, ports=chosen, data_dir=data_dir)
        finally:
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(_STOP_TIMEOUT_S)
            if log is not subprocess.DEVNULL:
                log.close()  # type: ignore[union-attr]
