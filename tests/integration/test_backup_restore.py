"""`center backup` while agents report, `center restore` into a new home: the restored
center serves the same agents without enrolment and holds every report acknowledged
before the backup began. Bad input (wrong passphrase, damaged or foreign files, a home or
database in use) is refused clearly and leaves nothing behind."""

from __future__ import annotations

import asyncio
import gzip
import io
import ssl
import sys
import tarfile
import time
import uuid
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.fleet.tables import reports
from remotecare.cli import main
from remotecare.protocol.codec import encode
from tests.support.centers import (
    CenterInfo,
    center_process,
    enrolment_token,
    init_center,
)
from tests.support.postgres import PostgresCluster
from tests.support.reports import a_plain_report

pytestmark = pytest.mark.timeout(300)

AGENTS = 3
PASSPHRASE = "correct horse battery staple"
MAX_REPORTS_PER_AGENT = 3000  # the load's bound, beside its time bound
LOAD_LIMIT_S = 120.0
ACKED_BEFORE_BACKUP = 30
COMMAND_TIMEOUT_S = 120.0


class Load:
    """Agents sending one report after another on kept-alive connections; each
    acknowledged (201) report id with the moment its answer came."""

    def __init__(self, url: str, contexts: list[ssl.SSLContext]) -> None:
        self.url = url
        self.contexts = contexts
        self.acked: list[tuple[float, str]] = []
        self.refused: list[int] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(*(self._agent(n, c) for n, c in enumerate(self.contexts)))

    async def _agent(self, n: int, context: ssl.SSLContext) -> None:
        deadline = time.monotonic() + LOAD_LIMIT_S
        async with aiohttp.ClientSession() as session:
            for pages in range(MAX_REPORTS_PER_AGENT):
                if self.stop.is_set() or time.monotonic() > deadline:
                    return
                report = a_plain_report(f"BK-{n}", pages=pages)
                status = await post(session, self.url, context, encode(report))
                if status == 201:
                    self.acked.append((time.monotonic(), str(report.report_id)))
                else:
                    self.refused.append(status)


async def post(
    session: aiohttp.ClientSession, url: str, context: ssl.SSLContext, body: bytes
) -> int:
    async with session.post(
        url + "/api/v1/reports",
        data=body,
        headers={"Content-Type": "application/json"},
        ssl=context,
    ) as answer:
        await answer.read()
        return answer.status


async def remotecare_async(*args: str) -> str:
    """The command line in its own process, without blocking the load's event loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "remotecare",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_S)
    assert process.returncode == 0, f"{args[:2]} failed:\n{out.decode()}\n{err.decode()}"
    return out.decode()


def stored_ids(info: CenterInfo) -> set[str]:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            return {str(r) for r in conn.execute(select(reports.c.report_id)).scalars()}
    finally:
        engine.dispose()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def restore_target(request: pytest.FixtureRequest, database_url: str, name: str) -> str | None:
    """For a PostgreSQL center, an empty database of the same cluster to restore into."""
    if not database_url:
        return None
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(name)


async def test_a_backup_under_load_restores_a_center_that_serves_the_same_agents(
    tmp_path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    info = init_center(tmp_path / "center", database_url)
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    archive = tmp_path / "center.backup"
    with center_process(info, tmp_path / "center.log") as original:
        contexts = []
        for n in range(AGENTS):
            paths = AgentPaths(tmp_path / f"agent-{n}")
            token = enrolment_token(info)
            await enrol(paths, info.console_url, token, info.ca_fingerprint)
            contexts.append(agent_tls_context(paths))
        load = Load(info.device_url, contexts)
        sending = asyncio.create_task(load.run())
        try:
            for _ in range(600):
                if len(load.acked) >= ACKED_BEFORE_BACKUP or sending.done():
                    break
                await asyncio.sleep(0.05)
            acked_before = {report_id for _, report_id in load.acked}
            assert len(acked_before) >= ACKED_BEFORE_BACKUP
            began = time.monotonic()
            await remotecare_async(
                "center", "backup", "--home", str(info.settings.home), str(archive),
                "--passphrase-file", str(passphrase_file),
            )  # fmt: skip
            ended = time.monotonic()
        finally:
            load.stop.set()
            await sending
        during = [t for t, _ in load.acked if began <= t <= ended]
        assert during, "no report was acknowledged while the backup ran"
        assert load.refused == []
        original.terminate()
        assert original.wait(20) == 0
    assert mode(archive) == 0o600

    target_url = restore_target(request, database_url, f"restored_{tmp_path.name[-12:]}")
    new_home = tmp_path / "restored"
    restore_args = ["--database-url", target_url] if target_url else []
    await remotecare_async(
        "center", "restore", str(archive), "--home", str(new_home),
        "--passphrase-file", str(passphrase_file), *restore_args,
    )  # fmt: skip
    assert mode(new_home) == 0o700
    for secret in ("pki/ca.key", "pki/server.key", "center.toml"):
        assert mode(new_home / secret) == 0o600, secret
    if not target_url:
        assert mode(new_home / "center.db") == 0o600
    assert (new_home / "pki/ca.pem").read_bytes() == (
        info.settings.home / "pki/ca.pem"
    ).read_bytes()

    restored = CenterInfo(info.settings.__class__.load(new_home), info.ca_fingerprint)
    assert restored.settings.device_port == info.settings.device_port  # the agents' address
    missing = acked_before - stored_ids(restored)
    assert not missing, f"{len(missing)} reports acknowledged before the backup are missing"
    with center_process(restored, tmp_path / "restored.log"):
        async with aiohttp.ClientSession() as session:
            for n, context in enumerate(contexts):  # the same certificates, no new enrolment
                fresh = a_plain_report(f"BK-{n}", pages=MAX_REPORTS_PER_AGENT + 1)
                assert await post(session, restored.device_url, context, encode(fresh)) == 201
            again = a_plain_report("BK-0", pages=0)
            again_id = uuid.UUID(min(acked_before))
            repeated = again.model_copy(update={"report_id": again_id})
            assert await post(session, restored.device_url, contexts[0], encode(repeated)) == 200


# --- bad input ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory) -> tuple[CenterInfo, Path, Path]:
    """A center (not serving), its backup and the passphrase file."""
    root = tmp_path_factory.mktemp("backup")
    info = init_center(root / "center")
    passphrase_file = root / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    archive = root / "center.backup"
    status, output = run(
        "center", "backup", "--home", str(info.settings.home), str(archive),
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert status == 0, output
    return info, archive, passphrase_file


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


def test_a_wrong_passphrase_is_refused_and_leaves_no_home(
    backed_up: tuple[CenterInfo, Path, Path], tmp_path: Path
) -> None:
    _, archive, _ = backed_up
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    status, output = run(
        "center", "restore", str(archive), "--home", str(tmp_path / "new"),
        "--passphrase-file", str(wrong),
    )  # fmt: skip
    assert status == 1
    assert "wrong passphrase" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrong"]


def test_the_passphrase_can_be_typed(
    backed_up: tuple[CenterInfo, Path, Path], tmp_path: Path
) -> None:
    _, archive, _ = backed_up
    status, output = run(
        "center", "restore", str(archive), "--home", str(tmp_path / "new"),
        stdin=PASSPHRASE + "\n",
    )  # fmt: skip
    assert status == 0, output
    assert (tmp_path / "new" / "pki" / "ca.key").exists()


def test_a_short_passphrase_is_refused(
    backed_up: tuple[CenterInfo, Path, Path], tmp_path: Path
) -> None:
    info, _, _ = backed_up
    status, output = run(
        "center", "backup", "--home", str(info.settings.home), str(tmp_path / "out"),
        stdin="short\nshort\n",
    )  # fmt: skip
    assert status == 1
    assert "at least 8 characters" in output
    assert not (tmp_path / "out").exists()


def test_an_existing_file_is_not_overwritten(
    backed_up: tuple[CenterInfo, Path, Path], tmp_path: Path
) -> None:
    info, _, passphrase_file = backed_up
    existing = tmp_path / "existing"
    existing.write_text("keep me")
    status, output = run(
        "center", "backup", "--home", str(info.settings.home), str(existing),
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert status == 1
    assert "already exists" in output
    assert existing.read_text() == "keep me"


def test_a_home_in_use_is_not_restored_over(backed_up: tuple[CenterInfo, Path, Path]) -> None:
    info, archive, passphrase_file = backed_up
    before = (info.settings.home / "center.toml").read_text()
    status, output = run(
        "center", "restore", str(archive), "--home", str(info.settings.home),
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert status == 1
    assert "not empty" in output
    assert (info.settings.home / "center.toml").read_text() == before


def rewritten(archive: Path, target: Path, change: dict[str, bytes]) -> Path:
    """A copy of ``archive`` with the members in ``change`` replaced (the manifest kept)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            handle = source.extractfile(member)
            assert handle is not None
            data = change.get(member.name, handle.read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def test_a_damaged_backup_is_refused(
    backed_up: tuple[CenterInfo, Path, Path], tmp_path: Path
) -> None:
    _, archive, passphrase_file = backed_up
    damaged = rewritten(archive, tmp_path / "damaged", {"center.toml": b'hostname = "evil"\n'})
    status, output = run(
        "center", "restore", str(damaged), "--home", str(tmp_path / "new"),
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert status == 1
    assert "center.toml does not match its checksum" in output
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["damaged"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"just some text", "not a readable center backup"),
        # mtime=0: the same bytes, so the same test id, on every pytest-xdist worker.
        (gzip.compress(b"\0" * 1024, mtime=0), "not a center backup"),
    ],
)
def test_a_file_that_is_no_backup_is_refused(
    backed_up: tuple[CenterInfo, Path, Path], tmp_path: Path, content: bytes, expected: str
) -> None:
    _, _, passphrase_file = backed_up
    other = tmp_path / "other"
    other.write_bytes(content)
    status, output = run(
        "center", "restore", str(other), "--home", str(tmp_path / "new"),
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert status == 1
    assert expected in output
    assert not (tmp_path / "new").exists()


def test_a_sqlite_backup_takes_no_database_url(
    backed_up: tuple[CenterInfo, Path, Path], tmp_path: Path
) -> None:
    _, archive, passphrase_file = backed_up
    status, output = run(
        "center", "restore", str(archive), "--home", str(tmp_path / "new"),
        "--passphrase-file", str(passphrase_file),
        "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none",
    )  # fmt: skip
    assert status == 1
    assert "--database-url is for PostgreSQL backups" in output


@pytest.mark.postgres
def test_a_postgresql_backup_needs_an_empty_database(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    used = postgres_cluster.create_database(f"used_{tmp_path.name[-12:]}")
    info = init_center(tmp_path / "center", used)
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    archive = tmp_path / "center.backup"
    status, output = run(
        "center", "backup", "--home", str(info.settings.home), str(archive),
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert status == 0, output
    for extra, expected in (([], "give --database-url"), (["--database-url", used], "not empty")):
        status, output = run(
            "center", "restore", str(archive), "--home", str(tmp_path / "new"),
            "--passphrase-file", str(passphrase_file), *extra,
        )  # fmt: skip
        assert status == 1
        assert expected in output
        assert not (tmp_path / "new").exists()
