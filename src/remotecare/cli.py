"""The `remotecare` command line: the agent's and the center's commands, and the demo."""

from __future__ import annotations

import click

from remotecare.agent.cli import agent
from remotecare.center.cli import center
from remotecare.demo.cli import demo
from remotecare.logs import LOG_FORMATS, configure_logging

__all__ = ["main"]


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    envvar="REMOTECARE_LOG_FORMAT",
    help="text, or json: one JSON object per line (secrets are scrubbed either way).",
)
@click.version_option(package_name="remotecare")
def main(verbose: bool, log_format: str) -> None:
    """Remote care for office printers and MFPs."""
    configure_logging(verbose=verbose, log_format=log_format)


main.add_command(agent)
main.add_command(center)
main.add_command(demo)
