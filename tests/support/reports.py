"""Reports built with the protocol models (the tests' only report builders), and agents
enrolled for tests."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from remotecare.agent.config import AgentIdentity, AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.center.bootstrap import Center
from remotecare.protocol.messages import (
    Alert,
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
from tests.support.centers import CenterInfo
from tests.support.contracts import issue_token

_COLOURS = ("black", "cyan", "magenta", "yellow")


def a_reading(serial: str, pages: int, *, errors: tuple[str, ...] = ()) -> PrinterReading:
    """A colour MFP's reading: four toners, a waste box, counters and an alert."""
    supplies = [
        Supply(
            index=i + 1,
            description=f"{colour.title()} Toner",
            type="toner",
            supply_class=SupplyClass.CONSUMED,
            colour=colour,
            unit="percent",
            level=max(0, 90 - (pages // 100 + i * 7) % 90),
            max_capacity=100,
            percent=float(max(0, 90 - (pages // 100 + i * 7) % 90)),
            state=SupplyState.OK,
        )
        for i, colour in enumerate(_COLOURS)
    ]
    supplies.append(
        Supply(
            index=5,
            description="Waste Toner Box",
            type="wasteToner",
            supply_class=SupplyClass.RECEPTACLE,
            state=SupplyState.SOME_REMAINING,
        )
    )
    return PrinterReading(
        serial=serial,
        serial_source=SerialSource.PRINTER_MIB,
        model="ACME ColorMFP 4500",
        status=DeviceStatus(
            device_status="warning" if errors else "running",
            printer_status="idle",
            error_conditions=list(errors),
        ),
        counters=[
            Counter(name="total", value=pages, unit="impressions"),
            Counter(name="mono", value=pages * 2 // 3, unit="impressions"),
            Counter(name="colour", value=pages // 3, unit="impressions"),
        ],
        supplies=supplies,
        alerts=[
            Alert(
                index=1,
                severity="warning",
                group="markerSupplies",
                group_index=3,
                code="markerTonerAlmostEmpty",
                description="Magenta toner low",
            )
        ],
    )


def a_report(
    serial: str = "SER-1",
    pages: int = 1000,
    agent_time: datetime | None = None,
    address: str = "snmp://192.0.2.7:161",
) -> Report:
    return _report_of(a_reading(serial, pages), agent_time, address)


def a_plain_reading(
    serial: str, *, pages: int = 1234, model: str = "Acme Laser 9000"
) -> PrinterReading:
    """A mono printer's reading: its total counter and nothing else."""
    return PrinterReading(
        serial=serial,
        serial_source=SerialSource.PRINTER_MIB,
        model=model,
        status=DeviceStatus(device_status="running"),
        counters=[Counter(name="total", value=pages, unit="impressions")],
    )


def a_plain_report(
    serial: str = "SER-1",
    *,
    agent_time: datetime | None = None,
    address: str = "snmp://192.0.2.7:161",
    pages: int = 1234,
    model: str = "Acme Laser 9000",
) -> Report:
    """A report of :func:`a_plain_reading`, with a fresh report id."""
    return _report_of(a_plain_reading(serial, pages=pages, model=model), agent_time, address)


def _report_of(reading: PrinterReading, agent_time: datetime | None, address: str) -> Report:
    return Report(
        report_id=new_report_id(),
        agent_time=agent_time or datetime.now(UTC),
        printer_address=address,
        reading=reading,
    )


def an_unreachable_report(
    *,
    agent_time: datetime | None = None,
    address: str = "snmp://192.0.2.1:161",
    reason: str = "timeout",
) -> Report:
    """The agent's word that the printer at ``address`` did not answer."""
    return Report(
        report_id=new_report_id(),
        agent_time=agent_time or datetime.now(UTC),
        printer_address=address,
        unreachable_reason=reason,
    )


def a_history(serial: str, count: int, start: datetime | None = None) -> list[Report]:
    """``count`` readings of one printer, one minute apart, pages rising."""
    first = start or datetime.now(UTC) - timedelta(minutes=count)
    return [a_report(serial, 1000 + i * 3, first + timedelta(minutes=i)) for i in range(count)]


async def enrolled_agent(
    center: Center, info: CenterInfo, home: Path, customer: str = "Acme Ltd"
) -> tuple[AgentPaths, AgentIdentity]:
    """An agent home enrolled with an in-process center."""
    issued = issue_token(center, customer)
    paths = AgentPaths(home)
    identity = await enrol(paths, info.console_url, issued.token, info.ca_fingerprint)
    return paths, identity


def a_report_id_minted_at(when: datetime) -> uuid.UUID:
    """A UUIDv7 report id minted at ``when``, as an agent taking a reading then makes it."""
    milliseconds = int(when.timestamp() * 1000)
    value = (milliseconds << 80) | (7 << 76) | (random.getrandbits(12) << 64)
    return uuid.UUID(int=value | (0b10 << 62) | random.getrandbits(62))


def minted_when_taken(report: Report) -> Report:
    """``report`` with an id minted at its agent time (as a real agent's would be)."""
    return report.model_copy(update={"report_id": a_report_id_minted_at(report.agent_time)})
