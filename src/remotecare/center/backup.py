"""Back up a center while it serves, and make a new home from a backup.

A backup is one gzip-compressed tar file (mode 0600) holding:

- ``manifest.json``: what it is (format and version), when it was made, the database kind
  and schema revision, and the SHA-256 of every other member (checked on restore);
- ``center.toml``, the configuration as written;
- ``pki/ca.pem`` and ``pki/server.pem`` (certificates, public), and the CA's and the
  server's private keys as ``pki/ca.key.enc`` and ``pki/server.key.enc``: PKCS #8 PEM
  encrypted with the operator's passphrase (cryptography's ``BestAvailableEncryption``);
- the database, consistent as of one moment while the center keeps serving: SQLite's
  online backup API copies one read snapshot (``database/center.db``; writers go on in WAL
  mode), or ``pg_dump`` of PostgreSQL in one transaction (``database/postgresql.dump``);
- ``bundles/``, the diagnostic bundles agents uploaded (copied after the database: the
  bytes on disk are the truth about a bundle's progress, so a newer file is harmless).

The database holds customer data but only hashes of passwords and tokens; keep the file
where the database itself may be kept. Restoring writes a new home next to its final place
and renames it into place only when everything is checked, so a wrong passphrase or a
damaged file leaves nothing behind.

Usage::

    back_up(settings, Path("center.backup"), passphrase)
    restore(Path("center.backup"), Path("/var/lib/remotecare-new"), passphrase)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import URL, inspect, make_url

from remotecare.center.config import CenterSettings
from remotecare.center.kernel import schema
from remotecare.center.kernel.schema import current_revision
from remotecare.center.kernel.storage import make_engine
from remotecare.errors import ConfigError
from remotecare.pki.keys import write_private_key

__all__ = [
    "MIN_PASSPHRASE_CHARS",
    "BackupError",
    "BackupSummary",
    "RestoredCenter",
    "back_up",
    "restore",
]

FORMAT: Final = "remotecare-center-backup"
VERSION: Final = 1
MIN_PASSPHRASE_CHARS: Final = 8
_MANIFEST: Final = "manifest.json"
_CONFIG: Final = "center.toml"
_SQLITE: Final = "database/center.db"
_PG_DUMP: Final = "database/postgresql.dump"
_KEYS: Final = {"pki/ca.key.enc": "ca.key", "pki/server.key.enc": "server.key"}
_CERTIFICATES: Final = ("pki/ca.pem", "pki/server.pem")
_BUNDLES: Final = "bundles"
_SECRET_MODE: Final = 0o600
_PUBLIC_MODE: Final = 0o644
_DIR_MODE: Final = 0o700
_HASH_BLOCK: Final = 1024 * 1024
_PG_TIMEOUT_S: Final = 3600.0
_DATABASE_URL_LINE: Final = re.compile(r"^\s*database_url\s*=.*$", re.MULTILINE)


class BackupError(ConfigError):
    """A backup cannot be made or restored as asked; the message says why (on the command
    line only: no HTTP answer carries it)."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    database: str  # "sqlite" or "postgresql"
    schema_revision: str | None
    bundles: int
    size_bytes: int


def back_up(settings: CenterSettings, out: Path, passphrase: str) -> BackupSummary:
    """Write a backup of the center ``settings`` describes to ``out`` (a new file)."""
    _check_passphrase(passphrase)
    if out.exists():
        raise BackupError(f"{out} already exists; refusing to overwrite it")
    if not (settings.home / _CONFIG).is_file():
        raise BackupError(f"{settings.home} holds no center (no {_CONFIG})")
    url = make_url(settings.effective_database_url)
    kind = _database_kind(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".remotecare-backup-", dir=out.parent) as work:
        staged = Path(work)
        # The database first: everything acknowledged until now is in its snapshot.
        (staged / "database").mkdir()
        if kind == "sqlite":
            _sqlite_snapshot(url, staged / _SQLITE)
        else:
            _pg_dump(url, staged / _PG_DUMP)
        revision = _revision(settings.effective_database_url)
        shutil.copy2(settings.home / _CONFIG, staged / _CONFIG)
        (staged / "pki").mkdir()
        for name in _CERTIFICATES:
            shutil.copy2(settings.home / name, staged / name)
        for member, key_file in _KEYS.items():
            (staged / member).write_bytes(
                _encrypted_key(settings.pki_dir / key_file, passphrase.encode())
            )
        bundles = _copy_bundles(settings.bundles_dir, staged / _BUNDLES)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "hostname": settings.hostname,
            "database": kind,
            "schema_revision": revision,
            "files": {name: _sha256(staged / name) for name in _members(staged)},
        }
        (staged / _MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        partial = out.with_name(f".{out.name}.partial")
        _write_archive(staged, partial)
        partial.rename(out)
    return BackupSummary(out, kind, revision, bundles, out.stat().st_size)


@dataclass(frozen=True, slots=True)
class RestoredCenter:
    settings: CenterSettings
    database: str
    schema_revision: str | None
    created_at: str


def restore(
    archive: Path, home: Path, passphrase: str, *, database_url: str | None = None
) -> RestoredCenter:
    """Make the new center home ``home`` from ``archive``.

    ``home`` must not exist or be empty. A PostgreSQL backup needs ``database_url``: an
    empty database to restore into (a SQLite backup becomes ``center.db`` in the home).
    """
    home = home.resolve()
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise BackupError(f"{home} is not empty; restore into a new directory")
    home.parent.mkdir(parents=True, exist_ok=True)
    with _opened(archive) as tar:
        manifest = _manifest(tar)
        kind = str(manifest["database"])
        if kind == "postgresql" and not database_url:
            raise BackupError(
                "this backup holds a PostgreSQL database: give --database-url, an empty "
                "database to restore it into"
            )
        if kind == "sqlite" and database_url:
            raise BackupError(
                "this backup holds a SQLite database, restored into the new home; "
                "--database-url is for PostgreSQL backups"
            )
        revision = manifest.get("schema_revision")
        if revision is not None and revision not in _known_revisions():
            raise BackupError(
                f"the backup's schema revision {revision} is newer than this program: "
                "restore it with the version that made it"
            )
        with _staging(home) as staged:
            _extract(tar, manifest, staged)
            for member, key_file in _KEYS.items():
                key = _decrypted_key(staged / member, passphrase.encode())
                write_private_key(staged / "pki" / key_file, key)
                (staged / member).unlink()
            config = staged / _CONFIG
            text = _DATABASE_URL_LINE.sub("", config.read_text()).rstrip("\n") + "\n"
            if database_url:
                text += f"database_url = {json.dumps(database_url)}\n"
            config.write_text(text)
            settings = CenterSettings.load(staged, environ={})
            if kind == "sqlite":
                _check_sqlite(staged / _SQLITE)
                (staged / _SQLITE).rename(staged / "center.db")
            else:
                assert database_url is not None
                _pg_restore(make_url(database_url), staged / _PG_DUMP)
            shutil.rmtree(staged / "database")
            _set_modes(staged)
            if home.exists():
                home.rmdir()  # empty (checked above)
            staged.rename(home)
    restored = replace(settings, home=home)
    return RestoredCenter(restored, kind, revision, str(manifest.get("created_at", "")))


# --- backing up ---------------------------------------------------------------------


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise BackupError(f"the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")


def _database_kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise BackupError("a SQLite database in memory cannot be backed up")
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"cannot back up a {backend} database")


def _sqlite_snapshot(url: URL, target: Path) -> None:
    """Copy the database as of one moment with SQLite's online backup API.

    All pages in one step: one read transaction, so writers (WAL) go on meanwhile and the
    copy is never restarted by their changes.
    """
    source_path = Path(str(url.database))
    if not source_path.is_file():
        raise BackupError(f"no database at {source_path}")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _SECRET_MODE)
        os.close(fd)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the SQLite database {source_path}: {exc}") from exc
    finally:
        source.close()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it
    (so that it never shows in the process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install PostgreSQL's client (Debian: postgresql-client)"
        )
    return found


def _pg_dump(url: URL, target: Path) -> None:
    uri, env = _libpq(url)
    command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    _run_pg([*command, f"--file={target}", f"--dbname={uri}"], env, "pg_dump")
    target.chmod(_SECRET_MODE)


def _run_pg(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=_PG_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{what} took longer than {_PG_TIMEOUT_S:.0f} s") from exc
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()}")


def _revision(database_url: str) -> str | None:
    engine = make_engine(database_url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def _encrypted_key(path: Path, passphrase: bytes) -> bytes:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read the key {path}: {exc}") from exc
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def _copy_bundles(source: Path, target: Path) -> int:
    target.mkdir()
    if not source.is_dir():
        return 0
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.is_symlink():
            copy = target / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: not needed
                shutil.copy2(path, copy)
                count += 1
    return count


def _members(staged: Path) -> list[str]:
    return sorted(
        path.relative_to(staged).as_posix() for path in staged.rglob("*") if path.is_file()
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _write_archive(staged: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _SECRET_MODE)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            # The manifest first: a reader checks it before the rest.
            tar.add(staged / _MANIFEST, _MANIFEST, filter=_anonymous)
            for name in _members(staged):
                if name != _MANIFEST:
                    tar.add(staged / name, name, filter=_anonymous)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _anonymous(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """No owner names or ids of this machine, and private modes, in the archive."""
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.mode = _SECRET_MODE
    return member


# --- restoring ----------------------------------------------------------------------


@contextlib.contextmanager
def _opened(archive: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            yield tar
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{archive} is not a readable center backup: {exc}") from exc


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != _MANIFEST or not first.isfile():
        raise BackupError("not a center backup: it does not start with its manifest")
    handle = tar.extractfile(first)
    assert handle is not None
    try:
        manifest = json.loads(handle.read())
    except ValueError as exc:
        raise BackupError(f"the backup's manifest is damaged: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a center backup (its manifest names another format)")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"backup format version {manifest.get('version')!r}: this program reads {VERSION}"
        )
    if manifest.get("database") not in ("sqlite", "postgresql"):
        raise BackupError(f"the backup names an unknown database {manifest.get('database')!r}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BackupError("the backup's manifest lists no files")
    required = {_CONFIG, *_CERTIFICATES, *_KEYS}
    required.add(_SQLITE if manifest["database"] == "sqlite" else _PG_DUMP)
    missing = sorted(required - set(files))
    if missing:
        raise BackupError(f"the backup lacks {', '.join(missing)}")
    return manifest


@contextlib.contextmanager
def _staging(home: Path) -> Iterator[Path]:
    staged = Path(tempfile.mkdtemp(prefix=f".{home.name}.restoring-", dir=home.parent))
    try:
        yield staged
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)


def _extract(tar: tarfile.TarFile, manifest: dict[str, Any], staged: Path) -> None:
    """Every member the manifest lists, each checked against its SHA-256; nothing else."""
    expected: dict[str, str] = dict(manifest["files"])
    seen: set[str] = set()
    for member in tar:
        name = member.name
        if name == _MANIFEST and not seen:
            continue  # read already
        if name not in expected or name in seen:
            raise BackupError(f"the backup holds an unexpected member {name!r}")
        path = PurePosixPath(name)
        if not member.isfile() or path.is_absolute() or ".." in path.parts:
            raise BackupError(f"the backup holds an unsafe member {name!r}")
        target = staged.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        assert source is not None
        digest = hashlib.sha256()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _SECRET_MODE)
        with os.fdopen(fd, "wb") as out:
            while block := source.read(_HASH_BLOCK):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != expected[name]:
            raise BackupError(f"the backup is damaged: {name} does not match its checksum")
        seen.add(name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"the backup is incomplete: {', '.join(missing)} missing")


def _decrypted_key(path: Path, passphrase: bytes) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except (TypeError, ValueError) as exc:
        raise BackupError("wrong passphrase: the keys in the backup cannot be decrypted") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise BackupError(f"{path.name} in the backup is not an EC key")
    return key


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory  # here: every center command imports this module

    scripts = ScriptDirectory(str(Path(schema.__file__).resolve().parent / "migrations"))
    return {script.revision for script in scripts.walk_revisions()}


def _check_sqlite(path: Path) -> None:
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"the backup's database is damaged: {exc}") from exc
    if verdict != ("ok",):
        raise BackupError(f"the backup's database is damaged: {verdict}")


def _pg_restore(url: URL, dump: Path) -> None:
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        tables = inspect(engine).get_table_names()
    except Exception as exc:  # any driver error: say what could not be reached
        raise BackupError(f"cannot reach the database to restore into: {exc}") from exc
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"the database to restore into is not empty ({len(tables)} tables): give an empty one"
        )
    uri, env = _libpq(url)
    command = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    _run_pg([*command, "--single-transaction", f"--dbname={uri}", str(dump)], env, "pg_restore")


def _set_modes(home: Path) -> None:
    """The home and its folders 0700; certificates 0644; everything else (keys, the
    database, the configuration that may name a database password, bundles) 0600."""
    public = {home / name for name in _CERTIFICATES}
    for path in [home, *home.rglob("*")]:
        if path.is_dir():
            path.chmod(_DIR_MODE)
        else:
            path.chmod(_PUBLIC_MODE if path in public else _SECRET_MODE)
