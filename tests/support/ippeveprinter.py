"""Run CUPS's ippeveprinter (a real IPP Everywhere printer) on loopback for tests.

ippeveprinter refuses to start without a D-Bus system bus ("Unable to initialize
DNS-SD"), even with ``-r off``, so a private ``dbus-daemon`` runs in a temporary
directory and ``DBUS_SYSTEM_BUS_ADDRESS`` points there: no system service is touched and
nothing is advertised. ``-n localhost`` listens on 127.0.0.1 and ::1.

Usage::

    with running_ippeveprinter(attributes=ATTRS, command=script) as printer:
        printer.url                       # ipp://127.0.0.1:PORT/ipp/print
        printer.set_supply_levels([95, 3])  # GET /supplies?supply0=95&supply1=3

The attribute file (``-a``) replaces the generated description: it should set
printer-make-and-model, printer-device-id, printer-supply and its descriptions, and the
counters. ``set_supply_levels`` rewrites printer-supply from ippeveprinter's own
templates (index 1 waste toner, then black, cyan, magenta, yellow toner) and sets its
state reasons; it needs one level per supply the printer has, or it changes nothing.
Both processes are stopped on exit, whatever happens.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["IppEvePrinter", "IppEveUnavailable", "free_tcp_port", "running_ippeveprinter"]

_READY_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 5.0
_POLL_S = 0.05
_HTTP_TIMEOUT_S = 5.0
_DBUS = "dbus-daemon"
_IPPEVEPRINTER = "ippeveprinter"
_SBIN = Path("/usr/sbin")


class IppEveUnavailable(RuntimeError):
    """ippeveprinter or dbus-daemon is not installed on this machine."""


@dataclass(frozen=True)
class IppEvePrinter:
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    @property
    def tls_url(self) -> str:
        """The same printer over TLS (it answers both on one port)."""
        return f"ipps://127.0.0.1:{self.port}/ipp/print"

    def set_supply_levels(self, levels: Sequence[int]) -> None:
        """Change printer-supply and its state reasons live through the web interface."""
        query = "&".join(f"supply{index}={level}" for index, level in enumerate(levels))
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.port}/supplies?{query}", timeout=_HTTP_TIMEOUT_S
        ) as response:
            response.read()


def free_tcp_port() -> int:
    """A TCP port free right now on 127.0.0.1 and ::1 (ippeveprinter binds both)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET6) as sock6:
                sock6.bind(("::1", port))
        except OSError:
            continue
        return port


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(_SBIN))
    if found is None:
        raise IppEveUnavailable(f"{name} is not installed (Debian: cups-ipp-utils and dbus)")
    return found


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT_S)


def _wait_for(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while not condition():
        if process.poll() is not None:
            raise IppEveUnavailable(
                f"{what} exited with status {process.returncode}: {log.read_text()[-2000:]}"
            )
        if time.monotonic() > deadline:
            raise IppEveUnavailable(f"{what} was not ready within {_READY_TIMEOUT_S} s")
        time.sleep(_POLL_S)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=_POLL_S * 4):
            return True
    except OSError:
        return False


@contextmanager
def running_ippeveprinter(
    *,
    attributes: str | None = None,
    command: Path | None = None,
    name: str = "Remote Care Test",
) -> Iterator[IppEvePrinter]:
    """Start a private D-Bus and ippeveprinter; stop both on exit, whatever happens."""
    dbus, ippeveprinter = _program(_DBUS), _program(_IPPEVEPRINTER)
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rc-ipp-")))
        bus = directory / "bus"
        dbus_log = directory / "dbus.log"
        dbus_process = subprocess.Popen(
            [dbus, "--session", f"--address=unix:path={bus}", "--nofork", "--nopidfile"],
            stdout=stack.enter_context(dbus_log.open("wb")),
            stderr=subprocess.STDOUT,
        )
        stack.callback(_stop, dbus_process)
        _wait_for(bus.exists, dbus_process, "dbus-daemon", dbus_log)
        port = free_tcp_port()
        spool, keys = directory / "spool", directory / "ssl"
        spool.mkdir()
        keys.mkdir()  # -K: where it makes its self-signed certificate for ipps://
        args = [ippeveprinter, "-n", "localhost", "-p", str(port), "-r", "off", "-d", str(spool)]
        args += ["-K", str(keys)]
        if attributes is not None:
            attributes_file = directory / "printer.conf"
            attributes_file.write_text(attributes)
            args += ["-a", str(attributes_file)]
        if command is not None:
            args += ["-c", str(command)]
        log = directory / "ippeveprinter.log"
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={bus}")
        printer_process = subprocess.Popen(
            [*args, name],
            env=env,
            stdout=stack.enter_context(log.open("wb")),
            stderr=subprocess.STDOUT,
        )
        stack.callback(_stop, printer_process)
        _wait_for(lambda: _answers(port), printer_process, "ippeveprinter", log)
        yield IppEvePrinter(port=port, directory=directory)
