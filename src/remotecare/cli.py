"""The `remotecare` command line: the agent's and the center's commands, and the demo."""

from __future__ import annotations

import logging

import click

from remotecare.agent.cli import agent
from remotecare.center.cli import center
from remotecare.demo.cli import demo

__all__ = ["main"]


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.version_option(package_name="remotecare")
def main(verbose: bool) -> None:
    """Remote care for office printers and MFPs."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


main.add_command(agent)
main.add_command(center)
main.add_command(demo)
