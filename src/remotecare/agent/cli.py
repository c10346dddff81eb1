"""`remotecare agent ...`: enrol, poll and push."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click

from remotecare.agent.config import AgentIdentity, AgentPaths, AgentSettings
from remotecare.agent.enroll import enroll as enroll_agent
from remotecare.agent.runner import run_agent, run_cycle
from remotecare.errors import RemoteCareError

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


@agent.command()
@_HOME
@click.option("--center", "center_url", required=True, help="https://NAME:PORT of the center.")
@click.option("--token", required=True, help="The one-time enrolment token.")
@click.option("--ca-fingerprint", required=True, help="SHA-256 fingerprint of the center's CA.")
def enroll(home: Path, center_url: str, token: str, ca_fingerprint: str) -> None:
    """Make a key here and get a certificate for it from the center."""
    paths = AgentPaths(home.resolve())
    try:
        identity = asyncio.run(enroll_agent(paths, center_url, token, ca_fingerprint))
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"enrolled as endpoint {identity.endpoint_id}")
    click.echo(f"reports go to {identity.device_api_url} (mutual TLS)")
    if not paths.config.exists():
        AgentSettings().save(paths.config)
        click.echo(f"add printers to {paths.config}")


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
    if not settings.printers:
        raise click.ClickException(f"no printers configured in {paths.config}")
    if not once:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_agent(paths, settings, identity))
        return
    result = asyncio.run(run_cycle(paths, settings, identity))
    click.echo(
        f"polled {result.polled} printer(s), {result.unreachable} not answering; "
        f"sent {result.delivery.sent} report(s), {result.delivery.remaining} waiting"
    )
    if result.delivery.remaining:
        raise click.ClickException(
            "some reports are still queued: " + "; ".join(result.delivery.errors)
        )
