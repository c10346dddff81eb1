"""`remotecare center meters periods | reads | close | correct | export | settings |
review`: meter reads for billing."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

import click

from remotecare.center.access.rules import Actor
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.care.meters.export import ExportRow, export_rows, write_csv, write_json
from remotecare.center.care.meters.rules.periods import (
    BillingSettings,
    BillingSettingsError,
    billable_counters,
    period_containing,
    period_named,
)
from remotecare.center.care.meters.service import (
    ClosedPeriod,
    MeterError,
    close_period,
    closing_of,
    correct_read,
    customer_settings,
    previous_period_name,
    reads_for_review,
    reads_of_customer,
    set_customer_settings,
)
from remotecare.center.cli.common import HOME, administered
from remotecare.center.contracts.service import customer_by_name
from remotecare.errors import OperatorError

__all__ = ["meters_group"]

CUSTOMER = click.option("--customer", required=True, help="The customer's name.")
PERIOD = click.option("--period", required=True, help="The billing period, YYYY-MM.")


def _customer(center_: Center, name: str) -> int:
    with center_.transactions.read() as conn:
        customer_id = customer_by_name(conn, name)
    if customer_id is None:
        raise MeterError(f"no customer {name!r}")
    return customer_id


@click.group("meters")
def meters_group() -> None:
    """Meter reads for billing: periods, reads, closing, corrections, export."""


@meters_group.command("periods")
@HOME
@CUSTOMER
@click.option("--count", default=6, show_default=True, help="How many recent periods.")
def periods(home: Path, customer: str, count: int) -> None:
    """List the customer's recent billing periods and whether each is closed."""
    with administered(home) as center_:
        customer_id = _customer(center_, customer)
        now = center_.clock.now()
        with center_.transactions.read() as conn:
            settings = customer_settings(conn, [customer_id])[customer_id]
            name = period_containing(now, settings).name
            for _ in range(count):
                period = period_named(name, settings)
                closing = closing_of(conn, customer_id, name)
                state = (
                    f"closed {closing.closed_at:%Y-%m-%d %H:%M} by {closing.closed_by} "
                    f"({closing.reads} reads)"
                    if closing
                    else ("open" if now < period.end else "due")
                )
                click.echo(
                    f"{name}  {period.start:%Y-%m-%d %H:%M} .. {period.end:%Y-%m-%d %H:%M} UTC"
                    f"  {state}"
                )
                name = previous_period_name(name)


@meters_group.command("reads")
@HOME
@CUSTOMER
@PERIOD
def reads(home: Path, customer: str, period: str) -> None:
    """Show the period's reads (stored if closed, else computed now)."""
    with administered(home) as center_:
        customer_id = _customer(center_, customer)
        with center_.transactions.read() as conn:
            for device, found in reads_of_customer(conn, customer_id, period, center_.clock.now()):
                for read in found:
                    when = "-" if read.read_at is None else f"{read.read_at:%Y-%m-%d %H:%M}"
                    click.echo(
                        f"{read.read_id or '-'}  {device.serial}  {read.counter}  "
                        f"{read.previous_value}  {read.value}  usage {read.usage}  "
                        f"{read.method}  {when}  {'; '.join(read.flags)}"
                    )


@meters_group.command("close")
@HOME
@click.option(
    "--customer",
    "customers",
    required=True,
    multiple=True,
    help="The customer's name (repeat it to close several customers' periods).",
)
@PERIOD
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Processes closing customers at once, each customer in a transaction of its own "
    "(on PostgreSQL; on SQLite the closes take turns at the one writer).",
)
def close(home: Path, customers: tuple[str, ...], period: str, jobs: int) -> None:
    """Close the period: its reads become fixed (closing again changes nothing)."""
    in_turn = jobs == 1 or len(customers) == 1
    with administered(home) as center_:
        ids = [_customer(center_, name) for name in customers]
        done = _close_each(center_, ids, period) if in_turn else []
    if not in_turn:
        try:
            done = _close_in_processes(home, ids, period, jobs)
        except OperatorError as exc:  # from a process of the pool: as a plain message
            raise click.ClickException(str(exc)) from exc
    for name, closed in zip(customers, done, strict=True):
        if closed.already:
            click.echo(
                f"{period} of {name} was already closed at {closed.closed_at:%Y-%m-%d %H:%M} "
                f"by {closed.closed_by}; nothing changed"
            )
        else:
            click.echo(f"closed {period} of {name}: {closed.reads} reads")


def _close_each(center_: Center, customer_ids: Sequence[int], period: str) -> list[ClosedPeriod]:
    """Close the period of each customer in turn, one transaction each."""
    done = []
    for customer_id in customer_ids:
        with center_.transactions.begin() as conn:
            done.append(close_period(conn, ADMINISTRATOR, customer_id, period, center_.clock.now()))
    return done


def _close_share(home: Path, customer_ids: Sequence[int], period: str) -> list[ClosedPeriod]:
    """One process's share of the customers (run in a process of its own)."""
    with administered(home) as center_:
        return _close_each(center_, customer_ids, period)


def _close_in_processes(
    home: Path, customer_ids: Sequence[int], period: str, jobs: int
) -> list[ClosedPeriod]:
    """Close the customers' periods in ``jobs`` processes at once (customers dealt out in
    turn, so that large and small ones mix), the results in the customers' order."""
    shares = [list(customer_ids[job::jobs]) for job in range(jobs)]
    with ProcessPoolExecutor(len(shares), mp_context=get_context("spawn")) as pool:
        results = list(pool.map(_close_share, [home] * len(shares), shares, [period] * len(shares)))
    by_customer = {closed.customer_id: closed for share in results for closed in share}
    return [by_customer[customer_id] for customer_id in customer_ids]


@meters_group.command("correct")
@HOME
@click.argument("read_id", type=int)
@click.argument("value", type=int)
@click.option("--reason", required=True, help="Why (kept with the correction).")
@click.option("--operator", required=True, help="Who corrects (kept with the correction).")
def correct(home: Path, read_id: int, value: int, reason: str, operator: str) -> None:
    """Correct the closed read READ_ID to VALUE, with a reason."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        read = correct_read(
            conn, Actor.operator(operator), read_id, value, reason, center_.clock.now()
        )
    click.echo(f"read {read_id} is now {read.value} (usage {read.usage})")


@meters_group.command("export")
@HOME
@PERIOD
@click.option("--customer", default=None, help="One customer (default: every customer).")
@click.option("--format", "form", type=click.Choice(["csv", "json"]), default="csv")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Default: stdout.",
)
def export(home: Path, period: str, customer: str | None, form: str, output: Path | None) -> None:
    """Export the period's reads, one row per device and counter."""
    with administered(home) as center_:
        customers = None if customer is None else [_customer(center_, customer)]
        with center_.transactions.read() as conn:
            rows = export_rows(conn, ADMINISTRATOR, period, center_.clock.now(), customers)
            if output is None:
                _write(rows, sys.stdout, form, period)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    count = _write(rows, out, form, period)
                click.echo(f"{count} rows written to {output}", err=True)


def _write(rows: Iterable[ExportRow], out: TextIO, form: str, period: str) -> int:
    if form == "csv":
        return write_csv(rows, out)
    return write_json(rows, out, period)


@meters_group.command("settings")
@HOME
@CUSTOMER
@click.option("--cutoff-day", default="last", show_default=True, help="1 to 31, or last.")
@click.option("--cutoff-time", default="24:00", show_default=True, help="Local HH:MM.")
@click.option("--zone", default="Asia/Tokyo", show_default=True)
@click.option(
    "--counters",
    default="total,mono,colour",
    show_default=True,
    help="Billed counters, comma-separated: total, mono, colour, print_mono, copy_colour, "
    "large_mono (A3 and larger), ...; a printer bills those it reports.",
)
@click.option("--window-hours", default=24, show_default=True, type=int)
@click.option("--grace-days", default=3, show_default=True, type=int)
@click.option("--country", default="JP", show_default=True, help="For business days.")
def settings(
    home: Path,
    customer: str,
    cutoff_day: str,
    cutoff_time: str,
    zone: str,
    counters: str,
    window_hours: int,
    grace_days: int,
    country: str,
) -> None:
    """Set the customer's billing cut-off, time zone and billed counters."""
    try:
        hours, _, minutes = cutoff_time.partition(":")
        chosen = BillingSettings(
            cutoff_day=None if cutoff_day == "last" else int(cutoff_day),
            cutoff_minutes=int(hours) * 60 + int(minutes or 0),
            zone=zone,
            counters=billable_counters(counters),
            window=timedelta(hours=window_hours),
            grace=timedelta(days=grace_days),
            country=country,
        )
    except (BillingSettingsError, ValueError) as exc:
        raise click.BadParameter(str(exc)) from exc
    with administered(home) as center_:
        customer_id = _customer(center_, customer)
        with center_.transactions.begin() as conn:
            set_customer_settings(conn, ADMINISTRATOR, customer_id, chosen, center_.clock.now())
    click.echo(f"billing settings of {customer} set")


@meters_group.command("review")
@HOME
@CUSTOMER
def review(home: Path, customer: str) -> None:
    """List closed estimated reads that a reading received later could replace."""
    with administered(home) as center_:
        customer_id = _customer(center_, customer)
        with center_.transactions.read() as conn:
            found = reads_for_review(conn, ADMINISTRATOR, customer_id)
    for item in found:
        read = item.read
        click.echo(
            f"{read.read_id}  {read.period}  printer {read.printer_id}  {read.counter}  "
            f"{read.method} {read.value}; a reading at {item.reading_at:%Y-%m-%d %H:%M} "
            f"says {item.reading_value}"
        )
    if not found:
        click.echo("nothing to review")
