"""Messages exchanged between agent and center (the wire contract).

Every message carries ``schema_version`` and rejects unknown fields: the report model is
an explicit allow-list (terms, article 6(4)), so a field that is not declared here can
never travel from a customer's site to the center.
"""

from __future__ import annotations

import enum
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from uuid_utils.compat import uuid7

from remotecare.protocol.vocabulary import (
    MAX_BATCH_REPORTS,
    MAX_ITEMS,
    SERIAL_MAX_CHARS,
    SHORT_TEXT_MAX_CHARS,
    TEXT_MAX_CHARS,
    ItemList,
)

__all__ = [
    "MAX_BATCH_REPORTS",
    "SCHEMA_VERSION",
    "AgentStatus",
    "Alert",
    "BundleDeclaration",
    "BundleReason",
    "BundleState",
    "Command",
    "CommandAck",
    "CommandKind",
    "CommandList",
    "CommandOutcome",
    "Counter",
    "Cover",
    "DeviceStatus",
    "DropSummary",
    "EnrolRequest",
    "EnrolResponse",
    "ErrorBody",
    "IngestResult",
    "PrinterReading",
    "RefusedReport",
    "RenewRequest",
    "RenewResponse",
    "Report",
    "ReportBatch",
    "SerialSource",
    "Supply",
    "SupplyClass",
    "SupplyState",
    "Tray",
    "new_report_id",
]

SCHEMA_VERSION: Literal[1] = 1

_Text = Annotated[str, Field(max_length=TEXT_MAX_CHARS)]
_ShortText = Annotated[str, Field(max_length=SHORT_TEXT_MAX_CHARS)]
_Serial = Annotated[str, Field(max_length=SERIAL_MAX_CHARS)]
_SysObjectId = Annotated[str, Field(max_length=TEXT_MAX_CHARS, pattern=r"^[0-9]+(\.[0-9]+)*$")]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class SupplyState(enum.StrEnum):
    """What is known about a supply's level, named instead of invented as a percentage.

    RFC 3805 reserves -1 (unlimited), -2 (unknown) and -3 (some remaining) for
    prtMarkerSuppliesLevel; those stay states and never become numbers.
    """

    OK = "ok"
    LOW = "low"
    EMPTY = "empty"
    FULL = "full"  # a receptacle (waste toner box) that must be replaced
    NEARLY_FULL = "nearly_full"
    SOME_REMAINING = "some_remaining"
    UNLIMITED = "unlimited"
    UNKNOWN = "unknown"


class SupplyClass(enum.StrEnum):
    """prtMarkerSuppliesClass: consumed (toner) or a receptacle that fills up (waste box)."""

    CONSUMED = "consumed"
    RECEPTACLE = "receptacle"
    OTHER = "other"


class SerialSource(enum.StrEnum):
    """Where the printer's identity came from, in the order the agent tries them."""

    PRINTER_MIB = "prtGeneralSerialNumber"
    VENDOR_MIB = "vendor"
    IPP = "ipp"
    MAC_ADDRESS = "ifPhysAddress"
    # None of the above: a hash of the endpoint, the printer's address and its sysObjectID
    # (remotecare.protocol.identity.weak_serial). The center holds such a printer pending
    # until an operator confirms it, and joins it to its real serial if one appears.
    WEAK = "weak:address+sysObjectID"


class Supply(_Message):
    index: int = Field(ge=0)
    description: _Text
    type: _ShortText  # PrtMarkerSuppliesTypeTC name, e.g. "toner", "wasteToner"
    supply_class: SupplyClass
    colour: _ShortText | None = None
    unit: _ShortText | None = None
    level: int | None = Field(default=None, ge=0)  # None when the printer gave a special value
    max_capacity: int | None = Field(default=None, ge=0)  # None when unknown or unlimited
    percent: float | None = Field(default=None, ge=0, le=100)  # how full the box / how much left
    state: SupplyState


class Counter(_Message):
    name: _ShortText  # "total", "mono", "colour", "copy", "print", "scan", "fax", ...
    value: int = Field(ge=0)
    unit: _ShortText  # "impressions", "sheets", "meters", ...


class DeviceStatus(_Message):
    device_status: _ShortText  # hrDeviceStatus: unknown, running, warning, testing, down
    printer_status: _ShortText | None = (
        None  # hrPrinterStatus: other, unknown, idle, printing, warmup
    )
    error_conditions: list[_ShortText] = Field(
        default_factory=list, max_length=MAX_ITEMS[ItemList.ERRORS]
    )


class Tray(_Message):
    index: int = Field(ge=0)
    name: _Text
    media: _Text | None = None
    level: int | None = None
    max_capacity: int | None = None
    state: SupplyState


class Alert(_Message):
    index: int = Field(ge=0)
    severity: _ShortText
    training_level: _ShortText | None = None
    group: _ShortText
    group_index: int | None = None
    location: int | None = None
    code: _ShortText
    description: _Text
    time_ticks: int | None = None


class Cover(_Message):
    """prtCoverTable row (RFC 3805): a door or cover and whether it is open."""

    index: int = Field(ge=0)
    description: _Text
    status: _ShortText  # open, closed, interlock_open, interlock_closed, other, unknown
    open: bool | None = None  # None when the printer says "other" or nothing


class PrinterReading(_Message):
    """What the agent read from one printer in one poll."""

    serial: Annotated[str, Field(min_length=1, max_length=SERIAL_MAX_CHARS)]
    serial_source: SerialSource
    model: _Text
    status: DeviceStatus
    counters: list[Counter] = Field(default_factory=list, max_length=MAX_ITEMS[ItemList.COUNTERS])
    supplies: list[Supply] = Field(default_factory=list, max_length=MAX_ITEMS[ItemList.SUPPLIES])
    trays: list[Tray] = Field(default_factory=list, max_length=MAX_ITEMS[ItemList.TRAYS])
    alerts: list[Alert] = Field(default_factory=list, max_length=MAX_ITEMS[ItemList.ALERTS])
    partial_reason: _Text | None = None  # set when some tables could not be read
    # Added later; optional so that readings of older agents still validate.
    covers: list[Cover] = Field(default_factory=list, max_length=MAX_ITEMS[ItemList.COVERS])
    display_text: list[_Text] = Field(
        default_factory=list, max_length=MAX_ITEMS[ItemList.DISPLAY]
    )  # console lines
    sys_object_id: _SysObjectId | None = None  # machine identity: vendor and product line


def new_report_id() -> uuid.UUID:
    """A report id for a new reading: a UUIDv7 (RFC 9562), unique and ordered by time, so
    that the center's index of every report id ever received grows at its newest end
    instead of at random places (with years of history, random ids make every insert
    touch a cold page). The center accepts any UUID."""
    return uuid7()


class Report(_Message):
    """One printer's reading, or the agent's word that the printer did not answer."""

    schema_version: Literal[1] = SCHEMA_VERSION
    report_id: uuid.UUID
    agent_time: AwareDatetime
    printer_address: _Text  # the printer as the agent's configuration names it (no secrets)
    reading: PrinterReading | None = None
    unreachable_reason: _Text | None = None


class DropSummary(_Message):
    """Reports the agent had to give up, by reason, since it was installed (cumulative)."""

    reason: _ShortText  # "outbox full", "rejected by center", "refused by center"
    count: int = Field(ge=0)
    first_agent_time: AwareDatetime | None = None  # oldest reading dropped for this reason
    last_agent_time: AwareDatetime | None = None  # newest reading dropped for this reason


class AgentStatus(_Message):
    """The agent's own health, sent with every batch so no drop goes unnoticed."""

    queued_reports: int = Field(ge=0)
    dropped: list[DropSummary] = Field(default_factory=list, max_length=MAX_ITEMS[ItemList.DROPPED])


class ReportBatch(_Message):
    schema_version: Literal[1] = SCHEMA_VERSION
    reports: list[Report] = Field(min_length=1, max_length=MAX_BATCH_REPORTS)
    agent_status: AgentStatus | None = None


class CommandKind(enum.StrEnum):
    """What the center may ask of an agent (the center never connects to a device)."""

    SET_POLL_INTERVAL = "set_poll_interval"  # arguments: {"seconds": int}
    COLLECT_DIAGNOSTICS = "collect_diagnostics"  # arguments: {"printer": serial}
    RENEW_CERTIFICATE = "renew_certificate"
    REDISCOVER = "rediscover"


class Command(_Message):
    """Work the center wants an agent to do; picked up on the agent's own check-in
    (in every device API response, and from ``GET /api/v1/commands``)."""

    command_id: uuid.UUID
    kind: CommandKind
    arguments: dict[str, str | int] = Field(default_factory=dict)
    created_at: AwareDatetime


class CommandOutcome(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"


class CommandAck(_Message):
    """The agent's answer to a command: ``POST /api/v1/commands/{command_id}/ack``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    outcome: CommandOutcome
    detail: _Text | None = None


class CommandList(_Message):
    commands: list[Command] = Field(default_factory=list)


class RenewRequest(_Message):
    """Simple re-enrol (RFC 7030 shape) over mutual TLS: a CSR for a new key made on
    the device; the caller is the endpoint named by its current certificate."""

    csr_pem: Annotated[str, Field(min_length=64, max_length=8192)]


class RenewResponse(_Message):
    certificate_pem: str
    ca_certificate_pem: str


class IngestResult(_Message):
    accepted: int
    duplicates: int
    commands: list[Command] = Field(default_factory=list)


class BundleReason(enum.StrEnum):
    """Why the agent collected a diagnostic bundle."""

    SERVICE_REQUESTED = "service_requested"  # the printer raised serviceRequested
    CENTER_REQUEST = "center_request"  # command collect_diagnostics


class BundleDeclaration(_Message):
    """``POST /api/v1/bundles``: announce a bundle before its chunks are uploaded."""

    schema_version: Literal[1] = SCHEMA_VERSION
    bundle_id: uuid.UUID
    size_bytes: int = Field(gt=0)
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    reason: BundleReason
    printer_serial: _Serial | None = None
    command_id: uuid.UUID | None = None


class BundleState(_Message):
    """The center's view of one bundle: how many bytes arrived (the resume point)."""

    bundle_id: uuid.UUID
    size_bytes: int
    received_bytes: int
    complete: bool


class EnrolRequest(_Message):
    token: Annotated[str, Field(min_length=16, max_length=128)]
    csr_pem: Annotated[str, Field(min_length=64, max_length=8192)]


class EnrolResponse(_Message):
    endpoint_id: str
    certificate_pem: str
    ca_certificate_pem: str
    device_api_url: str


class RefusedReport(_Message):
    """A report the center would not store, and why."""

    report_id: str
    reason: str


class ErrorBody(_Message):
    """Every refusal the center answers has this shape: what was wrong, in one sentence."""

    error: str
    refused: list[RefusedReport] | None = None
