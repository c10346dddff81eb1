"""The incident catalogue as values: kinds, where each reported condition leads, probable
causes. Built from ``conditions.yaml`` by ``care/incidents/catalogue.py``."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Catalogue", "Cause", "IncidentKind", "Responder", "Severity"]


class Severity(enum.StrEnum):
    CRITICAL = "critical"  # the printer cannot print
    WARNING = "warning"  # it soon will not, or prints badly
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"critical": 3, "warning": 2, "info": 1}[self.value]


class Responder(enum.StrEnum):
    """Who acts on an incident."""

    CUSTOMER = "customer"
    FIELD_SERVICE = "field_service"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class IncidentKind:
    name: str
    severity: Severity
    responder: Responder
    titles: Mapping[str, str]  # language -> title

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles["en"]


@dataclass(frozen=True, slots=True)
class Cause:
    """The likely cause of a condition, the part to bring, what to do."""

    cause: str
    part: str | None
    action: str


# A code's kind, or its kind by alert group ("*": any other group).
AlertTarget = str | Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Catalogue:
    kinds: Mapping[str, IncidentKind]
    alert_codes: Mapping[str, AlertTarget]
    ignore_alert_codes: frozenset[str]
    subunit_groups: frozenset[str]
    error_conditions: Mapping[str, str]
    cover_open: str
    supply_states: Mapping[str, Mapping[str, str]]  # supply class -> state -> kind
    supply_types: Mapping[str, Mapping[str, str]]  # supply type -> state -> kind
    tray_states: Mapping[str, str]
    printer_silent: str
    agent_silent: str
    certificate_expiring: str
    unknown_alert: str
    field_service_training_levels: frozenset[str]
    probable_causes: Mapping[str, Cause] = field(default_factory=dict)

    def kind(self, name: str) -> IncidentKind:
        return self.kinds[name]

    def cause_of(self, code: str | None, kind: str) -> Cause | None:
        """The probable cause by alert code first, else by kind."""
        if code is not None and code in self.probable_causes:
            return self.probable_causes[code]
        return self.probable_causes.get(kind)
