"""Load the incident catalogue (``conditions.yaml`` beside this module) strictly: an
unknown field, a kind that is not declared, a severity or responder misspelt fails at
start with the file named."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from remotecare.center.care.incidents.rules.catalogue import (
    Catalogue,
    Cause,
    IncidentKind,
    Responder,
    Severity,
)
from remotecare.errors import ConfigError

__all__ = ["CATALOGUE_FILE", "load_catalogue", "packaged_catalogue"]

CATALOGUE_FILE = Path(__file__).resolve().parent / "conditions.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Kind(_Strict):
    severity: Severity
    responder: Responder
    en: str
    ja: str


class _Cause(_Strict):
    cause: str
    part: str | None
    action: str


class _File(_Strict):
    kinds: dict[str, _Kind]
    alert_codes: dict[str, str | dict[str, str]]
    ignore_alert_codes: list[str]
    subunit_groups: list[str]
    error_conditions: dict[str, str]
    cover_open: str
    supply_states: dict[str, dict[str, str]]
    supply_types: dict[str, dict[str, str]]
    tray_states: dict[str, str]
    printer_silent: str
    agent_silent: str
    certificate_expiring: str
    unknown_alert: str
    field_service_training_levels: list[str]
    probable_causes: dict[str, _Cause]

    @model_validator(mode="after")
    def _kinds_are_declared(self) -> _File:
        used: list[str] = [
            self.cover_open,
            self.printer_silent,
            self.agent_silent,
            self.certificate_expiring,
            self.unknown_alert,
            *self.error_conditions.values(),
            *self.tray_states.values(),
        ]
        for target in self.alert_codes.values():
            used += [target] if isinstance(target, str) else list(target.values())
        for states in (*self.supply_states.values(), *self.supply_types.values()):
            used += states.values()
        unknown = sorted(set(used) - set(self.kinds))
        if unknown:
            raise ValueError(f"kinds used but not declared: {unknown}")
        return self


def load_catalogue(path: Path) -> Catalogue:
    """Parse ``path`` strictly; any mistake raises :class:`ConfigError` naming the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = _File.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"incident catalogue {path}: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(f"incident catalogue {path} is invalid: {exc}") from exc
    return Catalogue(
        kinds={
            name: IncidentKind(name, k.severity, k.responder, {"en": k.en, "ja": k.ja})
            for name, k in parsed.kinds.items()
        },
        alert_codes=parsed.alert_codes,
        ignore_alert_codes=frozenset(parsed.ignore_alert_codes),
        subunit_groups=frozenset(parsed.subunit_groups),
        error_conditions=parsed.error_conditions,
        cover_open=parsed.cover_open,
        supply_states=parsed.supply_states,
        supply_types=parsed.supply_types,
        tray_states=parsed.tray_states,
        printer_silent=parsed.printer_silent,
        agent_silent=parsed.agent_silent,
        certificate_expiring=parsed.certificate_expiring,
        unknown_alert=parsed.unknown_alert,
        field_service_training_levels=frozenset(parsed.field_service_training_levels),
        probable_causes={
            key: Cause(c.cause, c.part, c.action) for key, c in parsed.probable_causes.items()
        },
    )


@functools.cache
def packaged_catalogue() -> Catalogue:
    """The catalogue shipped with the center (loaded once)."""
    return load_catalogue(CATALOGUE_FILE)
