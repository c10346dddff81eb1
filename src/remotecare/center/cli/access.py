"""`remotecare center unlock-login`: let a locked-out login name try again at once."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from remotecare.center.attempts.log import SqlFailureLog
from remotecare.center.cli.common import HOME, administered

__all__ = ["unlock_login"]

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
