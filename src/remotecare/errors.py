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
├── HttpError                   the agent's HTTP client got no whole answer (agent/http11.py)
│   ├── ConnectFailed           the origin's address could not be reached
│   ├── TlsFailed               the TLS handshake failed
│   ├── ProxyUnreachable        the proxy's address could not be reached
│   ├── ProxyRefused            the proxy would not open the tunnel
│   └── BadResponse             the answer is not HTTP/1.x, or was cut short
│       ├── BodyTooLarge        its body is larger than allowed
│       └── NothingReceived     the connection ended before the answer began
├── CommandError                a command from the center cannot be carried out as asked
└── OperatorError               an operator's request cannot be carried out as asked
    └── OperatorConflict        it conflicts with the state of what it names (an order shipped)
    (and the center's own subtrees: fleet.bundles.BundleError, fleet.printers.AlreadyConfirmed,
    fleet.rules.commands.CommandArgumentError, kernel.schema.SchemaNotCurrent)

The center answers each with the HTTP status of one table, ``center/web/errors.py``.
"""

from __future__ import annotations

import ssl

__all__ = [
    "BadResponse",
    "BodyTooLarge",
    "CommandError",
    "ConfigError",
    "ConnectFailed",
    "CsrRejected",
    "EnrolmentError",
    "EnrolmentRejected",
    "HttpError",
    "InvalidMessage",
    "NotJson",
    "NothingReceived",
    "OperatorConflict",
    "OperatorError",
    "OutboxError",
    "PayloadTooLarge",
    "PkiError",
    "ProbeError",
    "ProbeTimeout",
    "ProtocolError",
    "ProxyRefused",
    "ProxyUnreachable",
    "RemoteCareError",
    "RenewalConflict",
    "ReportRejected",
    "RetryLater",
    "SnmpAuthError",
    "TlsFailed",
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


class HttpError(RemoteCareError):
    """An HTTP exchange of the agent's own client failed before a whole answer arrived
    (``agent/http11.py``; its callers say what it means: an uplink or a probe error)."""


class ConnectFailed(HttpError):
    """The origin's address could not be reached."""

    def __init__(self, message: str, os_error: OSError) -> None:
        super().__init__(message)
        self.os_error = os_error


class TlsFailed(HttpError):
    """The TLS handshake failed (an untrusted certificate, a refused client certificate)."""

    def __init__(self, message: str, ssl_error: ssl.SSLError) -> None:
        super().__init__(message)
        self.ssl_error = ssl_error


class ProxyUnreachable(HttpError):
    """The proxy's address could not be reached."""


class ProxyRefused(HttpError):
    """The proxy would not open the tunnel (407: credentials, 403: not allowed, ...)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}".strip())
        self.status = status
        self.reason = reason


class BadResponse(HttpError):
    """The answer is not HTTP/1.x, or was cut short."""


class BodyTooLarge(BadResponse):
    """The answer's body is larger than the client allows."""


class NothingReceived(BadResponse):
    """The connection ended before the first byte of an answer (a kept-alive connection
    the server closed: the request is sent again on a new one)."""
