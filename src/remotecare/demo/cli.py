"""`remotecare demo`: run the whole system on loopback."""

from __future__ import annotations

import asyncio

import click

from remotecare.demo.runner import format_summary, run_demo

__all__ = ["demo"]


@click.command()
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option("--interval", type=float, default=10.0, show_default=True, help="Poll interval, s.")
def demo(duration: float | None, interval: float) -> None:
    """Start a center, a simulated fleet over real SNMP and an enrolled agent."""
    if duration is not None and duration <= 0:
        raise click.BadParameter("must be positive", param_hint="--duration")
    summary = asyncio.run(run_demo(duration, interval, say=click.echo))
    click.echo(format_summary(summary))
