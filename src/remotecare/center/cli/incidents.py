"""`remotecare center incidents ...` and `remotecare center notify ...`: fault monitoring
and notifications from the command line (one transaction per command)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Connection

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.cli.common import HOME, administered
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.notify.rules import Audience, Channel
from remotecare.center.notify.service import (
    SubscriptionRequest,
    add_subscription,
    dead_letters,
    retry_dead,
    rotate_secret,
    subscriptions,
)
from remotecare.errors import OperatorError

__all__ = ["incidents_group", "notify_group"]

F = TypeVar("F", bound=Callable[..., Any])

_SEVERITIES = click.Choice(["critical", "warning", "info"])
_RESPONDERS = click.Choice(["customer", "field_service", "operator"])


@click.group("incidents")
def incidents_group() -> None:
    """Incidents from what printers report: list, acknowledge, resolve."""


@incidents_group.command("list")
@HOME
@click.option("--all", "every", is_flag=True, help="Resolved incidents too.")
@click.option("--severity", type=_SEVERITIES, default=None)
@click.option("--responder", type=_RESPONDERS, default=None, help="Who acts.")
@click.option("--customer", default=None, help="One customer, by name.")
@click.option("--language", type=click.Choice(["en", "ja"]), default="en")
def list_incidents(
    home: Path,
    every: bool,
    severity: str | None,
    responder: str | None,
    customer: str | None,
    language: str,
) -> None:
    """List open incidents (newest first), filtered."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        assert center_.incidents is not None
        customer_id = None
        if customer is not None:
            customer_id = customer_by_name(conn, customer)
            if customer_id is None:
                raise click.ClickException(f"no customer named {customer!r}")
        rows = center_.incidents.listing(
            conn,
            ADMINISTRATOR,
            open_only=not every,
            severity=severity,
            responder=responder,
            customer_id=customer_id,
            language=language,
        )
    for row in rows:
        flags = " flapping" if row.flapping else ""
        acknowledged = f" ack:{row.acknowledged_by}" if row.acknowledged_by else ""
        click.echo(
            f"{row.id}  {row.severity:8}  {row.state:8}{flags}  {row.title}  "
            f"[{row.condition_key}]  {row.customer} {row.subject}  for {row.responder}  "
            f"since {row.opened_at:%Y-%m-%d %H:%M}Z{acknowledged}"
            + (f"  bundle {row.bundle_id}" if row.bundle_id else "")
        )
        if row.cause:
            click.echo(f"    probable cause: {row.cause}")
    if not rows:
        click.echo("no incidents")


@incidents_group.command("show")
@HOME
@click.argument("incident_id", type=int)
def show_incident(home: Path, incident_id: int) -> None:
    """Show an incident's timeline."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        assert center_.incidents is not None
        entries = center_.incidents.timeline(conn, ADMINISTRATOR, incident_id)
    for entry in entries:
        who = f" by {entry.actor}" if entry.actor else ""
        note = f": {entry.note}" if entry.note else ""
        report = f" (report {entry.report_id})" if entry.report_id else ""
        click.echo(f"{entry.at:%Y-%m-%d %H:%M:%S}Z  {entry.change}{who}{note}{report}")


@incidents_group.command("ack")
@HOME
@click.argument("incident_id", type=int)
@click.option("--note", default=None, help="Why, or what happens next.")
def ack_incident(home: Path, incident_id: int, note: str | None) -> None:
    """Acknowledge an incident: someone is on it."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        assert center_.incidents is not None
        center_.incidents.acknowledge(conn, ADMINISTRATOR, incident_id, note)
    click.echo(f"incident {incident_id} acknowledged")


@incidents_group.command("resolve")
@HOME
@click.argument("incident_id", type=int)
@click.option("--note", default=None, help="What was done.")
def resolve_incident(home: Path, incident_id: int, note: str | None) -> None:
    """Resolve an incident by hand (its recipients are told)."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        assert center_.incidents is not None
        center_.incidents.resolve(conn, ADMINISTRATOR, incident_id, note)
    click.echo(f"incident {incident_id} resolved")


@incidents_group.command("report")
@HOME
@click.option("--months", type=click.IntRange(1, 60), default=6, show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="CSV on standard output.")
def report(home: Path, months: int, as_csv: bool) -> None:
    """Incidents, failures (for field service) and MTBF per model and month."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        assert center_.incidents is not None
        rows = center_.incidents.monthly(conn, ADMINISTRATOR, months)
    if as_csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["model", "month", "devices", "incidents", "failures", "mtbf_days"])
        for row in rows:
            mtbf = "" if row.mtbf_days is None else f"{row.mtbf_days:g}"
            out.writerow([row.model, row.month, row.devices, row.incidents, row.failures, mtbf])
        return
    for row in rows:
        mtbf = "-" if row.mtbf_days is None else f"{row.mtbf_days:g} days"
        click.echo(
            f"{row.month}  {row.model}  {row.devices} device(s)  {row.incidents} incident(s)  "
            f"{row.failures} failure(s)  MTBF {mtbf}"
        )


@click.group("notify")
def notify_group() -> None:
    """Who is told about incidents, and how: e-mail and signed webhooks."""


def _customers(conn: Connection, names: tuple[str, ...]) -> frozenset[int] | None:
    if not names:
        return None
    found = set()
    for name in names:
        customer_id = customer_by_name(conn, name)
        if customer_id is None:
            raise OperatorError(f"no customer named {name!r}")
        found.add(customer_id)
    return frozenset(found)


def _add(
    home: Path,
    channel: Channel,
    name: str,
    address: str,
    audience: str,
    customers: tuple[str, ...],
    severities: tuple[str, ...],
    responders: tuple[str, ...],
    language: str,
    quiet: str | None,
    timezone: str,
) -> str | None:
    quiet_start = quiet_end = None
    if quiet is not None:
        quiet_start, sep, quiet_end = quiet.partition("-")
        if not sep:
            raise click.BadParameter("quiet hours as HH:MM-HH:MM", param_hint="--quiet")
    with administered(home) as center_, center_.transactions.begin() as conn:
        request = SubscriptionRequest(
            name=name,
            channel=channel,
            address=address,
            audience=Audience(audience),
            customer_ids=_customers(conn, customers),
            severities=frozenset(severities or ("critical", "warning")),
            responders=frozenset(responders) if responders else None,
            language=language,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            timezone=timezone,
        )
        _, secret = add_subscription(conn, request, center_.clock.now())
    return secret


def _subscription_options(command: F) -> F:
    options = [
        click.option("--audience", type=click.Choice([a.value for a in Audience]), required=True),
        click.option("--customer", "customers", multiple=True, help="Only this customer (repeat)."),
        click.option("--severity", "severities", type=_SEVERITIES, multiple=True),
        click.option("--responder", "responders", type=_RESPONDERS, multiple=True),
        click.option("--language", type=click.Choice(["en", "ja"]), default="en"),
        click.option(
            "--quiet", default=None, help="Quiet hours, e.g. 22:00-07:00 (a digest after)."
        ),
        click.option("--timezone", default="Asia/Tokyo", show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@notify_group.command("add-email")
@HOME
@click.argument("name")
@click.argument("address")
@_subscription_options
def add_email(home: Path, name: str, address: str, **options: object) -> None:
    """Send incidents to the e-mail ADDRESS."""
    _add(home, Channel.EMAIL, name, address, **options)  # type: ignore[arg-type]
    click.echo(f"subscription {name} added")


@notify_group.command("add-webhook")
@HOME
@click.argument("name")
@click.argument("url")
@_subscription_options
def add_webhook(home: Path, name: str, url: str, **options: object) -> None:
    """Send incidents to URL as signed webhooks; prints the signing secret once."""
    secret = _add(home, Channel.WEBHOOK, name, url, **options)  # type: ignore[arg-type]
    click.echo(f"subscription {name} added; signing secret (shown once): {secret}")


@notify_group.command("rotate-secret")
@HOME
@click.argument("name")
def rotate(home: Path, name: str) -> None:
    """A new signing secret for the webhook NAME; the old one signs for 24 h more."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        secret = rotate_secret(conn, name, center_.clock.now())
    click.echo(f"new signing secret for {name} (shown once; the old one signs 24 h more): {secret}")


@notify_group.command("list")
@HOME
def list_subscriptions(home: Path) -> None:
    """List the subscriptions."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        found = subscriptions(conn, active_only=False)
    for s in found:
        quiet = (
            f" quiet {s.quiet_start:%H:%M}-{s.quiet_end:%H:%M} {s.timezone}"
            if s.quiet_start and s.quiet_end
            else ""
        )
        customers = (
            "all customers" if s.customer_ids is None else f"customers {sorted(s.customer_ids)}"
        )
        click.echo(
            f"{s.name}  {s.channel.value} {s.address}  {s.audience.value}  {customers}  "
            f"{','.join(sorted(s.severities))}  {s.language}{quiet}"
        )


@notify_group.command("dead")
@HOME
@click.option("--retry", is_flag=True, help="Put the dead letters back in the outbox.")
def dead(home: Path, retry: bool) -> None:
    """Messages that failed for a day (and why); --retry sends them again."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        rows = dead_letters(conn)
        retried = retry_dead(conn, center_.clock.now()) if retry else 0
    for row in rows:
        click.echo(
            f"{row.message_id}  {row.subscription}  incident {row.incident_id} {row.event}  "
            f"{row.attempts} attempts  {row.last_error}"
        )
    if retry:
        click.echo(f"{retried} message(s) back in the outbox")
    elif not rows:
        click.echo("no dead letters")
