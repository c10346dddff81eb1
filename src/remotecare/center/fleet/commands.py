"""Commands for agents: queued by operators, picked up on the agent's own check-in.

A command stays *pending* until the endpoint it is for acknowledges it (``done`` or
``failed``); until then every device API response to that endpoint carries it, so an agent
that lost an answer sees the command again. Agents must therefore treat ``command_id`` as
idempotent. Revoking an endpoint *cancels* its pending commands.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, insert, select, update

from remotecare.center.access.rules import Actor
from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.rules.commands import command_arguments
from remotecare.center.fleet.tables import commands, printers
from remotecare.center.identity.endpoints import (
    endpoint_contacts,
    is_revoked,
    record_contact,
    set_poll_interval,
)
from remotecare.center.kernel.clock import Clock
from remotecare.errors import OperatorError
from remotecare.protocol.messages import Command, CommandAck, CommandKind, CommandOutcome

__all__ = [
    "MAX_COMMANDS_PER_ANSWER",
    "CommandEvents",
    "CommandService",
    "CommandStatus",
    "acknowledge",
    "cancel_pending",
    "check_in",
    "finish_pending",
    "has_pending_commands",
    "pending_commands",
]

MAX_COMMANDS_PER_ANSWER = 20


class CommandStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _command(row: Any) -> Command:
    return Command(
        command_id=uuid.UUID(row.id),
        kind=CommandKind(row.kind),
        arguments=row.arguments,
        created_at=row.created_at,
    )


def pending_commands(conn: Connection, endpoint_id: str) -> list[Command]:
    """The oldest pending commands for ``endpoint_id`` (at most 20 per answer)."""
    query = (
        select(commands.c.id, commands.c.kind, commands.c.arguments, commands.c.created_at)
        .where(
            commands.c.endpoint_id == endpoint_id,
            commands.c.status == CommandStatus.PENDING.value,
        )
        .order_by(commands.c.created_at, commands.c.id)
        .limit(MAX_COMMANDS_PER_ANSWER)
    )
    return [_command(row) for row in conn.execute(query)]


def has_pending_commands(conn: Connection, endpoint_id: str) -> bool:
    """Whether any command waits for ``endpoint_id``."""
    waiting = exists().where(
        commands.c.endpoint_id == endpoint_id, commands.c.status == CommandStatus.PENDING.value
    )
    return bool(conn.execute(select(waiting)).scalar())


def check_in(conn: Connection, endpoint_id: str, now: datetime) -> list[Command]:
    """Note that the endpoint called (it is alive) and return what waits for it."""
    record_contact(conn, endpoint_id, now)
    return pending_commands(conn, endpoint_id)


def acknowledge(
    conn: Connection, endpoint_id: str, command_id: str, ack: CommandAck, now: datetime
) -> bool:
    """Record the endpoint's answer; False if it has no such command (someone else's).

    A repeated acknowledgement changes nothing: the first answer stands.
    """
    record_contact(conn, endpoint_id, now)
    row = conn.execute(
        select(commands.c.kind, commands.c.arguments, commands.c.status).where(
            commands.c.id == command_id, commands.c.endpoint_id == endpoint_id
        )
    ).first()
    if row is None:
        return False
    if row.status != CommandStatus.PENDING.value:
        return True
    conn.execute(
        update(commands)
        .where(commands.c.id == command_id, commands.c.status == CommandStatus.PENDING.value)
        .values(status=ack.outcome.value, finished_at=now, detail=ack.detail)
    )
    if row.kind == CommandKind.SET_POLL_INTERVAL and ack.outcome is CommandOutcome.DONE:
        set_poll_interval(conn, endpoint_id, int(row.arguments["seconds"]))
    return True


def finish_pending(
    conn: Connection, endpoint_id: str, kind: CommandKind, now: datetime, detail: str
) -> None:
    """Mark pending commands of ``kind`` done because the center saw them done."""
    conn.execute(
        update(commands)
        .where(
            commands.c.endpoint_id == endpoint_id,
            commands.c.kind == kind.value,
            commands.c.status == CommandStatus.PENDING.value,
        )
        .values(status=CommandStatus.DONE.value, finished_at=now, detail=detail)
    )


def cancel_pending(conn: Connection, endpoint_id: str, now: datetime, detail: str) -> int:
    """Cancel every pending command of ``endpoint_id``; the number cancelled."""
    result = conn.execute(
        update(commands)
        .where(
            commands.c.endpoint_id == endpoint_id,
            commands.c.status == CommandStatus.PENDING.value,
        )
        .values(status=CommandStatus.CANCELLED.value, finished_at=now, detail=detail)
    )
    return int(result.rowcount)


class CommandEvents:
    """The fleet's part when an endpoint's certificate changes (``identity.certificates``):
    a renewal finishes the ``renew_certificate`` commands waiting for it, a revocation
    cancels every command waiting for it, in the same transaction."""

    def renewed(self, conn: Connection, endpoint_id: str, serial_hex: str, now: datetime) -> None:
        detail = f"renewed: certificate {serial_hex}"
        finish_pending(conn, endpoint_id, CommandKind.RENEW_CERTIFICATE, now, detail)

    def revoked(self, conn: Connection, endpoint_id: str, now: datetime) -> int:
        return cancel_pending(conn, endpoint_id, now, "endpoint revoked")


@dataclass(frozen=True, slots=True)
class CommandService:
    """Queue commands for endpoints and read what waits for them.

    Usage::

        with transactions.begin() as conn:
            kind = CommandKind.SET_POLL_INTERVAL
            service.queue(conn, actor, endpoint_id, kind, {"seconds": "600"})
    """

    clock: Clock

    def queue(
        self,
        conn: Connection,
        actor: Actor,
        endpoint_id: str,
        kind: CommandKind,
        given: Mapping[str, str | int],
    ) -> Command:
        """Queue a command for a live endpoint ``actor`` may see; refuses bad arguments
        and revoked endpoints."""
        arguments = command_arguments(kind, given)
        now = self.clock.now()
        command_id = str(uuid.uuid4())
        _check_endpoint(conn, actor, endpoint_id)
        if kind is CommandKind.COLLECT_DIAGNOSTICS:
            _check_printer(conn, endpoint_id, str(arguments["printer"]))
        conn.execute(
            insert(commands).values(
                id=command_id,
                endpoint_id=endpoint_id,
                kind=kind.value,
                arguments=arguments,
                status=CommandStatus.PENDING.value,
                created_at=now,
            )
        )
        return Command(
            command_id=uuid.UUID(command_id), kind=kind, arguments=arguments, created_at=now
        )


def _check_endpoint(conn: Connection, actor: Actor, endpoint_id: str) -> None:
    revoked = is_revoked(conn, endpoint_id)
    contact = endpoint_contacts(conn, [endpoint_id]).get(endpoint_id)
    if revoked is None or contact is None or not actor.may_see(contact.customer_id):
        raise OperatorError(f"unknown endpoint {endpoint_id}")
    if revoked:
        raise OperatorError(f"endpoint {endpoint_id} is revoked; it will never check in again")


def _check_printer(conn: Connection, endpoint_id: str, serial: str) -> None:
    bound = conn.execute(
        select(printers.c.id).where(
            printers.c.endpoint_id == endpoint_id,
            printers.c.serial == serial,
            printers.c.binding == Binding.BOUND.value,
        )
    ).first()
    if bound is None:
        raise OperatorError(f"endpoint {endpoint_id} reports for no printer {serial}")
