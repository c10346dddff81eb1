"""A throwaway PostgreSQL cluster for tests and benchmarks, started and removed by the caller.

It leaves the system's own cluster alone: ``initdb`` into a temporary directory, ``pg_ctl``
on 127.0.0.1 with a free port and a private socket directory, durability switched off (a
test database is thrown away anyway). As root, the server programs run as the ``postgres``
user through ``runuser``, because they refuse to run as root.

Usage::

    with throwaway_postgres() as cluster:
        url = cluster.create_database("t1")   # postgresql+psycopg://...
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.ports import free_tcp_port

__all__ = ["PostgresCluster", "PostgresUnavailable", "find_pg_bin", "throwaway_postgres"]

_SEARCH = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]
_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed (or cannot run) on this machine."""


def find_pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    configured = os.environ.get("REMOTECARE_PG_BIN")
    for candidate in ([Path(configured)] if configured else []) + _SEARCH:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


@dataclass(frozen=True)
class PostgresCluster:
    root: Path
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create a database, empty or a copy of ``template`` (which nobody may be
        connected to), and return its SQLAlchemy URL."""
        # FILE_COPY: copying a small template's files takes about as long as creating an
        # empty database; the default WAL_LOG strategy writes every page to the WAL.
        copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever still uses it."""
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", _USER, "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    subprocess.run(_as_server_user(command), check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def throwaway_postgres(
    *, durable: bool = False, settings: Sequence[str] = ()
) -> Iterator[PostgresCluster]:
    """Start a private cluster; stop it and delete its directory on exit, whatever happens.

    ``durable=True`` keeps fsync and synchronous commit on (for honest benchmarks);
    ``settings`` are more ``name=value`` server settings (a benchmark's tuning).
    """
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise PostgresUnavailable("PostgreSQL server programs (initdb, pg_ctl) not found")
    root = Path(tempfile.mkdtemp(prefix="remotecare-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        try:
            server = pwd.getpwnam(_USER)
        except KeyError as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable(f"no {_USER!r} user to run the server as") from exc
        for path in (root, sockets):
            os.chown(path, server.pw_uid, server.pw_gid)
        root.chmod(0o700)
    user = _USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    port = free_tcp_port()
    options = [
        "-c listen_addresses=127.0.0.1",
        f"-p {port}",
        f"-k {sockets}",
        "-c max_connections=200",
    ]
    if not durable:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    for setting in settings:  # pg_ctl -o splits on spaces: a value cannot hold one
        if "=" not in setting or any(c.isspace() for c in setting):
            raise ValueError(f"a server setting is name=value without spaces: {setting!r}")
        options.append(f"-c {setting}")
    started = False
    try:
        try:
            initdb = [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-N"]
            _run([*initdb, "-U", user, "--encoding=UTF8", "--locale=C"])
            pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
            _run([*pg_ctl, "-l", str(root / "server.log"), "-o", " ".join(options), "start"])
        except subprocess.CalledProcessError as exc:
            log = root / "server.log"
            detail = log.read_text(errors="replace") if log.exists() else ""
            raise PostgresUnavailable(
                f"{exc.cmd[-1]} failed: {exc.stderr.decode(errors='replace')}{detail}"
            ) from exc
        started = True
        yield PostgresCluster(root, port, user)
    finally:
        if started:
            with contextlib.suppress(subprocess.SubprocessError):
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)
