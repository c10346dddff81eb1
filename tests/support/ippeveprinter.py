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
import tempfile
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import answers, free_tcp_port
from tests.support.processes import started

__all__ = ["IppEvePrinter", "IppEveUnavailable", "running_ippeveprinter"]

_READY_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 5.0
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


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(_SBIN))
    if found is None:
        raise IppEveUnavailable(f"{name} is not installed (Debian: cups-ipp-utils and dbus)")
    return found


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
        stack.enter_context(
            started(
                [dbus, "--session", f"--address=unix:path={bus}", "--nofork", "--nopidfile"],
                dbus_log,
                what="dbus-daemon",
                ready=bus.exists,
                ready_timeout_s=_READY_TIMEOUT_S,
                stop_timeout_s=_STOP_TIMEOUT_S,
                error=IppEveUnavailable,
            )
        )
        port = free_tcp_port(also_ipv6=True)  # ippeveprinter binds both loopbacks
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
        stack.enter_context(
            started(
                [*args, name],
                log,
                what="ippeveprinter",
                ready=lambda: answers("127.0.0.1", port),
                env=env,
                ready_timeout_s=_READY_TIMEOUT_S,
                stop_timeout_s=_STOP_TIMEOUT_S,
                error=IppEveUnavailable,
            )
        )
        yield IppEvePrinter(port=port, directory=directory)
