"""Commands are carried out once; a lost acknowledgement repeats the answer, not the work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from remotecare.agent.commands import CommandHandlers, carry_out_all
from remotecare.agent.state import AgentState
from remotecare.errors import UplinkError
from remotecare.protocol.messages import Command, CommandAck, CommandKind, CommandOutcome

NOW = datetime(2025, 6, 1, tzinfo=UTC)


class FakeCenter:
    def __init__(self, failing: int = 0) -> None:
        self.failing = failing
        self.acks: list[tuple[uuid.UUID, CommandAck]] = []

    async def acknowledge(self, command_id: uuid.UUID, ack: CommandAck) -> None:
        if self.failing:
            self.failing -= 1
            raise UplinkError("line down")
        self.acks.append((command_id, ack))


class FakeAgent:
    def __init__(self) -> None:
        self.intervals: list[float] = []

    def handlers(self) -> CommandHandlers:
        async def set_poll_interval(seconds: float) -> str:
            self.intervals.append(seconds)
            return f"poll interval is now {seconds:g} s"

        async def nothing(*_: object) -> str:
            return "done"

        return CommandHandlers(set_poll_interval, nothing, nothing, nothing)


def command(kind: CommandKind, minutes: int = 0, **arguments: str | int) -> Command:
    return Command(
        command_id=uuid.uuid4(),
        kind=kind,
        arguments=arguments,
        created_at=NOW + timedelta(minutes=minutes),
    )


async def test_a_lost_acknowledgement_repeats_the_answer_not_the_work(tmp_path: Path) -> None:
    agent, center, state = FakeAgent(), FakeCenter(failing=1), AgentState()
    interval = command(CommandKind.SET_POLL_INTERVAL, seconds=600)
    first = await carry_out_all([interval], agent.handlers(), state, tmp_path / "s.json", center)
    assert first == []  # done, but the acknowledgement did not get through
    reloaded = AgentState.load(tmp_path / "s.json")  # the agent restarted meanwhile
    again = await carry_out_all([interval], agent.handlers(), reloaded, tmp_path / "s.json", center)
    assert agent.intervals == [600]
    assert [ack.outcome for _, ack in again] == [CommandOutcome.DONE]
    assert center.acks[0][1].detail == "poll interval is now 600 s"


async def test_commands_run_oldest_first_and_once_even_if_listed_twice(tmp_path: Path) -> None:
    agent, center, state = FakeAgent(), FakeCenter(), AgentState()
    later = command(CommandKind.SET_POLL_INTERVAL, minutes=5, seconds=60)
    earlier = command(CommandKind.SET_POLL_INTERVAL, minutes=1, seconds=900)
    await carry_out_all([later, earlier, later], agent.handlers(), state, tmp_path / "s", center)
    assert agent.intervals == [900, 60]


async def test_a_bad_argument_is_acknowledged_as_failed_with_the_reason(tmp_path: Path) -> None:
    agent, center, state = FakeAgent(), FakeCenter(), AgentState()
    bad = command(CommandKind.SET_POLL_INTERVAL, seconds=0)
    [(_, ack)] = await carry_out_all([bad], agent.handlers(), state, tmp_path / "s", center)
    assert ack.outcome is CommandOutcome.FAILED
    assert "between 1 and 86400" in str(ack.detail)
    assert agent.intervals == []
