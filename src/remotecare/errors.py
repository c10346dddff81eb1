"""The exceptions Remote Care raises, rooted at one class.

    RemoteCareError
    ├── ConfigError                 a setting or file is missing or wrong
    ├── ProtocolError               a message does not match the wire contract
    │   └── PayloadTooLarge         a body, or what it inflates to, is over the limit
    ├── PkiError                    a key, CSR or certificate could not be used
    ├── ProbeError                  a printer could not be read
    │   └── ProbeTimeout            the printer did not answer in time
    ├── UplinkError                 the agent could not talk to the center
    │   ├── EnrollmentRejected      the center refused the enrolment (token, CSR)
    │   └── ReportRejected          the center refused a report for good (4xx)
    └── EnrollmentError             the center refused an enrolment request
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "EnrollmentError",
    "EnrollmentRejected",
    "PayloadTooLarge",
    "PkiError",
    "ProbeError",
    "ProbeTimeout",
    "ProtocolError",
    "RemoteCareError",
    "ReportRejected",
    "UplinkError",
]


class RemoteCareError(Exception):
    """Root of every error Remote Care raises on purpose."""


class ConfigError(RemoteCareError):
    """A setting or file is missing or wrong."""


class ProtocolError(RemoteCareError):
    """A message does not match the wire contract."""


class PayloadTooLarge(ProtocolError):
    """A body, or what it inflates to, is over the limit."""


class PkiError(RemoteCareError):
    """A key, CSR or certificate could not be used."""


class ProbeError(RemoteCareError):
    """A printer could not be read."""


class ProbeTimeout(ProbeError):
    """The printer did not answer in time."""


class UplinkError(RemoteCareError):
    """The agent could not talk to the center."""


class EnrollmentRejected(UplinkError):
    """The center refused the enrolment (token or CSR)."""


class ReportRejected(UplinkError):
    """The center refused a report for good (a 4xx answer other than 429)."""


class EnrollmentError(RemoteCareError):
    """The center refuses an enrolment request; ``reason`` is safe to show the caller."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
