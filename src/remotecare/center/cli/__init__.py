"""`remotecare center ...`: set up, serve and administer a center (one module per package)."""

from __future__ import annotations

import click

from remotecare.center.cli import (
    access,
    contracts,
    fleet,
    identity,
    incidents,
    kernel,
    meters,
    partners,
    supplies,
)
from remotecare.center.cli import backup as backups

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
    supplies.orders_group,
    contracts.contracts,
    contracts.audit,
    backups.backup,
    backups.restore_backup,
    incidents.incidents_group,
    incidents.notify_group,
    meters.meters_group,
):
    center.add_command(command)
