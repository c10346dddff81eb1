"""What the console shows and who may see it: operator logins, sessions, the fleet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from remotecare.center.adapters.db import console_sessions, customers, operators, printers
from remotecare.center.clock import Clock
from remotecare.center.secrets import hash_password, hash_token, new_token, verify_password

__all__ = ["ConsoleService", "DeviceRow", "SupplyBar"]


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


def _device_row(row: Any) -> DeviceRow:
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
    )


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
            if row is None or not verify_password(password, row.password_hash):
                return None
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
            )
            .join(customers, customers.c.id == printers.c.customer_id)
            .order_by(customers.c.name, printers.c.serial)
        )
        with self._engine.connect() as conn:
            return [_device_row(row) for row in conn.execute(query)]
