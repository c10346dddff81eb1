"""`remotecare center command | printers pending | printers confirm`: the fleet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from remotecare.center.cli.common import HOME, administered
from remotecare.protocol.messages import CommandKind

__all__ = ["command", "printers_group"]


def _arguments(pairs: tuple[str, ...]) -> dict[str, str | int]:
    arguments: dict[str, str | int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--arg")
        arguments[name.strip()] = value.strip()
    return arguments


@click.command()
@HOME
@click.argument("endpoint")
@click.argument("kind", type=click.Choice([k.value for k in CommandKind]))
@click.option("--arg", "pairs", multiple=True, metavar="NAME=VALUE", help="A command argument.")
def command(home: Path, endpoint: str, kind: str, pairs: tuple[str, ...]) -> None:
    """Queue a command for ENDPOINT; its agent picks it up at its next check-in.

    \b
    set_poll_interval    --arg seconds=600     (60 to 86400)
    collect_diagnostics  --arg printer=SERIAL  (a printer the endpoint reports for)
    renew_certificate
    rediscover
    """
    with administered(home) as center_:
        queued = center_.admin.queue_command(endpoint, CommandKind(kind), _arguments(pairs))
    click.echo(f"queued {queued.kind.value} {queued.command_id} for endpoint {endpoint}")


@click.group("printers")
def printers_group() -> None:
    """Printers waiting for confirmation (printer_binding = "confirm", or a weak identity)."""


@printers_group.command("pending")
@HOME
def printers_pending(home: Path) -> None:
    """List printers waiting for an operator to confirm them.

    A printer that gave no serial number, vendor serial or MAC address is listed with its
    weak identity (weak:..., from its address and sysObjectID) and always waits here.
    """
    with administered(home) as center_:
        rows = center_.admin.pending_printers()
    now = datetime.now(UTC)
    for row in rows:
        waiting = int((now - row.first_seen_at).total_seconds() // 60)
        weak = f"  weak identity ({row.serial_source}) at {row.address}" if row.weak else ""
        click.echo(
            f"{row.serial}  {row.model}  {row.customer}  endpoint {row.endpoint_id}  "
            f"{row.held_reports} held report(s), waiting {waiting} min{weak}"
        )


@printers_group.command("confirm")
@HOME
@click.argument("serial")
@click.option("--customer", default=None, help="Needed only if several customers have SERIAL.")
def printers_confirm(home: Path, serial: str, customer: str | None) -> None:
    """Confirm the pending printer SERIAL: it becomes a device and its held reports attach."""
    with administered(home) as center_:
        done = center_.admin.confirm_printer(serial, customer)
    click.echo(
        f"printer {done.serial} of {done.customer} confirmed for endpoint {done.endpoint_id}; "
        f"{done.attached_reports} held report(s) attached"
    )
