"""Which storage takes several worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.center.config import CenterSettings
from remotecare.center.workers import check_workers
from remotecare.errors import ConfigError


def settings(database_url: str = "") -> CenterSettings:
    return CenterSettings(home=Path("/var/lib/remotecare"), hostname="care.example.com",
                          database_url=database_url)  # fmt: skip


def test_a_sqlite_file_and_postgresql_take_several_workers() -> None:
    check_workers(settings(), 4)  # the default: center.db in the home, writers take turns
    check_workers(settings("postgresql+psycopg://remotecare@db.example.com/remotecare"), 4)


def test_sqlite_in_memory_and_no_workers_are_refused() -> None:
    with pytest.raises(ConfigError, match="not SQLite in memory"):
        check_workers(settings("sqlite://"), 2)
    with pytest.raises(ConfigError, match="at least 1"):
        check_workers(settings(), 0)
    check_workers(settings("sqlite://"), 1)
