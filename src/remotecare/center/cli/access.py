"""`remotecare center unlock-login | api-tokens | users`: let a locked-out login name try
again at once; make, list and revoke the JSON API's tokens; add console users and set up
their second factor."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TextIO

import click
from sqlalchemy.exc import IntegrityError

from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import ApiScope, Role
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.attempts.log import SqlFailureLog
from remotecare.center.cli.common import HOME, administered, customer_named
from remotecare.center.contracts.service import customer_names

__all__ = ["api_tokens_group", "unlock_login", "users_group"]

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
        customer_id = None if customer is None else customer_named(conn, customer)
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


_PERSONS_ROLES = [r.value for r in Role if r not in (Role.DEVICE, Role.INTEGRATION, Role.ANONYMOUS)]


@click.group("users")
def users_group() -> None:
    """People who log in to the console, and their second factor."""


@users_group.command("add")
@HOME
@click.argument("username")
@click.option("--role", type=click.Choice(_PERSONS_ROLES), default=Role.OPERATOR_STAFF.value)
@click.option("--customer", help="The customer a customer's person belongs to (by name).")
@click.option("--partner", help="The partner company an affiliate or subcontractor belongs to.")
@click.option(
    "--password-file",
    type=click.File("r"),
    help="Read the password from this file ('-': standard input); else it is asked for.",
)
def add_user(
    home: Path,
    username: str,
    role: str,
    customer: str | None,
    partner: str | None,
    password_file: TextIO | None,
) -> None:
    """Add console user USERNAME with ROLE."""
    chosen = Role(role)
    if password_file is not None:
        password = password_file.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 12:
        raise click.ClickException("a password needs at least 12 characters")
    with administered(home) as center_, center_.transactions.begin() as conn:
        customer_id = None if customer is None else customer_named(conn, customer)
        partner_id = None if partner is None else Partners(center_.clock).by_name(conn, partner)[0]
        try:
            center_.accounts.create_user(conn, username, password, chosen, customer_id, partner_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        except IntegrityError as exc:
            raise click.ClickException(f"a console user {username!r} exists already") from exc
    logger.info("console user %s added as %s", username, chosen.value)
    click.echo(f"added {username} ({chosen.value})")


@users_group.command("list")
@HOME
def list_users(home: Path) -> None:
    """List the console users, their roles and whether they have a second factor."""
    with administered(home) as center_, center_.transactions.read() as conn:
        found = center_.accounts.users(conn)
        names = customer_names(conn, {u.customer_id for u in found if u.customer_id is not None})
    for user in found:
        customer = "" if user.customer_id is None else f"  {names[user.customer_id]}"
        factor = "TOTP" if user.second_factor else "password only"
        click.echo(f"{user.username}  {user.role.value}{customer}  {factor}")


@users_group.command("totp")
@HOME
@click.argument("username")
@click.option("--confirm", "code", help="A code from the app: puts the second factor in force.")
def totp_user(home: Path, username: str, code: str | None) -> None:
    """Start a TOTP second factor for USERNAME (prints the secret for an authenticator
    app), then confirm it with a first code (--confirm CODE)."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        if code is None:
            setup = center_.accounts.start_totp(conn, username)
        elif not center_.accounts.confirm_totp(conn, username, code):
            raise click.ClickException("wrong code (or no second factor started): try again")
        else:
            setup = None
    if setup is None:
        logger.info("second factor of console user %s in force", username)
        click.echo(f"second factor of {username} in force: every login asks for a code")
        return
    click.echo(f"secret for {username}'s authenticator app (shown once): {setup.secret}")
    click.echo(setup.uri)
    click.echo(f"then: remotecare center users totp {username} --confirm CODE")


@users_group.command("totp-off")
@HOME
@click.argument("username")
def totp_off(home: Path, username: str) -> None:
    """Remove USERNAME's second factor (a lost phone)."""
    with administered(home) as center_, center_.transactions.begin() as conn:
        center_.accounts.remove_totp(conn, username)
    logger.info("second factor of console user %s removed", username)
    click.echo(f"second factor of {username} removed")
