"""The `remotecare` command line: the agent's and the center's commands, and the demo.

Each group is imported only when it runs (``commands.LazyGroup``): the agent never loads
the center, and ``remotecare --help`` loads neither.
"""

from __future__ import annotations

import click

from remotecare.commands import LazyCommand, LazyGroup
from remotecare.logs import LOG_FORMATS, configure_logging

__all__ = ["GROUPS", "main"]

# The groups' one-line help is stated here so that listing them imports none of them
# (tests/unit/test_lazy_commands.py checks it against each group's own).
GROUPS = {
    "agent": LazyCommand("remotecare.agent.cli", "agent", "Run the site agent."),
    "center": LazyCommand("remotecare.center.cli", "center", "Run the management center."),
    "demo": LazyCommand(
        "remotecare.demo.cli",
        "demo",
        "Start a center, a simulated fleet over real SNMP and an enrolled agent.",
    ),
}


@click.group(cls=LazyGroup, lazy_commands=GROUPS)
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
