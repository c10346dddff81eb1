"""Reports of a colour printer whose supply levels a test chooses, for the supplies
service (levels as numbers, as states, above their maximum)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from remotecare.center.care.supplies.tables import supply_orders
from remotecare.center.fleet.tables import printers
from remotecare.protocol.messages import (
    Counter,
    DeviceStatus,
    PrinterReading,
    Report,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
    new_report_id,
)

__all__ = ["COLOURS", "Level", "a_supplies_report", "an_order"]

COLOURS = ("black", "cyan", "magenta", "yellow")  # supply indexes 1 to 4


@dataclass(frozen=True, slots=True)
class Level:
    """What one supply reports: a level of a maximum, or only a state."""

    level: int | None
    maximum: int | None = 100
    state: SupplyState = SupplyState.OK


def _level(value: int | Level) -> Level:
    if isinstance(value, Level):
        return value
    state = SupplyState.EMPTY if value == 0 else SupplyState.OK
    return Level(value, 100, state)


def a_supplies_report(
    serial: str,
    at: datetime,
    pages: int,
    levels: Mapping[int, int | Level],
    *,
    address: str = "snmp://192.0.2.9:161",
) -> Report:
    """A report of a colour printer: the toners ``levels`` names (index 1 black .. 4
    yellow; an int is percent of 100) and its total counter."""
    supplies = []
    for index, value in sorted(levels.items()):
        level = _level(value)
        colour = COLOURS[index - 1]
        supplies.append(
            Supply(
                index=index,
                description=f"{colour.title()} Toner",
                type="toner",
                supply_class=SupplyClass.CONSUMED,
                colour=colour,
                unit="percent",
                level=level.level,
                max_capacity=level.maximum,
                state=level.state,
            )
        )
    reading = PrinterReading(
        serial=serial,
        serial_source=SerialSource.PRINTER_MIB,
        model="ACME ColorMFP 4500",
        status=DeviceStatus(device_status="running"),
        counters=[Counter(name="total", value=pages, unit="impressions")],
        supplies=supplies,
    )
    return Report(
        report_id=new_report_id(), agent_time=at, printer_address=address, reading=reading
    )


def an_order(
    conn: Connection,
    printer_id: int,
    at: datetime,
    *,
    supply_index: int = 1,
    status: str = "proposed",
) -> str:
    """A proposed order for a printer's supply, straight into the database (for tests of
    the ways people work orders, without a month of readings); its id."""
    printer = conn.execute(select(printers).where(printers.c.id == printer_id)).one()
    order_id = str(uuid.uuid4())
    conn.execute(
        insert(supply_orders).values(
            id=order_id,
            customer_id=printer.customer_id,
            printer_id=printer_id,
            supply_index=supply_index,
            cartridge_description="Black Toner",
            cartridge_installed_at=at,
            supply_type="toner",
            colour="black",
            printer_serial=printer.serial,
            printer_model=printer.model,
            ship_to='=HYPERLINK("x")',  # a spreadsheet formula: the CSV must defuse it
            shipment_id=str(uuid.uuid4()),
            due_reason="forecast",
            days_to_empty=6.5,
            status=status,
            proposed_at=at,
            needs_person=False,
            updated_at=at,
        )
    )
    return order_id
