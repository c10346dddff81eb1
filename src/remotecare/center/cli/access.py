"""`remotecare center unlock-login | api-tokens`: let a locked-out login name try again at
once; make, list and revoke the JSON API's tokens."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import click

from remotecare.center.access.rules import ApiScope
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.attempts.log import SqlFailureLog
from remotecare.center.cli.common import HOME, administered
from remotecare.center.contracts.service import customer_by_name, customer_names

__all__ = ["api_tokens_group", "unlock_login"]

logger = logging.getLogger(__name__)


@click.command("unlock-login")
@HOME
@click.argument("username")
@click.option(
    "--address",
    default=None,
    help="Also clear the failed logins from this client address (as the center logs it).",
)
def unlock_login(home: Path, username: str, address: str | None) -> None:
    """Clear the failed logins counted against USERNAME, so that it can log in again at once.

    Works while the center runs: every process reads the failures from the database before
    each login. USERNAME need not be an operator (failures count against any name typed).
    """
    with administered(home) as center_:
        transactions = center_.transactions
        by_name = SqlFailureLog(transactions, "login-name").clear(username)
        cleared = [(f"against {username!r}", by_name)]
        if address is not None:
            by_address = SqlFailureLog(transactions, "login-address").clear(address)
            cleared.append((f"from {address}", by_address))
    for subject, count in cleared:
        logger.info("failed logins %s cleared by an administrator: %d", subject, count)
        if count == 0:
            click.echo(f"no failed logins {subject}: nothing to clear")
        else:
            click.echo(f"cleared {count} failed login{'' if count == 1 else 's'} {subject}")


@click.group("api-tokens")
def api_tokens_group() -> None:
    """Tokens for dealers' systems on the JSON API (/api/v1/)."""


@api_tokens_group.command("create")
@HOME
@click.argument("name")
@click.option("--customer", help="The one customer the token may see (by name).")
@click.option(
    "--all-customers", is_flag=True, help="A token for every customer (instead of --customer)."
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice([scope.value for scope in ApiScope]),
    help="What the token may do (repeat for several).",
)
@click.option("--days", type=click.IntRange(1, 3650), help="Expire after this many days.")
def create_api_token(
    home: Path,
    name: str,
    customer: str | None,
    all_customers: bool,
    scopes: tuple[str, ...],
    days: int | None,
) -> None:
    """Make API token NAME and print it once (only its hash is kept)."""
    if (customer is None) == (not all_customers):
        raise click.UsageError("give either --customer NAME or --all-customers")
    with administered(home) as center_, center_.transactions.begin() as conn:
        customer_id = None
        if customer is not None:
            customer_id = customer_by_name(conn, customer)
            if customer_id is None:
                raise click.ClickException(f"no customer named {customer!r}")
        made = center_.api_tokens.create(
            conn,
            ADMINISTRATOR,
            name,
            customer_id=customer_id,
            scopes=[ApiScope(scope) for scope in scopes],
            lifetime=None if days is None else timedelta(days=days),
        )
    logger.info("API token %d (%s) made for %s", made.id, name, customer or "every customer")
    click.echo(f"API token {made.id} ({name}); shown once, keep it secret:")
    click.echo(made.token)


@api_tokens_group.command("list")
@HOME
def list_api_tokens(home: Path) -> None:
    """List the API tokens (never their secrets)."""
    with administered(home) as center_, center_.transactions.read() as conn:
        tokens = center_.api_tokens.listing(conn, ADMINISTRATOR)
        names = customer_names(conn, {t.customer_id for t in tokens if t.customer_id is not None})
    for token in tokens:
        state = "revoked" if token.revoked_at else "live"
        if token.revoked_at is None and token.expires_at is not None:
            state = f"live until {token.expires_at:%Y-%m-%d}"
        who = "every customer" if token.customer_id is None else names[token.customer_id]
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(
            f"{token.id}  {token.name}  {who}  {','.join(token.scopes)}  {state}  last used {used}"
        )


@api_tokens_group.command("revoke")
@HOME
@click.argument("token_id", type=int)
def revoke_api_token(home: Path, token_id: int) -> None:
    """Revoke API token TOKEN_ID at once."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        revoked = center_.api_tokens.revoke(conn, ADMINISTRATOR, token_id)
    if revoked:
        logger.info("API token %d revoked", token_id)
        click.echo(f"API token {token_id} revoked")
    else:
        click.echo(f"API token {token_id} was revoked already")
