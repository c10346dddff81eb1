"""Fixtures for every test: the database backends each center test runs against.

A center fixture that takes ``database_url`` runs its tests twice: on SQLite in the
center's home (the URL is empty, the default) and on a fresh database of a throwaway
PostgreSQL cluster that this test session starts and removes. Without PostgreSQL the
second run is skipped, or fails when ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresCluster, PostgresUnavailable, throwaway_postgres

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL for the whole session, stopped and deleted at its end."""
    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(throwaway_postgres())
        except PostgresUnavailable as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL is required in CI: {exc}")
            pytest.skip(f"PostgreSQL not available: {exc}")
        yield cluster


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_cluster: PostgresCluster) -> str:
    """A database of the session's cluster at the head revision, for tests' databases to
    be copied from (one run of the migrations instead of one per test)."""
    from tests.support.schema import migrate_empty_database

    name = "t_template_head"
    migrate_empty_database(postgres_cluster.create_database(name))
    return name


@contextlib.contextmanager
def _database(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        yield ""  # the center's default: SQLite in its home
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"t_{uuid.uuid4().hex[:16]}"
    empty = request.node.get_closest_marker("empty_database") is not None
    template = None if empty else request.getfixturevalue("migrated_postgres_template")
    url = cluster.create_database(name, template=template)
    try:
        yield url
    finally:
        cluster.drop_database(name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The center's database URL: "" (SQLite in its home) or a fresh PostgreSQL database."""
    with _database(request.param, request) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Like ``database_url``, shared by a module's tests (for expensive set-ups)."""
    with _database(request.param, request) as url:
        yield url


_SHARED_SCOPES = {"module", "package", "class"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep a module's tests on one pytest-xdist worker when they share a module-scoped
    fixture (a center, an snmpsim, a PostgreSQL database), so `make test -n N --dist
    loadgroup` sets it up once, not once per worker; every other test goes wherever a
    worker is free. A test marked ``xdist_group`` already keeps its own group."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        info = getattr(item, "_fixtureinfo", None)  # pytest's, on every test function
        definitions = info.name2fixturedefs.values() if info is not None else ()
        if any(d.scope in _SHARED_SCOPES for defs in definitions for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
