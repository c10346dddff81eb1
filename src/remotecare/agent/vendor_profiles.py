"""Vendor counters and serial numbers as data: YAML profiles for private MIBs.

A profile (``agent/profiles/<vendor>.yaml``) says which printers it is for (sysObjectID
enterprise prefixes and/or a sysDescr regular expression) and maps private-MIB objects
onto *our* names: counters (``print_mono``, ``copy_colour``, ``scan`` ...) with their
unit, and a vendor serial number used as the identity when the printer has no
prtGeneralSerialNumber. Profiles are parsed strictly (unknown keys, unknown counter
names or units, bad OIDs and bad regular expressions fail at load time), like the
snmp_exporter's ``snmp.yml``: the runtime never parses a MIB.

Pure functions apart from :func:`load_profiles`, which reads the files::

    profiles = load_profiles()                                   # the packaged ones
    profile = select_profile(profiles, sys_object_id, sys_descr)  # or None
    oids = profile.oids                                          # what to GET
    counters = vendor_counters(profile, values)                  # after the GET
    serial = vendor_serial(profile, values)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from remotecare.errors import ConfigError
from remotecare.protocol.messages import Counter

__all__ = [
    "COUNTER_NAMES",
    "COUNTER_UNITS",
    "PROFILES_DIR",
    "CounterMapping",
    "ProfileMatch",
    "SerialMapping",
    "VendorProfile",
    "load_profiles",
    "packaged_profiles",
    "parse_oid",
    "select_profile",
    "vendor_counters",
    "vendor_serial",
]

Oid = tuple[int, ...]
SnmpValue = int | bytes | str

PROFILES_DIR: Final = Path(__file__).with_name("profiles")
COUNTER_NAMES: Final = (
    "total",
    "mono",
    "colour",
    "print",
    "print_mono",
    "print_colour",
    "copy",
    "copy_mono",
    "copy_colour",
    "scan",
    "fax",
    "large_format",
)
COUNTER_UNITS: Final = ("impressions", "sheets", "images")
_SERIAL_LIMIT: Final = 128
_OID_PATTERN: Final = r"^1(\.[0-9]+)+$"

CounterName = Literal[
    "total",
    "mono",
    "colour",
    "print",
    "print_mono",
    "print_colour",
    "copy",
    "copy_mono",
    "copy_colour",
    "scan",
    "fax",
    "large_format",
]
CounterUnit = Literal["impressions", "sheets", "images"]
_OidText = Annotated[str, Field(pattern=_OID_PATTERN, max_length=256)]
_Source = Annotated[str, Field(min_length=8, max_length=512)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1"`` -> ``(1, 3, 6, 1)``."""
    return tuple(int(part) for part in text.split("."))


def _compiled(pattern: str | None, groups: int) -> str | None:
    if pattern is None:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
    if compiled.groups != groups:
        raise ValueError(f"regular expression {pattern!r} needs exactly {groups} group(s)")
    return pattern


class ProfileMatch(_Strict):
    """Which printers a profile is for: every given criterion must hold."""

    sys_object_id_prefixes: list[_OidText] = Field(default_factory=list)
    sys_descr_regex: str | None = None

    @field_validator("sys_descr_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return None if value is None else _checked_any(value)

    @model_validator(mode="after")
    def _some_criterion(self) -> ProfileMatch:
        if not self.sys_object_id_prefixes and self.sys_descr_regex is None:
            raise ValueError("a match needs sys_object_id_prefixes or sys_descr_regex")
        return self

    def prefix_length(self, sys_object_id: str | None, sys_descr: str | None) -> int | None:
        """Length of the matching prefix (0 for a sysDescr-only match); None: no match."""
        length = 0
        if self.sys_object_id_prefixes:
            if sys_object_id is None:
                return None
            oid = sys_object_id.split(".")
            matching = [
                len(parts)
                for parts in (prefix.split(".") for prefix in self.sys_object_id_prefixes)
                if oid[: len(parts)] == parts
            ]
            if not matching:
                return None
            length = max(matching)
        if self.sys_descr_regex is not None and not re.search(
            self.sys_descr_regex, sys_descr or ""
        ):
            return None
        return length


def _checked_any(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
    return pattern


class _Mapping(_Strict):
    """What every mapping has: the instance OID it reads and where that mapping comes from."""

    oid: _OidText
    source: _Source


class SerialMapping(_Mapping):
    """An object holding the serial number; ``regex`` (one group) extracts it from the text."""

    regex: str | None = None

    @field_validator("regex")
    @classmethod
    def _one_group(cls, value: str | None) -> str | None:
        return _compiled(value, 1)


class CounterMapping(_Mapping):
    """One scalar object (an instance OID, read with GET) that is a named counter."""

    name: CounterName
    unit: CounterUnit


class VendorProfile(_Strict):
    """One vendor's private-MIB mapping (one YAML file)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]
    vendor: Annotated[str, Field(min_length=1, max_length=64)]
    match: ProfileMatch
    serial: list[SerialMapping] = Field(default_factory=list)
    counters: list[CounterMapping] = Field(default_factory=list)

    @field_validator("counters")
    @classmethod
    def _distinct(cls, value: list[CounterMapping]) -> list[CounterMapping]:
        names = [counter.name for counter in value]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"counter names mapped twice: {doubled}")
        return value

    @property
    def oids(self) -> tuple[Oid, ...]:
        """Every instance OID this profile reads, in order, without repeats."""
        texts = [m.oid for m in self.serial] + [m.oid for m in self.counters]
        return tuple(parse_oid(text) for text in dict.fromkeys(texts))


def load_profiles(paths: Iterable[Path]) -> tuple[VendorProfile, ...]:
    """Parse profile files strictly; any mistake raises :class:`ConfigError` naming the file."""
    profiles = []
    for path in sorted(paths):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            profiles.append(VendorProfile.model_validate(data))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"vendor profile {path}: {exc}") from exc
        except ValidationError as exc:
            raise ConfigError(f"vendor profile {path} is invalid: {exc}") from exc
    names = [profile.name for profile in profiles]
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise ConfigError(f"vendor profile names used twice: {doubled}")
    return tuple(profiles)


@functools.cache
def packaged_profiles() -> tuple[VendorProfile, ...]:
    """The profiles shipped in ``remotecare/agent/profiles`` (loaded once)."""
    return load_profiles(PROFILES_DIR.glob("*.yaml"))


def select_profile(
    profiles: Sequence[VendorProfile], sys_object_id: str | None, sys_descr: str | None
) -> VendorProfile | None:
    """The profile with the longest matching sysObjectID prefix; the first one on a tie."""
    best: VendorProfile | None = None
    best_length = -1
    for profile in profiles:
        length = profile.match.prefix_length(sys_object_id, sys_descr)
        if length is not None and length > best_length:
            best, best_length = profile, length
    return best


def vendor_counters(profile: VendorProfile, values: Mapping[Oid, SnmpValue]) -> list[Counter]:
    """The profile's counters the printer answered with a non-negative integer.

    A missing object, a string, or a negative number gives no counter: never a guess.
    """
    counters = []
    for mapping in profile.counters:
        value = values.get(parse_oid(mapping.oid))
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            counters.append(Counter(name=mapping.name, value=value, unit=mapping.unit))
    return counters


def vendor_serial(profile: VendorProfile, values: Mapping[Oid, SnmpValue]) -> str | None:
    """The first serial number of the profile the printer answered (printable, non-empty)."""
    for mapping in profile.serial:
        text = _text(values.get(parse_oid(mapping.oid)))
        if text is None:
            continue
        if mapping.regex is not None:
            found = re.search(mapping.regex, text)
            text = found.group(1).strip() if found else None
        if text and text.isprintable():
            return text[:_SERIAL_LIMIT]
    return None


def _text(value: SnmpValue | None) -> str | None:
    if not isinstance(value, bytes | str):
        return None
    raw = value.encode() if isinstance(value, str) else value
    raw = raw.split(b"\x00", 1)[0] if raw[:1] != b"\x00" else raw.lstrip(b"\x00")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.strip() or None
