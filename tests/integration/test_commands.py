"""Commands wait for their endpoint's own check-in; only that endpoint may answer them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from remotecare.agent.config import AgentPaths
from remotecare.center.bootstrap import Center
from remotecare.center.fleet.tables import commands
from remotecare.center.identity.tables import endpoints
from remotecare.errors import OperatorError
from remotecare.protocol.messages import CommandKind
from tests.support.centers import CenterInfo, center_command, init_center, running_center
from tests.support.device_calls import call, count_rows, enrol, report_body


@dataclass
class Fixture:
    info: CenterInfo
    center: Center
    a: AgentPaths
    a_id: str
    b: AgentPaths
    b_id: str

    def url(self, path: str) -> str:
        return self.info.device_url + path

    def stored(self, command_id: uuid.UUID) -> dict[str, Any]:
        engine = self.info.read_engine()
        with engine.connect() as conn:
            query = select(commands).where(commands.c.id == str(command_id))
            row = dict(conn.execute(query).one()._mapping)
        engine.dispose()
        return row


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[Fixture]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as running:
        a, a_id = await enrol(info, running, tmp_path / "a")
        b, b_id = await enrol(info, running, tmp_path / "b")
        yield Fixture(info, running, a, a_id, b, b_id)


def _ack(outcome: str = "done", detail: str | None = None) -> bytes:
    body: dict[str, Any] = {"schema_version": 1, "outcome": outcome}
    if detail is not None:
        body["detail"] = detail
    return json.dumps(body).encode()


async def test_a_queued_command_rides_on_every_answer_to_its_endpoint_only(
    center: Fixture,
) -> None:
    queued = center.center.admin.queue_command(center.a_id, CommandKind.REDISCOVER, {})
    expected = {
        "command_id": str(queued.command_id),
        "kind": "rediscover",
        "arguments": {},
        "created_at": queued.created_at.isoformat().replace("+00:00", "Z"),
    }

    status, answer = await call(center.url("/api/v1/reports"), center.a, report_body("A-1"))
    listed = await call(center.url("/api/v1/commands"), center.a)
    others = await call(center.url("/api/v1/commands"), center.b)
    b_answer = await call(center.url("/api/v1/reports"), center.b, report_body("B-1"))

    assert (status, answer["commands"]) == (201, [expected])
    assert listed == (200, {"commands": [expected]})
    assert others == (200, {"commands": []})
    assert b_answer[1]["commands"] == []


async def test_a_check_in_without_reports_counts_as_contact(center: Fixture) -> None:
    await call(center.url("/api/v1/commands"), center.a)
    engine = center.info.read_engine()
    with engine.connect() as conn:
        seen = conn.execute(
            select(endpoints.c.last_seen_at).where(endpoints.c.id == center.a_id)
        ).scalar_one()
    engine.dispose()
    assert seen is not None


async def test_the_owner_acknowledges_and_the_command_stops_coming(center: Fixture) -> None:
    queued = center.center.admin.queue_command(center.a_id, CommandKind.REDISCOVER, {})
    ack_url = center.url(f"/api/v1/commands/{queued.command_id}/ack")

    first = await call(ack_url, center.a, _ack("failed", "no network scan allowed"))
    again = await call(ack_url, center.a, _ack("done"))

    assert first == (204, None)
    assert again == (204, None)  # repeated: the first answer stands
    row = center.stored(queued.command_id)
    assert (row["status"], row["detail"]) == ("failed", "no network scan allowed")
    assert row["finished_at"] is not None
    assert await call(center.url("/api/v1/commands"), center.a) == (200, {"commands": []})


async def test_another_endpoint_cannot_acknowledge_it(center: Fixture) -> None:
    queued = center.center.admin.queue_command(center.a_id, CommandKind.REDISCOVER, {})
    ack_url = center.url(f"/api/v1/commands/{queued.command_id}/ack")

    assert await call(ack_url, center.b, _ack()) == (404, {"error": "unknown command"})
    row = center.stored(queued.command_id)
    assert (row["status"], row["finished_at"], row["detail"]) == ("pending", None, None)


async def test_acknowledgements_of_nothing_are_refused(center: Fixture) -> None:
    queued = center.center.admin.queue_command(center.a_id, CommandKind.REDISCOVER, {})
    unknown = center.url(f"/api/v1/commands/{uuid.uuid4()}/ack")
    not_an_id = center.url("/api/v1/commands/42/ack")
    good = center.url(f"/api/v1/commands/{queued.command_id}/ack")

    assert await call(unknown, center.a, _ack()) == (404, {"error": "unknown command"})
    assert await call(not_an_id, center.a, _ack()) == (404, {"error": "unknown command"})
    bad_outcome = await call(good, center.a, _ack("maybe"))
    assert bad_outcome[0] == 422
    assert bad_outcome[1]["error"].startswith("outcome: Input should be 'done' or 'failed'")
    extra = json.dumps({"outcome": "done", "note": "x"}).encode()
    assert await call(good, center.a, extra) == (
        422,
        {"error": "note: Extra inputs are not permitted"},
    )
    assert center.stored(queued.command_id)["status"] == "pending"


async def test_a_done_poll_interval_becomes_the_endpoints_interval(center: Fixture) -> None:
    queued = center.center.admin.queue_command(
        center.a_id, CommandKind.SET_POLL_INTERVAL, {"seconds": "900"}
    )
    assert queued.arguments == {"seconds": 900}
    await call(center.url(f"/api/v1/commands/{queued.command_id}/ack"), center.a, _ack())
    engine = center.info.read_engine()
    with engine.connect() as conn:
        interval = conn.execute(
            select(endpoints.c.poll_interval_seconds).where(endpoints.c.id == center.a_id)
        ).scalar_one()
    engine.dispose()
    assert interval == 900


async def test_queueing_refuses_what_no_agent_could_do(center: Fixture) -> None:
    admin = center.center.admin
    await call(center.url("/api/v1/reports"), center.a, report_body("A-OWN"))
    with pytest.raises(OperatorError, match=r"^unknown endpoint nobody$"):
        admin.queue_command("nobody", CommandKind.REDISCOVER, {})
    with pytest.raises(OperatorError, match=f"^endpoint {center.b_id} reports for no printer"):
        admin.queue_command(center.b_id, CommandKind.COLLECT_DIAGNOSTICS, {"printer": "A-OWN"})
    center.center.admin.revoke(center.b_id)
    with pytest.raises(OperatorError, match=r"is revoked; it will never check in again$"):
        admin.queue_command(center.b_id, CommandKind.REDISCOVER, {})
    assert count_rows(center.info, commands) == 0
    queued = admin.queue_command(center.a_id, CommandKind.COLLECT_DIAGNOSTICS, {"printer": "A-OWN"})
    assert queued.arguments == {"printer": "A-OWN"}


async def test_revoking_an_endpoint_cancels_its_pending_commands(center: Fixture) -> None:
    queued = center.center.admin.queue_command(center.a_id, CommandKind.REDISCOVER, {})
    revocation = center.center.admin.revoke(center.a_id, "decommissioned")
    assert revocation.cancelled_commands == 1
    row = center.stored(queued.command_id)
    assert (row["status"], row["detail"]) == ("cancelled", "endpoint revoked")


async def test_the_operator_queues_commands_from_the_command_line(center: Fixture) -> None:
    home = str(center.info.settings.home)
    done = center_command("command", "--home", home, center.a_id, "set_poll_interval",
        "--arg", "seconds=600",
    )  # fmt: skip
    assert done.stdout.startswith("queued set_poll_interval ")
    assert done.stdout.rstrip().endswith(f" for endpoint {center.a_id}")
    _, answer = await call(center.url("/api/v1/commands"), center.a)
    assert [(c["kind"], c["arguments"]) for c in answer["commands"]] == [
        ("set_poll_interval", {"seconds": 600})
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set_poll_interval"], "Error: set_poll_interval needs the argument seconds"),
        (["set_poll_interval", "--arg", "seconds=5"], "between 60 and 86400"),
        (["rediscover", "--arg", "x"], "'x' is not NAME=VALUE"),
        (["reboot"], "'reboot' is not one of 'set_poll_interval'"),
    ],
)
async def test_the_command_line_refuses_bad_commands(
    center: Fixture, args: list[str], message: str
) -> None:
    home = str(center.info.settings.home)
    result = center_command("command", "--home", home, center.a_id, *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert count_rows(center.info, commands) == 0


async def test_the_command_line_refuses_an_unknown_endpoint(center: Fixture) -> None:
    home = str(center.info.settings.home)
    result = center_command("command", "--home", home, "nobody", "rediscover", check=False)
    last_line = result.stderr.strip().splitlines()[-1]
    assert (result.returncode, last_line) == (1, "Error: unknown endpoint nobody")
    assert count_rows(center.info, commands) == 0
