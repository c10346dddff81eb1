"""Conditions: what one reading says is wrong, each with the key that makes it one incident.

A condition's key is its kind, and the subunit (tray, cover, supply index) where the
printer names one: ``paper_jam``, ``cover_open:1``, ``supply_empty:2``. Several sources
for the same problem (the jam alert and the ``jammed`` bit; the cover table and the cover
alert) give the same key, so they make one incident. A source that names no subunit for a
kind another source places on a subunit adds nothing (the ``noToner`` bit beside the empty
toner's own row). An alert code the catalogue does not know is kept with its numbers as
``unknown_alert:<code>:<group>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from remotecare.center.care.incidents.rules.catalogue import Catalogue, Responder
from remotecare.protocol.messages import Alert, PrinterReading, SupplyClass

__all__ = ["Condition", "conditions_of", "silence_condition"]


@dataclass(frozen=True, slots=True)
class Condition:
    """One thing wrong, as one reading shows it."""

    key: str
    kind: str
    source: str  # "alert:jam", "error:jammed", "cover:1", "supply:2", "tray:1", ...
    detail: str  # what the printer said, for people
    code: str | None = None  # the alert code (its MIB name or "unrecognized(N)")
    field_service: bool = False  # an alert's training level asks for field service

    def responder(self, catalogue: Catalogue) -> Responder:
        if self.field_service:
            return Responder.FIELD_SERVICE
        return catalogue.kind(self.kind).responder


def _key(kind: str, subunit: int | None) -> str:
    return kind if subunit is None else f"{kind}:{subunit}"


def _alert_kind(alert: Alert, catalogue: Catalogue) -> str | None:
    """The kind an alert leads to; None for an event; the catalogue's generic kind for a
    code it does not know."""
    if alert.code in catalogue.ignore_alert_codes:
        return None
    target = catalogue.alert_codes.get(alert.code)
    if target is None:
        return catalogue.unknown_alert
    if isinstance(target, str):
        return target
    return target.get(alert.group) or target.get("*") or catalogue.unknown_alert


def _from_alert(alert: Alert, catalogue: Catalogue) -> Condition | None:
    kind = _alert_kind(alert, catalogue)
    if kind is None:
        return None
    field_service = (alert.training_level or "") in catalogue.field_service_training_levels
    if kind == catalogue.unknown_alert:
        key = f"{kind}:{alert.code}:{alert.group}"
    else:
        subunit = alert.group_index if alert.group in catalogue.subunit_groups else None
        key = _key(kind, subunit)
    detail = alert.description or f"{alert.code} ({alert.group})"
    return Condition(key, kind, f"alert:{alert.code}", detail, alert.code, field_service)


def conditions_of(reading: PrinterReading, catalogue: Catalogue) -> dict[str, Condition]:
    """Every condition ``reading`` shows, by key (the first source of a key wins, alerts
    first: they say the most)."""
    found: list[Condition] = []
    for alert in reading.alerts:
        condition = _from_alert(alert, catalogue)
        if condition is not None:
            found.append(condition)
    for name in reading.status.error_conditions:
        kind = catalogue.error_conditions.get(name)
        if kind is not None:
            found.append(Condition(kind, kind, f"error:{name}", name))
    for cover in reading.covers:
        if cover.open:
            kind = catalogue.cover_open
            found.append(
                Condition(
                    _key(kind, cover.index),
                    kind,
                    f"cover:{cover.index}",
                    cover.description or cover.status,
                )
            )
    for supply in reading.supplies:
        by_type = catalogue.supply_types.get(supply.type)
        by_class = catalogue.supply_states.get(
            "receptacle" if supply.supply_class is SupplyClass.RECEPTACLE else "consumed", {}
        )
        kind_name = (by_type or by_class).get(supply.state.value)
        if kind_name is not None:
            detail = f"{supply.description}: {supply.state.value}"
            found.append(
                Condition(
                    _key(kind_name, supply.index), kind_name, f"supply:{supply.index}", detail
                )
            )
    for tray in reading.trays:
        kind_name = catalogue.tray_states.get(tray.state.value)
        if kind_name is not None:
            detail = f"{tray.name}: {tray.state.value}"
            found.append(
                Condition(_key(kind_name, tray.index), kind_name, f"tray:{tray.index}", detail)
            )
    return _folded(found)


def _folded(found: Iterable[Condition]) -> dict[str, Condition]:
    conditions: dict[str, Condition] = {}
    for condition in found:
        kept = conditions.get(condition.key)
        if kept is None:
            conditions[condition.key] = condition
        elif condition.field_service and not kept.field_service:
            conditions[condition.key] = condition  # the field service word must not be lost
    placed = {c.kind for c in conditions.values() if c.key != c.kind}
    return {key: c for key, c in conditions.items() if not (c.key == c.kind and c.kind in placed)}


def silence_condition(kind: str, detail: str) -> Condition:
    """A condition the center sees itself (a printer or agent silent), not a reading."""
    return Condition(kind, kind, f"center:{kind}", detail)
