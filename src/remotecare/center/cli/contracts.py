"""`remotecare center contracts ...` and `center audit export`: the contract's life from the
command line, contact persons read for a stated purpose, and the audit log.

Every command acts as the operator administrator (whoever can run it can read the
center's home anyway) in one transaction; a refusal changes nothing and exits with 1.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Connection

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.cli.common import HOME, administered
from remotecare.center.contracts.rules import (
    ApplicationStatus,
    ContractRefused,
    Service,
    parse_services,
)
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.kernel.spreadsheet import write_csv
from remotecare.center.privacy.rules import CONTACT_FIELDS, Purpose

__all__ = ["audit", "contracts"]


def _json_file(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path} is not JSON: {exc}") from exc


def _customer(conn: Connection, name: str) -> int:
    customer_id = customer_by_name(conn, name)
    if customer_id is None:
        raise ContractRefused(f"no customer {name!r}")
    return customer_id


FILE = click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
)


@click.group()
def contracts() -> None:
    """Applications, acceptance, changes and termination of customers' contracts."""


@contracts.command("apply")
@HOME
@FILE
def apply(home: Path, path: Path) -> None:
    """Enter the application in FILE (JSON: organisation, sites, contacts, services,
    billing_cutoff_day, consents_to_news)."""
    data = _json_file(path)
    with administered(home) as center, center.transactions.begin() as conn:
        application_id = center.contracts.submit(conn, ADMINISTRATOR, data)
    click.echo(f"application {application_id} submitted: accept or reject it")


@contracts.command("list")
@HOME
@click.option("--status", type=click.Choice([s.value for s in ApplicationStatus]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_applications(home: Path, status: str | None, as_json: bool) -> None:
    """List applications, newest first (without contact persons: see `contracts contacts`)."""
    wanted = None if status is None else ApplicationStatus(status)
    with administered(home) as center, center.transactions.read() as conn:
        found = center.contracts.applications(conn, ADMINISTRATOR, wanted)
    for application in found:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": application.id,
                        "organisation": application.organisation,
                        "status": application.status,
                        "channel": application.channel,
                        "services": sorted(application.services),
                        "customer_id": application.customer_id,
                        "decision_reason": application.decision_reason,
                    }
                )
            )
            continue
        click.echo(
            f"{application.id:>5}  {application.status:<9}  {application.organisation}  "
            f"({', '.join(sorted(application.services))}; {len(application.sites)} site(s), "
            f"{application.contact_count} contact(s); {application.channel})"
        )


@contracts.command("accept")
@HOME
@click.argument("application_id", type=int)
def accept(home: Path, application_id: int) -> None:
    """Accept an application: its customer's service becomes active."""
    with administered(home) as center, center.transactions.begin() as conn:
        customer_id = center.contracts.accept(conn, ADMINISTRATOR, application_id)
    click.echo(
        f"application {application_id} accepted: customer {customer_id} is active; "
        "enrolment tokens can be issued for it"
    )


@contracts.command("reject")
@HOME
@click.argument("application_id", type=int)
@click.option("--reason", required=True, help="Why (kept with the application).")
def reject(home: Path, application_id: int, reason: str) -> None:
    """Reject an application, with a reason."""
    with administered(home) as center, center.transactions.begin() as conn:
        center.contracts.reject(conn, ADMINISTRATOR, application_id, reason)
    click.echo(f"application {application_id} rejected")


@contracts.command("change")
@HOME
@click.argument("customer")
@click.option("--services", help=f"Comma-separated: {', '.join(Service)}.")
@click.option("--billing-cutoff-day", type=int)
@click.option("--news", type=click.Choice(["yes", "no"]), help="Consent to purpose 6.")
@click.option("--note", help="Why (kept with the change).")
def change(
    home: Path,
    customer: str,
    services: str | None,
    billing_cutoff_day: int | None,
    news: str | None,
    note: str | None,
) -> None:
    """Change CUSTOMER's services, billing cut-off or consent (the earlier terms are kept)."""
    chosen = None
    if services is not None:
        problems: list[str] = []
        chosen = parse_services([s.strip() for s in services.split(",") if s.strip()], problems)
        if problems:
            raise click.ClickException("; ".join(problems))
    with administered(home) as center, center.transactions.begin() as conn:
        terms = center.contracts.change_terms(
            conn,
            ADMINISTRATOR,
            _customer(conn, customer),
            services=chosen,
            billing_cutoff_day=billing_cutoff_day,
            consents_to_news=None if news is None else news == "yes",
            note=note,
        )
    click.echo(
        f"{customer}: services {', '.join(sorted(terms.services))}; billing cut-off day "
        f"{terms.billing_cutoff_day}; news {'yes' if terms.consents_to_news else 'no'}"
    )


@contracts.command("replace-contacts")
@HOME
@click.argument("customer")
@FILE
def replace_contacts(home: Path, customer: str, path: Path) -> None:
    """Make the contact persons in FILE (a JSON list of name, email, phone) CUSTOMER's
    contacts; the former ones are kept as history."""
    data = _json_file(path)
    with administered(home) as center, center.transactions.begin() as conn:
        count = center.contracts.replace_contacts(
            conn, ADMINISTRATOR, _customer(conn, customer), data
        )
    click.echo(f"{customer}: {count} current contact(s); the former ones are kept as history")


@contracts.command("terminate")
@HOME
@click.argument("customer")
@click.option("--date", "effective_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--reason", required=True)
def terminate(home: Path, customer: str, effective_on: datetime, reason: str) -> None:
    """End CUSTOMER's service: its endpoints are revoked and its agents refused."""
    with administered(home) as center, center.transactions.begin() as conn:
        done = center.contracts.terminate(
            conn, ADMINISTRATOR, _customer(conn, customer), effective_on.date(), reason
        )
    click.echo(f"{customer}: service terminated on {done.effective_on}; " + "; ".join(done.done))


@contracts.command("contacts")
@HOME
@click.argument("customer")
@click.option("--purpose", required=True, help="One of the six purposes of article 4 (1-6).")
@click.option("--history", is_flag=True, help="Also the former contacts.")
def show_contacts(home: Path, customer: str, purpose: str, history: bool) -> None:
    """Show CUSTOMER's contact persons for PURPOSE (written to the audit log)."""
    with administered(home) as center, center.transactions.begin() as conn:
        people = center.privacy.contacts(
            conn,
            ADMINISTRATOR,
            Purpose.parse(purpose),
            customer_id=_customer(conn, customer),
            with_history=history,
        )
    for person in people:
        former = "" if person.current else "  (former)"
        click.echo("  ".join(f"{k}: {v}" for k, v in person.fields.items()) + former)


@contracts.command("quality-dataset")
@HOME
def quality_dataset(home: Path) -> None:
    """Print purpose 5's non-identifying dataset as JSON (written to the audit log)."""
    with administered(home) as center, center.transactions.begin() as conn:
        dataset = center.privacy.quality_dataset(conn, ADMINISTRATOR)
    click.echo(
        json.dumps(
            {
                "generalisation": dataset.generalisation,
                "k": dataset.k,
                "customers_left_out": dataset.customers_left_out,
                "groups": dataset.groups,
            }
        )
    )


@click.group()
def audit() -> None:
    """The audit log of reads and exports of personal data."""


@audit.command("export")
@HOME
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (UTC) on.")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write JSON lines to this file instead of standard output.",
)
def export(home: Path, since: datetime | None, output: Path | None) -> None:
    """Export the audit log as JSON lines, oldest first."""
    start = None if since is None else since.replace(tzinfo=UTC)
    with administered(home) as center, center.transactions.read() as conn:
        entries = center.privacy.audit_entries(conn, ADMINISTRATOR, since=start)
    lines = [json.dumps(entry.as_json()) for entry in entries]
    if output is None:
        for line in lines:
            click.echo(line)
        return
    output.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    click.echo(f"{len(lines)} audit entries written to {output}", err=True)


@contracts.command("erase-due")
@HOME
def erase_due(home: Path) -> None:
    """Erase now the personal data of terminated customers that is due (the server does
    it once an hour): ``personal_data_days`` after their service ended."""
    with administered(home) as center:
        erased = center.personal_data_retention.run_round()
    for done in erased:
        click.echo(f"customer {done.customer_id}: {done.what}")
    click.echo(f"{len(erased)} customer(s) erased")


@contracts.command("consent")
@HOME
@click.argument("customer")
@click.option("--recipient", required=True, help="The third party the data may go to.")
@click.option("--purpose", required=True, type=int, help="Article 4's purpose (1-4, 6).")
@click.option("--fields", required=True, help="Comma-separated: name, email, phone.")
@click.option("--evidence", required=True, help="E.g. 'signed form of 2026-11-03'.")
@click.option(
    "--given", type=click.DateTime(["%Y-%m-%d"]), help="When the customer gave it (UTC day)."
)
def consent(
    home: Path,
    customer: str,
    recipient: str,
    purpose: int,
    fields: str,
    evidence: str,
    given: datetime | None,
) -> None:
    """Record CUSTOMER's consent to disclosing its contacts' FIELDS to RECIPIENT for
    PURPOSE (terms, article 10)."""
    with administered(home) as center, center.transactions.begin() as conn:
        recorded = center.contracts.record_consent(
            conn,
            ADMINISTRATOR,
            _customer(conn, customer),
            recipient=recipient,
            purpose=purpose,
            fields=fields.split(","),
            evidence=evidence,
            given_at=None if given is None else given.replace(tzinfo=UTC),
        )
    click.echo(
        f"consent {recorded.id} recorded: {customer} -> {recorded.recipient}, purpose "
        f"{recorded.purpose}, fields {', '.join(recorded.fields)}"
    )


@contracts.command("consents")
@HOME
@click.argument("customer")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines for scripts.")
def consents(home: Path, customer: str, as_json: bool) -> None:
    """List CUSTOMER's consents to disclosure, withdrawn ones too."""
    with administered(home) as center, center.transactions.read() as conn:
        found = center.contracts.consents(conn, ADMINISTRATOR, _customer(conn, customer))
    for item in found:
        if as_json:
            click.echo(json.dumps(item.as_json()))
            continue
        state = (
            "live"
            if item.withdrawn_at is None
            else f"withdrawn {item.withdrawn_at:%Y-%m-%d} by {item.withdrawn_by}"
        )
        click.echo(
            f"{item.id:>5}  {item.recipient}  purpose {item.purpose}  "
            f"{','.join(item.fields)}  given {item.given_at:%Y-%m-%d} ({item.evidence})  {state}"
        )


@contracts.command("withdraw-consent")
@HOME
@click.argument("consent_id", type=int)
def withdraw_consent(home: Path, consent_id: int) -> None:
    """Withdraw a consent to disclosure (it is kept, marked withdrawn)."""
    with administered(home) as center, center.transactions.begin() as conn:
        center.contracts.withdraw_consent(conn, ADMINISTRATOR, consent_id)
    click.echo(f"consent {consent_id} withdrawn")


@contracts.command("disclose")
@HOME
@click.option("--to", "recipient", required=True, help="Who receives the data.")
@click.option("--purpose", required=True, help="One of the six purposes of article 4 (1-6).")
@click.argument("customers", nargs=-1, required=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the CSV (UTF-8 with BOM) to this file instead of standard output.",
)
def disclose(
    home: Path, recipient: str, purpose: str, customers: tuple[str, ...], out: Path | None
) -> None:
    """Export CUSTOMERS' contact persons to a recipient (terms, article 10): outside the
    operator and its partners only with each customer's consent; audited."""
    with administered(home) as center, center.transactions.begin() as conn:
        ids = {_customer(conn, name): name for name in customers}
        people = center.privacy.disclose_contacts(
            conn, ADMINISTRATOR, Purpose.parse(purpose), list(ids), recipient
        )
    header = ["customer", "contact_id", *CONTACT_FIELDS]
    rows = [
        [ids.get(p.customer_id or 0, ""), p.id, *(p.fields.get(f, "") for f in CONTACT_FIELDS)]
        for p in people
    ]
    if out is None:
        write_csv(sys.stdout, header, rows)
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        count = write_csv(handle, header, rows)
    click.echo(f"{count} contact(s) disclosed to {recipient} written to {out}", err=True)
