"""What the console shows and who may see it: operator logins, sessions, the fleet,
the endpoints and whether each agent and printer is in touch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from remotecare.center.access.tables import console_sessions, operators
from remotecare.center.contracts.tables import customers
from remotecare.center.fleet.rules.binding import Binding
from remotecare.center.fleet.rules.connectivity import Presence, assess
from remotecare.center.fleet.tables import printers
from remotecare.center.identity.tables import endpoints
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.secrets import hash_password, hash_token, new_token, verify_password

__all__ = ["ConsoleService", "DeviceRow", "EndpointRow", "SupplyBar"]


@dataclass(frozen=True, slots=True)
class SupplyBar:
    description: str
    colour: str | None
    percent: float | None
    state: str
    receptacle: bool


@dataclass(frozen=True, slots=True)
class DeviceRow:
    serial: str
    model: str
    customer: str
    address: str
    last_contact_at: datetime | None
    last_report_at: datetime
    unreachable_reason: str | None
    page_count: int | None
    page_unit: str | None
    status: str | None
    error_conditions: tuple[str, ...]
    supplies: tuple[SupplyBar, ...]
    presence: Presence  # the printer, by the last report about it (any outcome)
    agent_presence: Presence  # the agent that reads it, by its last check-in


@dataclass(frozen=True, slots=True)
class EndpointRow:
    endpoint_id: str
    customer: str
    enrolled_at: datetime
    last_seen_at: datetime | None
    certificate_not_after: datetime
    revoked: bool
    revoked_at: datetime | None
    revocation_reason: str | None
    printers: int
    presence: Presence
    queued_reports: int | None  # the agent's own word, from its last batch
    dropped_reports: dict[str, int]  # reason -> count, never silent


def _dropped(agent_status: dict[str, Any] | None) -> dict[str, int]:
    if not agent_status:
        return {}
    return {d["reason"]: d["count"] for d in agent_status.get("dropped", []) if d["count"]}


def _device_row(row: Any, now: datetime) -> DeviceRow:
    reading: dict[str, Any] = row.latest_reading or {}
    total = next((c for c in reading.get("counters", []) if c["name"] == "total"), None)
    status = reading.get("status", {})
    return DeviceRow(
        serial=row.serial,
        model=row.model,
        customer=row.customer,
        address=row.address,
        last_contact_at=row.last_contact_at,
        last_report_at=row.last_report_at,
        unreachable_reason=row.unreachable_reason,
        page_count=total["value"] if total else None,
        page_unit=total["unit"] if total else None,
        status=status.get("device_status"),
        error_conditions=tuple(status.get("error_conditions", [])),
        supplies=tuple(
            SupplyBar(
                description=s["description"],
                colour=s.get("colour"),
                percent=s.get("percent"),
                state=s["state"],
                receptacle=s["supply_class"] == "receptacle",
            )
            for s in reading.get("supplies", [])
        ),
        presence=assess(row.last_report_at, now, row.poll_interval_seconds),
        agent_presence=_agent_presence(row, now),
    )


def _agent_presence(row: Any, now: datetime) -> Presence:
    return assess(row.last_seen_at or row.enrolled_at, now, row.poll_interval_seconds)


class ConsoleService:
    def __init__(
        self, engine: Engine, clock: Clock, session_lifetime: timedelta = timedelta(hours=12)
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._session_lifetime = session_lifetime

    def create_operator(self, username: str, password: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(operators).values(
                    username=username,
                    password_hash=hash_password(password),
                    created_at=self._clock.now(),
                )
            )

    def log_in(self, username: str, password: str) -> str | None:
        """A new session token for valid credentials, else None."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(operators.c.id, operators.c.password_hash).where(
                    operators.c.username == username
                )
            ).first()
            # An unknown name costs the same hashing as a wrong password: no timing tells.
            if not verify_password(password, None if row is None else row.password_hash):
                return None
            assert row is not None
            token = new_token()
            now = self._clock.now()
            conn.execute(
                insert(console_sessions).values(
                    token_hash=hash_token(token),
                    operator_id=row.id,
                    created_at=now,
                    expires_at=now + self._session_lifetime,
                )
            )
            return token

    def operator_for_session(self, token: str) -> str | None:
        query = (
            select(operators.c.username)
            .join(console_sessions, console_sessions.c.operator_id == operators.c.id)
            .where(
                console_sessions.c.token_hash == hash_token(token),
                console_sessions.c.expires_at > self._clock.now(),
            )
        )
        with self._engine.connect() as conn:
            return conn.execute(query).scalar()

    def log_out(self, token: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(console_sessions).where(console_sessions.c.token_hash == hash_token(token))
            )

    def devices(self) -> list[DeviceRow]:
        query = (
            select(
                printers.c.serial,
                printers.c.model,
                printers.c.address,
                printers.c.last_contact_at,
                printers.c.last_report_at,
                printers.c.unreachable_reason,
                printers.c.latest_reading,
                customers.c.name.label("customer"),
                endpoints.c.last_seen_at,
                endpoints.c.enrolled_at,
                endpoints.c.poll_interval_seconds,
            )
            .join(customers, customers.c.id == printers.c.customer_id)
            .join(endpoints, endpoints.c.id == printers.c.endpoint_id)
            .where(printers.c.binding == Binding.BOUND.value)
            .order_by(customers.c.name, printers.c.serial)
        )
        now = self._clock.now()
        with self._engine.connect() as conn:
            return [_device_row(row, now) for row in conn.execute(query)]

    def endpoints(self) -> list[EndpointRow]:
        bound = (
            select(printers.c.endpoint_id, func.count().label("printers"))
            .where(printers.c.binding == Binding.BOUND.value)
            .group_by(printers.c.endpoint_id)
            .subquery()
        )
        query = (
            select(
                endpoints.c.id,
                customers.c.name,
                endpoints.c.enrolled_at,
                endpoints.c.last_seen_at,
                endpoints.c.certificate_not_after,
                endpoints.c.revoked,
                endpoints.c.revoked_at,
                endpoints.c.revocation_reason,
                endpoints.c.poll_interval_seconds,
                endpoints.c.agent_status,
                func.coalesce(bound.c.printers, 0).label("printers"),
            )
            .join(customers, customers.c.id == endpoints.c.customer_id)
            .outerjoin(bound, bound.c.endpoint_id == endpoints.c.id)
            .order_by(customers.c.name, endpoints.c.enrolled_at, endpoints.c.id)
        )
        now = self._clock.now()
        with self._engine.connect() as conn:
            return [
                EndpointRow(
                    endpoint_id=row.id,
                    customer=row.name,
                    enrolled_at=row.enrolled_at,
                    last_seen_at=row.last_seen_at,
                    certificate_not_after=row.certificate_not_after,
                    revoked=row.revoked,
                    revoked_at=row.revoked_at,
                    revocation_reason=row.revocation_reason,
                    printers=row.printers,
                    presence=_agent_presence(row, now),
                    queued_reports=(row.agent_status or {}).get("queued_reports"),
                    dropped_reports=_dropped(row.agent_status),
                )
                for row in conn.execute(query)
            ]
