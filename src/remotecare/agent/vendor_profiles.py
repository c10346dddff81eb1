"""Vendor counters and serial numbers as data: YAML profiles for private MIBs.

A profile (``agent/profiles/<vendor>.yaml``) says which printers it is for (sysObjectID
enterprise prefixes and/or a sysDescr regular expression) and maps private-MIB objects
onto *our* names: counters (``print_mono``, ``copy_colour``, ``scan`` ...) with their
unit, and a vendor serial number used as the identity when the printer has no
prtGeneralSerialNumber.

A counter is either one scalar instance (``oid:``, read with GET) or one cell of a table
row found by a type column (read by walking two columns), for tables whose row numbers
differ between models::

    - name: print_mono
      table: 1.3.6.1.4.1.367.3.2.1.2.19.5.1   # the table's entry OID
      match_column: 2                         # the row whose column 2 ...
      match_value: 401                        # ... equals 401
      value_column: 9                         # gives the counter in its column 9
      unit: impressions
      source: "..."

A table without any row gives no counter and no note (the printer lacks the table); a
table present without the row, or with that row twice, gives no counter and a problem
(:func:`counter_problems`) that the reader names in ``partial_reason``.

Profiles are parsed strictly (unknown keys, unknown counter names or units, bad OIDs,
a counter with both forms or neither, column numbers out of range and bad regular
expressions fail at load time), like the snmp_exporter's ``snmp.yml``: the runtime
never parses a MIB.

Pure functions apart from :func:`load_profiles`, which reads the files::

    profiles = load_profiles()                                   # the packaged ones
    profile = select_profile(profiles, sys_object_id, sys_descr)  # or None
    oids = profile.oids                                          # what to GET
    columns = profile.table_columns                              # what to walk
    counters = vendor_counters(profile, values)                  # after the GET and walks
    problems = counter_problems(profile, values)                 # {counter name: why none}
    serial = vendor_serial(profile, values)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Final, NamedTuple, TypeGuard

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from remotecare.agent.octets import decode_text
from remotecare.errors import ConfigError
from remotecare.protocol.messages import Counter
from remotecare.protocol.vocabulary import SERIAL_MAX_CHARS, CounterName, CounterUnit

__all__ = [
    "COUNTER_NAMES",
    "COUNTER_UNITS",
    "MAX_TABLE_ROWS",
    "PROFILES_DIR",
    "CounterMapping",
    "ProfileMatch",
    "RowLookup",
    "SerialMapping",
    "VendorProfile",
    "counter_problems",
    "find_row",
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
COUNTER_NAMES: Final = frozenset(
    {
        CounterName.TOTAL,
        CounterName.MONO,
        CounterName.COLOUR,
        CounterName.PRINT,
        CounterName.PRINT_MONO,
        CounterName.PRINT_COLOUR,
        CounterName.COPY,
        CounterName.COPY_MONO,
        CounterName.COPY_COLOUR,
        CounterName.SCAN,
        CounterName.FAX,
        CounterName.LARGE_FORMAT,
        CounterName.LARGE_MONO,
        CounterName.LARGE_COLOUR,
    }
)  # the counters a profile may map
COUNTER_UNITS: Final = frozenset({CounterUnit.IMPRESSIONS, CounterUnit.SHEETS, CounterUnit.IMAGES})
MAX_TABLE_ROWS: Final = 500  # rows walked per column of a counter table; more is refused
_MAX_SUB_ID: Final = 2**32 - 1  # an OID sub-identifier (RFC 2578 section 3.5)
_INTEGER32: Final = 2**31  # a type column is an INTEGER (Integer32)
_OID_PATTERN: Final = r"^1(\.[0-9]+)+$"

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


class _Sourced(_Strict):
    """What every mapping has: where it comes from."""

    source: _Source


class _Mapping(_Sourced):
    """A mapping of one instance OID, read with GET."""

    oid: _OidText


class SerialMapping(_Mapping):
    """An object holding the serial number; ``regex`` (one group) extracts it from the text."""

    regex: str | None = None

    @field_validator("regex")
    @classmethod
    def _one_group(cls, value: str | None) -> str | None:
        return _compiled(value, 1)


_Column = Annotated[int, Field(ge=1, le=_MAX_SUB_ID, strict=True)]
_TypeValue = Annotated[int, Field(ge=-_INTEGER32, lt=_INTEGER32, strict=True)]


class CounterMapping(_Sourced):
    """A named counter: one scalar instance (``oid``, read with GET), or the cell in
    ``value_column`` of the one row of ``table`` whose ``match_column`` is ``match_value``.
    """

    name: CounterName
    unit: CounterUnit
    oid: _OidText | None = None
    table: _OidText | None = None
    match_column: _Column | None = None
    match_value: _TypeValue | None = None
    value_column: _Column | None = None

    @field_validator("name", "unit")
    @classmethod
    def _mappable(
        cls, value: CounterName | CounterUnit, info: ValidationInfo
    ) -> CounterName | CounterUnit:
        allowed = COUNTER_NAMES if info.field_name == "name" else COUNTER_UNITS
        if value not in allowed:
            raise ValueError(f"a profile cannot map the counter {info.field_name} {value.value!r}")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> CounterMapping:
        row = (self.match_column, self.match_value, self.value_column)
        if self.oid is not None:
            if self.table is not None or any(part is not None for part in row):
                raise ValueError(
                    f"counter {self.name}: give either oid or table, match_column, "
                    "match_value and value_column, not both"
                )
        elif self.table is None or any(part is None for part in row):
            raise ValueError(
                f"counter {self.name}: needs oid, or all of table, match_column, "
                "match_value and value_column"
            )
        elif self.match_column == self.value_column:
            raise ValueError(f"counter {self.name}: match_column and value_column are equal")
        return self

    @property
    def columns(self) -> tuple[Oid, Oid] | None:
        """The match and value column OIDs of a table counter; None for a scalar one."""
        if self.table is None or self.match_column is None or self.value_column is None:
            return None
        entry = parse_oid(self.table)
        return (*entry, self.match_column), (*entry, self.value_column)


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
        texts = [m.oid for m in self.serial] + [m.oid for m in self.counters if m.oid]
        return tuple(parse_oid(text) for text in dict.fromkeys(texts))

    @property
    def table_columns(self) -> tuple[Oid, ...]:
        """Every table column the table counters need walked, in order, without repeats."""
        columns = [column for m in self.counters for column in (m.columns or ())]
        return tuple(dict.fromkeys(columns))


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
        if mapping.oid is not None:
            value = values.get(parse_oid(mapping.oid))
        else:
            value = find_row(mapping, values).value
        if _is_count(value):
            counters.append(Counter(name=mapping.name, value=value, unit=mapping.unit))
    return counters


def counter_problems(profile: VendorProfile, values: Mapping[Oid, SnmpValue]) -> dict[str, str]:
    """Why a table counter of a present table gave nothing: ``{counter name: reason}``.

    A table with no row at all is no problem (the printer does not have it), nor is a
    table without the wanted row (a black-and-white machine counts no colour), nor a
    missing scalar object; a row found twice, or whose cell is missing or not a
    non-negative integer, is one.
    """
    problems: dict[str, str] = {}
    for mapping in profile.counters:
        if mapping.oid is not None:
            continue
        found = find_row(mapping, values)
        if found.problem is not None:
            problems[mapping.name] = found.problem
        elif found.value is not None and not _is_count(found.value):
            problems[mapping.name] = f"row {found.row} is not a counter: {found.value!r:.40}"
    return problems


class RowLookup(NamedTuple):
    """The cell :func:`find_row` found (or None), its row index, and why none if it matters."""

    value: SnmpValue | None
    row: str | None = None
    problem: str | None = None


def find_row(mapping: CounterMapping, values: Mapping[Oid, SnmpValue]) -> RowLookup:
    """The value cell of the one row whose match column equals ``mapping.match_value``.

    Rows are read from walked ``values`` (instance OIDs ``<entry>.<column>.<row index>``,
    the index of any length). No match-column row at all, or none with the wanted value:
    the printer does not count this, no problem. Several matching rows, or a matching row
    without its value cell: a problem and no value, never a guess.
    """
    columns = mapping.columns
    if columns is None:
        return RowLookup(None)
    match_column, value_column = columns
    size = len(match_column)
    rows = [oid[size:] for oid in values if oid[:size] == match_column and len(oid) > size]
    if not rows:
        return RowLookup(None)
    wanted = f"column {mapping.match_column} = {mapping.match_value}"
    matching = [index for index in rows if _equals(values[match_column + index], mapping)]
    if not matching:
        return RowLookup(None)
    if len(matching) > 1:
        shown = ", ".join(_dotted(index) for index in sorted(matching)[:4])
        return RowLookup(None, problem=f"{len(matching)} rows with {wanted} ({shown})")
    [index] = matching
    value = values.get(value_column + index)
    if value is None:
        return RowLookup(
            None,
            _dotted(index),
            f"row {_dotted(index)} has no column {mapping.value_column}",
        )
    return RowLookup(value, _dotted(index))


def _equals(value: SnmpValue, mapping: CounterMapping) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == mapping.match_value


def _is_count(value: SnmpValue | None) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _dotted(index: Oid) -> str:
    return ".".join(str(part) for part in index)


def vendor_serial(profile: VendorProfile, values: Mapping[Oid, SnmpValue]) -> str | None:
    """The first serial number of the profile the printer answered (printable, non-empty)."""
    for mapping in profile.serial:
        text = decode_text(values.get(parse_oid(mapping.oid)))
        if text is None:
            continue
        if mapping.regex is not None:
            found = re.search(mapping.regex, text)
            text = found.group(1).strip() if found else None
        if text and text.isprintable():
            return text[:SERIAL_MAX_CHARS]
    return None
