"""Only `center migrate` (and `serve`) upgrade the schema; other commands stop on an older
one and name `center migrate`. Migration 0005 keeps operators and their sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Engine, Integer, String, column, insert, select, table, text

from remotecare.center.access.tables import users
from remotecare.center.bootstrap import bootstrap
from remotecare.center.kernel import migrations as migration_scripts
from remotecare.center.kernel.schema import SchemaNotCurrent, head_revision, upgrade_to_head
from remotecare.center.kernel.secrets import hash_token
from tests.support.centers import CenterInfo, center_command, init_center

_SCRIPTS = Path(migration_scripts.__file__).resolve().parent


def _downgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _older(info: CenterInfo) -> None:
    engine = info.read_engine()
    try:
        _downgrade(engine, "0004")
    finally:
        engine.dispose()


def test_an_admin_command_on_an_older_schema_stops_and_names_migrate(
    tmp_path: Path, database_url: str
) -> None:
    info = init_center(tmp_path / "center", database_url)
    _older(info)
    home = str(info.settings.home)
    refused = center_command("endpoints", "--home", home, check=False)
    assert refused.returncode == 1
    assert "remotecare center migrate" in refused.stderr
    assert "0004" in refused.stderr
    token = center_command("token", "create", "--home", home, "--customer", "A", check=False)
    assert token.returncode == 1  # nothing was upgraded meanwhile
    upgraded = center_command("migrate", "--home", home)
    assert f"from revision 0004 to {head_revision()}" in upgraded.stdout
    assert "already at revision" in center_command("migrate", "--home", home).stdout
    assert center_command("endpoints", "--home", home).returncode == 0


def test_wiring_a_center_refuses_an_older_schema(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    _older(info)
    with pytest.raises(SchemaNotCurrent, match="run `remotecare center migrate"):
        bootstrap(info.settings)


def test_operators_become_administrators_and_keep_their_sessions(
    tmp_path: Path, database_url: str
) -> None:
    info = init_center(tmp_path / "center", database_url)
    _older(info)
    engine = info.read_engine()
    now = datetime.now(UTC)
    try:
        old_sessions = table(
            "console_sessions",
            column("token_hash", String()),
            column("operator_id", Integer()),
            column("created_at", DateTime(timezone=True)),
            column("expires_at", DateTime(timezone=True)),
        )
        with engine.begin() as conn:
            operator_id = conn.execute(text("SELECT id FROM operators")).scalar_one()
            conn.execute(
                insert(old_sessions).values(
                    token_hash=hash_token("kept"),
                    operator_id=operator_id,
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
        upgrade_to_head(engine)
        with engine.connect() as conn:
            assert conn.execute(select(users.c.username, users.c.role)).all() == [
                ("operator", "operator_admin")
            ]
        center = bootstrap(info.settings)
        try:
            with center.transactions.read() as conn:
                actor = center.accounts.actor_for_session(conn, "kept")
            assert actor is not None
            assert (actor.name, actor.role, actor.sees_every_customer) == (
                "operator",
                "operator_admin",
                True,
            )
            with center.transactions.begin() as conn:  # ids go on after the copied ones
                conn.execute(
                    insert(users).values(
                        username="second", password_hash="x", created_at=now, role="operator_staff"
                    )
                )
        finally:
            center.dispose()
    finally:
        engine.dispose()
