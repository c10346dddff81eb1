"""`remotecare agent ...`: enrol, poll and push."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import time
from pathlib import Path

import click

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.diagnostics import RecentLogs
from remotecare.agent.discovery import (
    DEFAULT_CONCURRENCY,
    DEFAULT_RATE_PPS,
    DEFAULT_SNMP_PORT,
    MDNS_LISTEN_SECONDS,
    FoundPrinter,
    ScanProgress,
    browse_ipp,
    merge_printers,
    scan_network,
)
from remotecare.agent.poller import (
    UNENROLLED,
    PrinterTarget,
    Site,
    poll_once,
    printer_targets,
    public_address,
    read_any,
)
from remotecare.agent.privacy import Pseudonymizer, create_key_file, load_or_create_key
from remotecare.agent.probe_view import render_reading, weak_identity_warning
from remotecare.agent.probes.snmp import close_engine
from remotecare.agent.runner import run_agent, run_cycle
from remotecare.errors import RemoteCareError
from remotecare.protocol.messages import PrinterReading, ReportBatch

__all__ = ["agent"]

_HOME = click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    envvar="REMOTECARE_AGENT_HOME",
    help="The agent's home directory (key, certificate, settings, outbox).",
)


@click.group()
def agent() -> None:
    """Run the site agent."""


@agent.command("enroll")  # the command keeps its published name
@_HOME
@click.option("--center", "center_url", required=True, help="https://NAME:PORT of the center.")
@click.option("--token", required=True, help="The one-time enrolment token.")
@click.option("--ca-fingerprint", required=True, help="SHA-256 fingerprint of the center's CA.")
@click.option(
    "--privacy-key-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="The customer's pseudonymization key (from `agent privacy-key`), shared by its agents.",
)
def enrol(
    home: Path, center_url: str, token: str, ca_fingerprint: str, privacy_key_file: Path | None
) -> None:
    """Make a key here and get a certificate for it from the center."""
    # Imported here: enrolment needs cryptography, which `agent run` does not load.
    from remotecare.agent.enrolment import enrol as enrol_agent

    paths = AgentPaths(home.resolve())
    try:
        identity = asyncio.run(
            enrol_agent(paths, center_url, token, ca_fingerprint, privacy_key_file=privacy_key_file)
        )
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"enrolled as endpoint {identity.endpoint_id}")
    click.echo(f"reports go to {identity.device_api_url} (mutual TLS)")
    if not paths.config.exists():
        AgentSettings().save(paths.config)
        click.echo(f"add printers to {paths.config}")


@agent.command("privacy-key")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def privacy_key(path: Path) -> None:
    """Make a customer's pseudonymization key (0600) to enrol all its agents with.

    With one key per customer, the same user or host name becomes the same pseudonym at
    every site of that customer; the key never leaves the customer's machines.
    """
    try:
        create_key_file(path)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {path}; enrol each agent with --privacy-key-file {path}")


@agent.command()
@_HOME
@click.option("--once", is_flag=True, help="Run one poll cycle and exit.")
def run(home: Path, once: bool) -> None:
    """Poll the configured printers and push what they say to the center."""
    paths = AgentPaths(home.resolve())
    try:
        settings = AgentSettings.load(paths.config)
        identity = AgentIdentity.load(paths.identity)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.printers and (once or not settings.discovery_networks):
        # A long-running agent with discovery_networks may start empty: the center's
        # `rediscover` command fills its list.
        raise click.ClickException(f"no printers configured in {paths.config}")
    if not once:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run_until_stopped(paths, settings, identity))
        return
    try:
        result = asyncio.run(run_cycle(paths, settings, identity))
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"polled {result.polled} printer(s), {result.unreachable} not answering; "
        f"sent {result.delivery.sent} report(s), {result.delivery.remaining} waiting"
    )
    if result.storage_error:
        raise click.ClickException(result.storage_error)
    if result.delivery.remaining:
        raise click.ClickException(
            "some reports are still queued: " + "; ".join(result.delivery.errors)
        )


async def _run_until_stopped(
    paths: AgentPaths, settings: AgentSettings, identity: AgentIdentity
) -> None:
    """Run the agent until SIGTERM (systemd's stop) or SIGINT, then stop between steps."""
    logs = RecentLogs()
    logging.getLogger().addHandler(logs)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run_agent(paths, settings, identity, logs=logs, stop=stop)


@agent.command()
@_HOME
@click.option("--skip-printers", is_flag=True, help="Check the way to the center only.")
def doctor(home: Path, skip_printers: bool) -> None:
    """Check configuration, network, certificates, clock, center and printers, in order."""
    # Imported here: the doctor reads certificates with cryptography; `agent run` does not.
    from remotecare.agent.doctor import diagnose, healthy, render

    paths = AgentPaths(home.resolve())
    checks = asyncio.run(diagnose(paths, check_printers=not skip_printers))
    click.echo(render(checks))
    if not healthy(checks):
        raise SystemExit(1)


@agent.command("show-payload")
@_HOME
def show_payload(home: Path) -> None:
    """Poll now and print exactly what the center would receive; send nothing."""
    paths = AgentPaths(home.resolve())
    try:
        settings = AgentSettings.load(paths.config)
        privacy = Pseudonymizer(load_or_create_key(paths.privacy_key))
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.printers:
        raise click.ClickException(f"no printers configured in {paths.config}")
    site = UNENROLLED
    with contextlib.suppress(RemoteCareError):  # not enrolled yet: weak identities differ
        site = Site(AgentIdentity.load(paths.identity).endpoint_id, privacy.address)
    reports = asyncio.run(poll_once(settings, site=site))
    batch = ReportBatch(reports=[privacy.report(r) for r in reports])
    click.echo(batch.model_dump_json(indent=2, exclude_none=True))


@agent.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the reading as JSON.")
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="REMOTECARE_AGENT_HOME",
    default=None,
    help="Agent home whose agent.toml gives SNMPv3 keys, timeout and retries (optional).",
)
def probe(url: str, as_json: bool, home: Path | None) -> None:
    """Read one printer now and print everything the agent reads from it.

    URL is a printer address as in agent.toml (snmp://COMMUNITY@HOST[:PORT],
    snmpv3://USER@HOST?auth=sha&priv=aes ...). This is the reading as read, before
    pseudonymization; nothing is sent (`show-payload` shows what would leave the site).
    A printer that gives no serial number, vendor serial or MAC address is shown with its
    weak identity and a warning (with an enrolled --home, the identity the agent sends).
    """
    try:
        settings = AgentSettings()
        site = UNENROLLED
        if home is not None:
            paths = AgentPaths(home.resolve())
            settings = AgentSettings.load(paths.config)
            site = _enrolled_site(paths)
        [target] = printer_targets(settings, [url])
        reading = asyncio.run(_probe(target, settings, site))
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(reading.model_dump_json(indent=2))
        warning = weak_identity_warning(reading, enrolled=site is not UNENROLLED)
        if warning:
            click.echo(f"warning: {warning}", err=True)
    else:
        enrolled = site is not UNENROLLED
        click.echo(render_reading(reading, address=public_address(target), enrolled=enrolled))


def _enrolled_site(paths: AgentPaths) -> Site:
    """The site as the enrolled agent of ``paths`` names weak printers, if it is enrolled
    and has its pseudonymization key; else :data:`UNENROLLED` (nothing is created)."""
    if not (paths.identity.exists() and paths.privacy_key.exists()):
        return UNENROLLED
    identity = AgentIdentity.load(paths.identity)
    return Site(identity.endpoint_id, Pseudonymizer(load_or_create_key(paths.privacy_key)).address)


async def _probe(target: PrinterTarget, settings: AgentSettings, site: Site) -> PrinterReading:
    try:
        return await read_any(target, settings, site)
    finally:
        close_engine()


_PROGRESS_EVERY_S = 0.5


@agent.command()
@click.argument("network")
@_HOME
@click.option("--community", default="public", show_default=True, help="SNMP v2c community.")
@click.option("--port", default=DEFAULT_SNMP_PORT, show_default=True, help="SNMP port.")
@click.option(
    "--rate",
    default=DEFAULT_RATE_PPS,
    show_default=True,
    type=float,
    help="SNMP packets per second at most (retries included).",
)
@click.option(
    "--concurrency",
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="SNMP requests waiting for an answer at most.",
)
@click.option("--mdns", is_flag=True, help="Also look for IPP printers announced over mDNS.")
@click.option("--yes", is_flag=True, help="Add the printers found without asking.")
def discover(
    network: str,
    home: Path,
    community: str,
    port: int,
    rate: float,
    concurrency: int,
    mdns: bool,
    yes: bool,
) -> None:
    """Find printers in NETWORK (CIDR, at most a /16) and offer to add them to agent.toml.

    Each address gets one SNMP GET (sysDescr and the Printer-MIB), at most --rate packets
    a second; progress goes to stderr. The community is written into agent.toml (mode
    0600) with the printers' addresses, and shown nowhere.
    """
    paths = AgentPaths(home.resolve())
    try:
        settings = AgentSettings.load(paths.config)
        found = asyncio.run(_discover(network, settings, community, port, rate, concurrency, mdns))
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    printers, added = merge_printers(settings.printers, [p.url for p in found])
    if not found:
        click.echo("no printers found")
        return
    new = set(added)
    for printer in found:
        known = "" if printer.url in new else "  (already in agent.toml)"
        click.echo(
            f"{printer.protocol:<5} {printer.address:<24} {printer.model or '-'}  "
            f"serial {printer.serial or '-'}{known}"
        )
    if not added:
        click.echo(f"every printer found is already in {paths.config}")
        return
    if not yes and not click.confirm(f"add {len(added)} printer(s) to {paths.config}?"):
        click.echo("nothing added")
        return
    paths.home.mkdir(parents=True, exist_ok=True)
    dataclasses.replace(settings, printers=printers).save(paths.config)
    click.echo(f"added {len(added)} printer(s) to {paths.config}")


async def _discover(
    network: str,
    settings: AgentSettings,
    community: str,
    port: int,
    rate: float,
    concurrency: int,
    mdns: bool,
) -> list[FoundPrinter]:
    last_shown = 0.0

    def show(progress: ScanProgress) -> None:
        nonlocal last_shown
        now = time.monotonic()
        if progress.scanned == progress.total or now - last_shown >= _PROGRESS_EVERY_S:
            last_shown = now
            click.echo(str(progress), err=True)

    try:
        result = await scan_network(
            network,
            community=community,
            port=port,
            rate_pps=rate,
            concurrency=concurrency,
            timeout_s=settings.snmp_timeout_seconds,
            retries=settings.snmp_retries,
            progress=show,
        )
    finally:
        close_engine()
    click.echo(f"{result.packets} SNMP packets in {result.elapsed_s:.1f} s", err=True)
    found = list(result.printers)
    if mdns:
        seen = {printer.host for printer in found}
        announced = await browse_ipp(MDNS_LISTEN_SECONDS)
        found += [printer for printer in announced if printer.host not in seen]
    return found
