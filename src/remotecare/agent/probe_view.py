"""Show one :class:`PrinterReading` as plain-text tables for ``remotecare agent probe``.

Pure: the reading in, text out. Absent values print as ``-`` so nothing looks measured
that was not::

    print(render_reading(reading, address="snmp://192.0.2.10:161"))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from remotecare.protocol.messages import PrinterReading, SerialSource

__all__ = ["render_reading", "weak_identity_warning"]

_ABSENT: Final = "-"
_GAP: Final = "  "


def _cell(value: object) -> str:
    if value is None:
        return _ABSENT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    if not rows:
        return [f"{title}: none reported"]
    cells = [list(header), *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]
    lines = [f"{title}:"]
    for row in cells:
        lines.append(
            _GAP
            + _GAP.join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        )
    return lines


def weak_identity_warning(reading: PrinterReading, *, enrolled: bool = True) -> str | None:
    """What `agent probe` says about a printer named by its weak identity; None otherwise."""
    if reading.serial_source is not SerialSource.WEAK:
        return None
    whose = (
        "the identity this agent sends"
        if enrolled
        else "computed without an enrolled --home: the agent's own will differ"
    )
    return (
        "the printer gave no serial number, vendor serial or MAC address; it is named by "
        f"its address and sysObjectID ({whose}), and the center holds it as pending until "
        "an operator confirms it (`remotecare center printers confirm`). Moved to another "
        "address it becomes a new printer."
    )


def render_reading(reading: PrinterReading, *, address: str, enrolled: bool = True) -> str:
    """Everything the reading holds, in the order a service technician reads it."""
    status = reading.status
    lines = [
        f"printer        {address}",
        f"serial         {reading.serial} (from {reading.serial_source.value})",
        f"model          {reading.model or _ABSENT}",
        f"sysObjectID    {reading.sys_object_id or _ABSENT}",
        f"device status  {status.device_status}",
        f"printer status {status.printer_status or _ABSENT}",
        f"errors         {', '.join(status.error_conditions) or 'none'}",
    ]
    warning = weak_identity_warning(reading, enrolled=enrolled)
    if warning:
        lines.append(f"warning        {warning}")
    if reading.partial_reason:
        lines.append(f"partial        {reading.partial_reason}")
    sections = [
        _table(
            "counters",
            ("name", "value", "unit"),
            [(c.name, c.value, c.unit) for c in reading.counters],
        ),
        _table(
            "supplies",
            ("#", "description", "type", "class", "colour", "level", "max", "percent", "state"),
            [
                (
                    s.index,
                    s.description,
                    s.type,
                    s.supply_class.value,
                    s.colour,
                    s.level,
                    s.max_capacity,
                    s.percent,
                    s.state.value,
                )
                for s in reading.supplies
            ],
        ),
        _table(
            "trays",
            ("#", "name", "media", "level", "max", "state"),
            [
                (t.index, t.name, t.media, t.level, t.max_capacity, t.state.value)
                for t in reading.trays
            ],
        ),
        _table(
            "covers",
            ("#", "description", "status", "open"),
            [(c.index, c.description, c.status, c.open) for c in reading.covers],
        ),
        _table(
            "alerts",
            (
                "#",
                "severity",
                "training",
                "group",
                "group#",
                "location",
                "code",
                "description",
                "time",
            ),
            [
                (
                    a.index,
                    a.severity,
                    a.training_level,
                    a.group,
                    a.group_index,
                    a.location,
                    a.code,
                    a.description,
                    a.time_ticks,
                )
                for a in reading.alerts
            ],
        ),
        _table("display", ("line",), [(line,) for line in reading.display_text]),
    ]
    for section in sections:
        lines += ["", *section]
    return "\n".join(lines)
