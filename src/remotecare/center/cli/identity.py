"""`remotecare center token create | revoke | endpoints`: enrolment tokens and endpoints."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click

from remotecare.center.cli.common import HOME, administered, load_settings
from remotecare.center.setup import ca_fingerprint_of

__all__ = ["list_endpoints", "revoke", "token"]


@click.group()
def token() -> None:
    """Enrolment tokens."""


@token.command("create")
@HOME
@click.option("--customer", required=True, help="The customer the enrolled endpoints belong to.")
@click.option("--hours", default=24, show_default=True, help="Lifetime of the token.")
@click.option("--endpoints", "max_endpoints", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def token_create(home: Path, customer: str, hours: int, max_endpoints: int, as_json: bool) -> None:
    """Print a single-use enrolment token and the CA fingerprint to pin."""
    settings = load_settings(home)
    with administered(home) as center_:
        try:
            issued = center_.admin.create_token(
                customer, ttl=timedelta(hours=hours), max_endpoints=max_endpoints
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    fp = ca_fingerprint_of(settings)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "token": issued.token,
                    "ca_fingerprint": fp,
                    "customer": customer,
                    "expires_in_hours": hours,
                    "max_endpoints": max_endpoints,
                }
            )
        )
        return
    click.echo(f"token: {issued.token}")
    click.echo(f"ca-fingerprint: {fp}")
    click.echo(
        f"customer: {customer}; valid {hours} h; for {max_endpoints} endpoint(s); single use"
    )
    click.echo(
        "enrol with: remotecare agent enroll --home DIR "
        f"--center https://{settings.hostname}:{settings.console_port} "
        f"--token {issued.token} --ca-fingerprint {fp}"
    )


@click.command()
@HOME
@click.argument("endpoint")
@click.option("--reason", default=None, help="Why (kept with the endpoint, shown in the console).")
def revoke(home: Path, endpoint: str, reason: str | None) -> None:
    """Revoke ENDPOINT's certificate: every running center refuses it within a second."""
    with administered(home) as center_:
        done = center_.admin.revoke(endpoint, reason)
    if done.already_revoked:
        click.echo(f"endpoint {endpoint} was already revoked")
        return
    click.echo(
        f"endpoint {endpoint} revoked: refused by every center process within 1 s; "
        f"{done.cancelled_commands} pending command(s) cancelled"
    )


@click.command("endpoints")
@HOME
def list_endpoints(home: Path) -> None:
    """List enrolled endpoints: state, certificate expiry, revocation."""
    with administered(home) as center_:
        rows = center_.admin.endpoints()
    for row in rows:
        state = "revoked" if row.revoked else row.presence.state.value
        click.echo(
            f"{row.endpoint_id}  {state:<7}  expires {row.certificate_not_after:%Y-%m-%d}  "
            f"{row.printers} printer(s)  {row.customer}"
        )
