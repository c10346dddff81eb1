"""`remotecare center partners ...`: affiliates and subcontractors, and what each may see."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.cli.common import HOME, administered, customer_named
from remotecare.center.contracts.service import customer_names
from remotecare.center.fleet.printers import printer_id_of

__all__ = ["partners_group"]

logger = logging.getLogger(__name__)

_KINDS = [Role.AFFILIATE.value, Role.SUBCONTRACTOR.value]


@click.group("partners")
def partners_group() -> None:
    """Affiliates (関係会社) and subcontractors (業務委託先) and their assignments."""


@partners_group.command("add")
@HOME
@click.argument("name")
@click.option("--kind", type=click.Choice(_KINDS), required=True)
def add_partner(home: Path, name: str, kind: str) -> None:
    """Add partner company NAME (then its people with `users add --partner NAME`)."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        Partners(center_.clock).create(conn, ADMINISTRATOR, name, Role(kind))
    logger.info("partner %s added as %s", name, kind)
    click.echo(f"added {name} ({kind})")


@partners_group.command("list")
@HOME
def list_partners(home: Path) -> None:
    """List the partners, an affiliate's customers and a subcontractor's open work."""
    with administered(home) as center_, center_.transactions.read() as conn:
        found = Partners(center_.clock).listing(conn, ADMINISTRATOR)
        names = customer_names(conn, {c for p in found for c in p.customer_ids})
    for partner in found:
        if partner.kind is Role.AFFILIATE:
            what = ", ".join(sorted(names[c] for c in partner.customer_ids)) or "no customers"
        else:
            what = f"{partner.open_work} open assignments"
        click.echo(f"{partner.name}  {partner.kind.value}  {what}")


@partners_group.command("customer")
@HOME
@click.argument("partner")
@click.argument("customer")
def assign_customer(home: Path, partner: str, customer: str) -> None:
    """Let affiliate PARTNER work for CUSTOMER."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        service = Partners(center_.clock)
        partner_id, _ = service.by_name(conn, partner)
        customer_id = customer_named(conn, customer)
        added = service.assign_customer(conn, ADMINISTRATOR, partner_id, customer_id)
    logger.info("affiliate %s assigned to customer %s", partner, customer)
    click.echo(f"{partner} works for {customer}" + ("" if added else " (already)"))


@partners_group.command("assign")
@HOME
@click.argument("partner")
@click.option("--customer", required=True, help="Whose work it is.")
@click.option("--device", "serial", help="A printer (by serial) to look after.")
@click.option("--incident", help="An incident (by id) to work on.")
@click.option("--order", help="A supply order (by id) to deliver.")
@click.option("--release", is_flag=True, help="End the assignment instead.")
def assign_work(
    home: Path,
    partner: str,
    customer: str,
    serial: str | None,
    incident: str | None,
    order: str | None,
    release: bool,
) -> None:
    """Give subcontractor PARTNER one piece of work (or, with --release, take it back)."""
    chosen = [(k, v) for k, v in ((WorkKind.DEVICE, serial), (WorkKind.INCIDENT, incident),
                                  (WorkKind.ORDER, order)) if v is not None]  # fmt: skip
    if len(chosen) != 1:
        raise click.UsageError("give one of --device, --incident, --order")
    [(kind, given)] = chosen
    with administered(home) as center_, center_.transactions.begin() as conn:
        service = Partners(center_.clock)
        partner_id, _ = service.by_name(conn, partner)
        customer_id = customer_named(conn, customer)
        ref = given
        if kind is WorkKind.DEVICE:
            printer_id = printer_id_of(conn, ADMINISTRATOR, given, customer_id)
            if printer_id is None:
                raise click.ClickException(f"no printer {given} of {customer}")
            ref = str(printer_id)
        if release:
            changed = service.release_work(conn, ADMINISTRATOR, partner_id, kind, ref)
        else:
            changed = service.assign_work(conn, ADMINISTRATOR, partner_id, kind, ref, customer_id)
    verb = "released from" if release else "assigned to"
    logger.info("%s %s of %s %s %s", kind.value, given, customer, verb, partner)
    already = "" if changed else " (already)"
    click.echo(f"{kind.value} {given} of {customer} {verb} {partner}{already}")
