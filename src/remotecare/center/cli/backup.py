"""`remotecare center backup | restore`: a consistent copy of a serving center, and a new
home made from one."""

from __future__ import annotations

from pathlib import Path

import click

from remotecare.center.backup import MIN_PASSPHRASE_CHARS, back_up, restore
from remotecare.center.cli.common import HOME, load_settings
from remotecare.errors import RemoteCareError

__all__ = ["backup", "restore_backup"]

_PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A file whose first line is the passphrase (default: ask for it).",
)


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is None:
        return str(
            click.prompt(
                "Passphrase for the keys in the backup",
                hide_input=True,
                confirmation_prompt=confirm,
            )
        )
    lines = path.read_text().splitlines()
    return lines[0] if lines else ""


@click.command("backup")
@HOME
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@_PASSPHRASE_FILE
def backup(home: Path, out: Path, passphrase_file: Path | None) -> None:
    """Write a backup of the center to OUT (a new file), also while it serves.

    OUT holds the database as of one moment (SQLite's online backup, or pg_dump), the
    configuration, the certificates, the CA's and the server's keys encrypted with the
    passphrase, and the diagnostic bundles.
    """
    settings = load_settings(home)
    passphrase = _passphrase(passphrase_file, confirm=True)
    try:
        done = back_up(settings, out, passphrase)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"backed up the center in {settings.home} to {done.path} ({done.size_bytes} bytes; "
        f"{done.database} database at schema revision {done.schema_revision}, "
        f"{done.bundles} bundle file(s))"
    )
    click.echo(
        f"keep the passphrase apart from the file (at least {MIN_PASSPHRASE_CHARS} "
        "characters): without it the CA key cannot be restored"
    )


@click.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The new home to make (a directory that does not exist yet, or an empty one).",
)
@click.option(
    "--database-url",
    default=None,
    help="For a PostgreSQL backup: the empty database to restore it into.",
)
@_PASSPHRASE_FILE
def restore_backup(
    backup_file: Path, home: Path, database_url: str | None, passphrase_file: Path | None
) -> None:
    """Make a new center home from BACKUP_FILE; `center serve --home` then serves it.

    Agents enrolled before the backup go on reporting without enrolling again: the CA, the
    server certificate and the endpoints are the same.
    """
    passphrase = _passphrase(passphrase_file, confirm=False)
    try:
        done = restore(backup_file, home, passphrase, database_url=database_url)
    except RemoteCareError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"restored the backup of {done.created_at} into {done.settings.home} "
        f"({done.database} database at schema revision {done.schema_revision})"
    )
    click.echo(f"serve it with: remotecare center serve --home {done.settings.home}")
