"""The exceptions Remote Care raises, rooted at one class.

RemoteCareError
├── ConfigError                 a setting or file is missing or wrong
├── ProtocolError               a message does not match the wire contract
│   ├── NotJson                 a body that should be JSON is not
│   ├── InvalidMessage          valid JSON that breaks the contract (a field, a limit)
│   └── PayloadTooLarge         a body, or what it inflates to, is over the limit
├── PkiError                    a key, CSR or certificate could not be used
├── ProbeError                  a printer could not be read
│   ├── ProbeTimeout            the printer did not answer in time
│   ├── SnmpAuthError           the printer refused our SNMPv3 credentials
│   └── WireError               a datagram that is no well-formed SNMP response
├── OutboxError                 the agent's outbox cannot be written (disk full)
├── UplinkError                 the agent could not talk to the center
│   ├── EnrolmentRejected       the center refused the enrolment (token, CSR)
│   ├── ReportRejected          the center refused a report for good (4xx)
│   └── RetryLater              the center is busy (429, 503): wait, then retry
├── EnrolmentError              the center refuses an enrolment or a renewal
│   ├── CsrRejected             the CSR cannot be used
│   └── RenewalConflict         another renewal of the same endpoint won
├── CommandError                a command from the center cannot be carried out as asked
└── OperatorError               an operator's request cannot be carried out as asked
    └── OperatorConflict        it conflicts with the state of what it names (an order shipped)
    (and the center's own subtrees: fleet.bundles.BundleError, fleet.printers.AlreadyConfirmed,
    fleet.rules.commands.CommandArgumentError, kernel.schema.SchemaNotCurrent)

The center answers each with the HTTP status of one table, ``center/web/errors.py``.
"""

from __future__ import annotations

__all__ = [
    "CommandError",
    "ConfigError",
    "CsrRejected",
    "EnrolmentError",
    "EnrolmentRejected",
    "InvalidMessage",
    "NotJson",
    "OperatorConflict",
    "OperatorError",
    "OutboxError",
    "PayloadTooLarge",
    "PkiError",
    "ProbeError",
    "ProbeTimeout",
    "ProtocolError",
    "RemoteCareError",
    "RenewalConflict",
    "ReportRejected",
    "RetryLater",
    "SnmpAuthError",
    "UplinkError",
    "WireError",
]


class RemoteCareError(Exception):
    """Root of every error Remote Care raises on purpose."""


class ConfigError(RemoteCareError):
    """A setting or file is missing or wrong."""


class ProtocolError(RemoteCareError):
    """A message does not match the wire contract."""


class NotJson(ProtocolError):
    """A body that should be JSON is not."""


class InvalidMessage(ProtocolError):
    """Valid JSON that breaks the wire contract (a missing or unknown field, a limit)."""


class PayloadTooLarge(ProtocolError):
    """A body, or what it inflates to, is over the limit."""


class PkiError(RemoteCareError):
    """A key, CSR or certificate could not be used."""


class ProbeError(RemoteCareError):
    """A printer could not be read."""


class ProbeTimeout(ProbeError):
    """The printer did not answer in time."""


class WireError(ProbeError, ValueError):
    """A datagram that is not a well-formed SNMP v1/v2c response (dropped, never fatal)."""


class SnmpAuthError(ProbeError):
    """The printer refused our SNMPv3 credentials (user, key or protocol); retrying is futile."""


class OutboxError(RemoteCareError):
    """The agent's outbox cannot be written (disk full, damaged file)."""


class UplinkError(RemoteCareError):
    """The agent could not talk to the center."""


class EnrolmentRejected(UplinkError):
    """The center refused the enrolment (token or CSR)."""


class ReportRejected(UplinkError):
    """The center refused a report for good (a 4xx answer other than 429)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class RetryLater(UplinkError):
    """The center is busy (429, 503); ``retry_after_s`` is its Retry-After, if any."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class EnrolmentError(RemoteCareError):
    """The center refuses an enrolment or a renewal; the message is safe to show the caller."""


class CsrRejected(EnrolmentError):
    """The certificate signing request cannot be used (not a CSR, a wrong key type)."""


class RenewalConflict(EnrolmentError):
    """Another renewal of the same endpoint won meanwhile: try again."""


class CommandError(RemoteCareError):
    """A command from the center cannot be carried out as asked (unknown kind, bad argument)."""


class OperatorError(RemoteCareError):
    """An operator's request cannot be carried out as asked (unknown endpoint, bad argument)."""


class OperatorConflict(OperatorError):
    """The request conflicts with the state of what it names (approve a shipped order)."""
