"""`remotecare center orders list | approve | ship | deliver | cancel | export | policy`:
supply orders worked from the command line, as the operator administrator."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.care.supplies.policies import (
    ANY_SUPPLY_TYPE,
    CustomerPolicy,
    set_policy,
)
from remotecare.center.care.supplies.rules.lifecycle import OrderStatus, Transition
from remotecare.center.care.supplies.rules.orders import OrderPolicy
from remotecare.center.care.supplies.service import OrderFilter, SupplyOrder, orders_csv
from remotecare.center.cli.common import HOME, administered
from remotecare.center.contracts.service import customer_by_name

__all__ = ["orders_group"]


def _filter_options(function: click.decorators.FC) -> click.decorators.FC:
    options = (
        click.option(
            "--status",
            type=click.Choice([s.value for s in OrderStatus]),
            default=None,
            help="Only orders at this step.",
        ),
        click.option("--open", "open_only", is_flag=True, help="Only orders not yet closed."),
        click.option("--customer", default=None, help="Only this customer's orders."),
        click.option("--printer", "serial", default=None, help="Only this printer's orders."),
        click.option(
            "--needs-person", is_flag=True, help="Only orders flagged for a person to look at."
        ),
    )
    for option in reversed(options):
        function = option(function)
    return function


def _which(
    status: str | None, open_only: bool, customer: str | None, serial: str | None, flagged: bool
) -> OrderFilter:
    return OrderFilter(
        status=OrderStatus(status) if status else None,
        open_only=open_only,
        customer=customer,
        printer_serial=serial,
        needs_person=True if flagged else None,
    )


def _line(order: SupplyOrder) -> str:
    days = "-" if order.days_to_empty is None else f"{order.days_to_empty:.1f} d"
    flag = f"  NEEDS A PERSON: {order.flag_reason}" if order.needs_person else ""
    return (
        f"{order.id}  {order.status.value:<9}  {order.customer}  {order.printer_serial}  "
        f"#{order.supply_index} {order.colour or order.supply_type}  {order.due_reason}  "
        f"{days}  shipment {order.shipment_id[:8]}  {order.proposed_at:%Y-%m-%d %H:%M}{flag}"
    )


@click.group("orders")
def orders_group() -> None:
    """Supply orders: proposed by the forecasts, worked by people."""


@orders_group.command("list")
@HOME
@_filter_options
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many.")
def orders_list(
    home: Path,
    status: str | None,
    open_only: bool,
    customer: str | None,
    serial: str | None,
    needs_person: bool,
    limit: int | None,
) -> None:
    """List orders, newest first."""
    which = _which(status, open_only, customer, serial, needs_person)
    with administered(home) as center_, center_.transactions.read() as conn:
        found = center_.orders.orders(conn, ADMINISTRATOR, which, limit=limit)
    for order in found:
        click.echo(_line(order))
    click.echo(f"{len(found)} order(s)", err=True)


def _act(home: Path, order_id: str, transition: Transition, **options: str | None) -> None:
    with administered(home) as center_, center_.transactions.begin() as conn:
        done = center_.orders.act(conn, ADMINISTRATOR, order_id, transition, **options)
    click.echo(f"order {done.id} is {done.status.value}")


@orders_group.command("approve")
@HOME
@click.argument("order_ids", nargs=-1, required=True)
def orders_approve(home: Path, order_ids: tuple[str, ...]) -> None:
    """Approve proposed orders."""
    for order_id in order_ids:
        _act(home, order_id, Transition.APPROVE)


@orders_group.command("ship")
@HOME
@click.argument("order_id")
@click.option("--tracking", default=None, help="The parcel's tracking number.")
def orders_ship(home: Path, order_id: str, tracking: str | None) -> None:
    """Mark an approved order shipped."""
    _act(home, order_id, Transition.SHIP, tracking=tracking)


@orders_group.command("deliver")
@HOME
@click.argument("order_id")
def orders_deliver(home: Path, order_id: str) -> None:
    """Mark a shipped order delivered (the replacement the agent sees then installs it)."""
    _act(home, order_id, Transition.DELIVER)


@orders_group.command("cancel")
@HOME
@click.argument("order_id")
@click.option("--reason", required=True, help="Why (kept with the order).")
def orders_cancel(home: Path, order_id: str, reason: str) -> None:
    """Cancel an open order."""
    _act(home, order_id, Transition.CANCEL, reason=reason)


@orders_group.command("export")
@HOME
@_filter_options
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The CSV file to write (default: standard output).",
)
def orders_export(
    home: Path,
    status: str | None,
    open_only: bool,
    customer: str | None,
    serial: str | None,
    needs_person: bool,
    output: Path | None,
) -> None:
    """Export orders as CSV (UTF-8 with a byte-order mark, for spreadsheets)."""
    which = _which(status, open_only, customer, serial, needs_person)
    with administered(home) as center_, center_.transactions.read() as conn:
        found = center_.orders.orders(conn, ADMINISTRATOR, which)
    data = orders_csv(found).encode("utf-8")
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
        click.echo(f"{len(found)} order(s) written to {output}", err=True)


@orders_group.command("policy")
@HOME
@click.argument("customer")
@click.option("--lead-time", type=click.IntRange(0, 60), required=True, help="Working days.")
@click.option("--safety-days", type=click.FloatRange(0, 60), required=True)
@click.option("--auto-approve/--operator-approves", default=False)
@click.option("--supply-type", default=ANY_SUPPLY_TYPE, help="Only for this supply type.")
def orders_policy(
    home: Path,
    customer: str,
    lead_time: int,
    safety_days: float,
    auto_approve: bool,
    supply_type: str,
) -> None:
    """Set CUSTOMER's order policy (its default, or for one supply type)."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        customer_id = customer_by_name(conn, customer)
        if customer_id is None:
            raise click.ClickException(f"unknown customer {customer!r}")
        policy = CustomerPolicy(OrderPolicy(lead_time, safety_days), auto_approve)
        set_policy(conn, customer_id, policy, supply_type)
    scope = f"supply type {supply_type}" if supply_type else "every supply type"
    click.echo(f"order policy of {customer} for {scope} set")
