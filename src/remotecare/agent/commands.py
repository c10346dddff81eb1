"""Carry out what the center asked for, once each, and answer it (terms, article 6(3):
the center never connects to the agent; it queues commands the agent picks up).

A command's answer is remembered in the agent's state before it is acknowledged, so an
acknowledgement lost on the way makes the agent repeat the answer, never the work.

Usage::

    acks = await carry_out_all(commands, handlers, state, paths.state, uplink)
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from remotecare.agent.state import AgentState
from remotecare.errors import CommandError, RemoteCareError, UplinkError
from remotecare.protocol.messages import Command, CommandAck, CommandKind, CommandOutcome

__all__ = [
    "MAX_POLL_INTERVAL_S",
    "MIN_POLL_INTERVAL_S",
    "CommandHandlers",
    "carry_out",
    "carry_out_all",
]

logger = logging.getLogger(__name__)

MIN_POLL_INTERVAL_S: Final = 1
MAX_POLL_INTERVAL_S: Final = 86_400


@dataclass(frozen=True, slots=True)
class CommandHandlers:
    """The agent's abilities, each returning a short detail for the acknowledgement."""

    set_poll_interval: Callable[[float], Awaitable[str]]
    collect_diagnostics: Callable[[str | None, uuid.UUID], Awaitable[str]]
    renew_certificate: Callable[[], Awaitable[str]]
    rediscover: Callable[[], Awaitable[str]]


class Acknowledger(Protocol):
    async def acknowledge(self, command_id: uuid.UUID, ack: CommandAck) -> None: ...


async def carry_out(command: Command, handlers: CommandHandlers) -> tuple[CommandOutcome, str]:
    """Do one command; never raises for the command's own failure."""
    try:
        detail = await _dispatch(command, handlers)
    except (RemoteCareError, ValueError, OSError) as exc:
        logger.warning("command %s (%s) failed: %s", command.command_id, command.kind, exc)
        return CommandOutcome.FAILED, str(exc)
    logger.info("command %s (%s) done: %s", command.command_id, command.kind, detail)
    return CommandOutcome.DONE, detail


async def _dispatch(command: Command, handlers: CommandHandlers) -> str:
    arguments = command.arguments
    if command.kind is CommandKind.SET_POLL_INTERVAL:
        seconds = arguments.get("seconds")
        if isinstance(seconds, str) and seconds.isdigit():
            seconds = int(seconds)
        if not isinstance(seconds, int) or not (
            MIN_POLL_INTERVAL_S <= seconds <= MAX_POLL_INTERVAL_S
        ):
            raise CommandError(
                f"set_poll_interval needs seconds between {MIN_POLL_INTERVAL_S} and "
                f"{MAX_POLL_INTERVAL_S}, got {seconds!r}"
            )
        return await handlers.set_poll_interval(float(seconds))
    if command.kind is CommandKind.COLLECT_DIAGNOSTICS:
        printer = arguments.get("printer")
        return await handlers.collect_diagnostics(
            None if printer is None else str(printer), command.command_id
        )
    if command.kind is CommandKind.RENEW_CERTIFICATE:
        return await handlers.renew_certificate()
    if command.kind is CommandKind.REDISCOVER:
        return await handlers.rediscover()
    raise CommandError(f"this agent does not know the command {command.kind!r}")


async def carry_out_all(
    commands: Sequence[Command],
    handlers: CommandHandlers,
    state: AgentState,
    state_path: Path,
    uplink: Acknowledger,
) -> list[tuple[Command, CommandAck]]:
    """Do each new command once (oldest first), remember the answer, acknowledge it."""
    unique = {str(c.command_id): c for c in sorted(commands, key=lambda c: c.created_at)}
    answered = []
    for command_id, command in unique.items():
        ack = state.done.get(command_id)
        if ack is None:
            outcome, detail = await carry_out(command, handlers)
            ack = state.remember(command_id, outcome, detail)
            state.save(state_path)
        try:
            await uplink.acknowledge(command.command_id, ack)
        except UplinkError as exc:
            logger.warning("acknowledgement of %s not delivered yet: %s", command_id, exc)
            continue
        answered.append((command, ack))
    return answered
