"""`remotecare center ...`: set up, serve and administer a center (one module per package)."""

from __future__ import annotations

import click

from remotecare.center.cli import access, contracts, fleet, identity, kernel, partners

__all__ = ["center"]


@click.group()
def center() -> None:
    """Run the management center."""


for command in (
    kernel.init,
    kernel.migrate,
    kernel.serve,
    kernel.proxy_config,
    identity.token,
    identity.revoke,
    identity.list_endpoints,
    access.unlock_login,
    access.api_tokens_group,
    access.users_group,
    partners.partners_group,
    fleet.command,
    fleet.printers_group,
    contracts.contracts,
    contracts.audit,
):
    center.add_command(command)
