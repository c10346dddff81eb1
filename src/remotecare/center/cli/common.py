"""What every ``remotecare center`` command shares: the home option, the settings, and a
wired center for one administrative command."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click
from sqlalchemy import Connection

from remotecare.center.bootstrap import Center, bootstrap
from remotecare.center.config import CenterSettings
from remotecare.center.contracts.service import customer_by_name
from remotecare.errors import OperatorError, RemoteCareError

__all__ = ["HOME", "administered", "customer_named", "load_settings"]

HOME = click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    envvar="REMOTECARE_CENTER_HOME",
    help="The center's home directory (CA, database, settings).",
)


def load_settings(home: Path) -> CenterSettings:
    try:
        return CenterSettings.load(home)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc


@contextlib.contextmanager
def administered(home: Path) -> Iterator[Center]:
    """The center's services for one administrative command, on a current schema (it is
    never upgraded here: ``center migrate`` does that); an ``OperatorError`` or a schema
    that is not current becomes a plain error message and exit status 1."""
    try:
        center = bootstrap(load_settings(home))
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield center
    except OperatorError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        center.dispose()


def customer_named(conn: Connection, name: str) -> int:
    """The id of the customer called ``name``; a plain error message if there is none."""
    customer_id = customer_by_name(conn, name)
    if customer_id is None:
        raise click.ClickException(f"no customer named {name!r}")
    return customer_id
