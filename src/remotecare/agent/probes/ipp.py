"""Ask one printer for its attributes over IPP (RFC 8011 Get-Printer-Attributes).

Usage::

    target = parse_ipp_url("ipp://192.0.2.10:631/ipp/print")
    attributes = await get_printer_attributes(target, timeout_s=5.0)

One HTTP POST per call, inside one explicit time budget that covers connecting, sending,
the answer's headers and its body. Every failure of the transport (refused, reset, TLS,
timeout) and every answer that is not a successful IPP response becomes
:class:`ProbeError` or :class:`ProbeTimeout` here, once. The body is read up to
:data:`MAX_RESPONSE_BYTES`; the decoding itself is :mod:`.ipp_codec`.

``ipps://`` encrypts the exchange but does not authenticate the printer: printers present
self-signed certificates, and the agent sends them nothing secret (no credentials are
accepted in IPP URLs). Proxies from the environment are ignored: printers are on the LAN.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from remotecare.agent.http11 import (
    BodyTooLarge,
    ConnectFailed,
    HttpClient,
    HttpError,
    Response,
    TlsFailed,
)
from remotecare.agent.probes.ipp_codec import (
    IppAttributes,
    decode_response,
    encode_get_printer_attributes,
)
from remotecare.errors import ConfigError, ProbeError, ProbeTimeout

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_PORT",
    "IPP_SCHEMES",
    "MAX_RESPONSE_BYTES",
    "REQUESTED_ATTRIBUTES",
    "IppTarget",
    "get_printer_attributes",
    "parse_ipp_url",
]

DEFAULT_PORT: Final = 631
DEFAULT_PATH: Final = "/ipp/print"
IPP_SCHEMES: Final = frozenset({"ipp", "ipps"})
MAX_RESPONSE_BYTES: Final = 1024 * 1024  # what is asked for fits in a few kilobytes
_CONTENT_TYPE: Final = "application/ipp"
_HTTP_OK: Final = 200
_HTTP_UPGRADE_REQUIRED: Final = 426
_MAX_PORT: Final = 65535
_URL_FORM: Final = "ipp://HOST[:PORT][/PATH] or ipps://..."
_HOSTNAME: Final = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$")
_IPV6: Final = 6

# Only what the reading needs (terms, article 5(1)): no printer-name, -location, -info,
# -organization or -contact, which are what the customer registered on the device.
REQUESTED_ATTRIBUTES: Final = (
    "printer-make-and-model",
    "printer-device-id",
    "printer-uuid",
    "printer-state",
    "printer-state-reasons",
    "printer-supply",
    "printer-supply-description",
    "marker-names",
    "marker-levels",
    "marker-types",
    "marker-colors",
    "marker-high-levels",
    "marker-low-levels",
    "printer-input-tray",
    "printer-alert",
    "printer-alert-description",
    "printer-impressions-completed",
    "printer-impressions-completed-col",
    "printer-media-sheets-completed",
    "printer-pages-completed",
)


@dataclass(frozen=True, slots=True)
class IppTarget:
    """One printer's IPP service.

    Usage::

        IppTarget("192.0.2.10")                              # ipp://192.0.2.10:631/ipp/print
        IppTarget("::1", 8631, "/ipp/print", tls=True)       # ipps://[::1]:8631/ipp/print
    """

    host: str
    port: int = DEFAULT_PORT
    path: str = DEFAULT_PATH
    tls: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.port <= _MAX_PORT:
            raise ConfigError(f"IPP port {self.port} of {self.host} is out of range")
        if not self.path.startswith("/"):
            raise ConfigError(f"IPP path {self.path!r} of {self.host} must start with /")

    @property
    def address(self) -> str:
        """``HOST:PORT`` for messages, with IPv6 hosts in brackets."""
        return f"{self._bracketed_host}:{self.port}"

    @property
    def printer_uri(self) -> str:
        """The ``printer-uri`` operation attribute, which is also the public address."""
        scheme = "ipps" if self.tls else "ipp"
        return f"{scheme}://{self.address}{self.path}"

    @property
    def http_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.address}{self.path}"

    @property
    def _bracketed_host(self) -> str:
        return f"[{self.host}]" if _is_ipv6(self.host) else self.host


def parse_ipp_url(url: str) -> IppTarget:
    """Parse ``ipp://HOST[:PORT][/PATH]`` or ``ipps://...`` into a target.

    The port defaults to 631 and the path to ``/ipp/print``. User information (a password)
    is refused so that no secret can end up in the configuration's public address; a
    query or fragment is refused too. Anything else wrong raises :class:`ConfigError`.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"printer address {url!r} is not a valid URL: {_URL_FORM}") from None
    scheme = parts.scheme.lower()
    if scheme not in IPP_SCHEMES:
        raise ConfigError(f"printer address {url!r} must use {_URL_FORM}")
    if "@" in parts.netloc:
        raise ConfigError(
            f"printer address {parts.scheme}://***@{parts.netloc.rpartition('@')[2]} must "
            "not carry user information: the agent sends printers no credentials"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"printer address {url!r} must not have a query or fragment")
    if port == 0:
        raise ConfigError(f"printer address {url!r} has port 0")
    return IppTarget(
        host=_checked_host(parts.hostname, url),
        port=port or DEFAULT_PORT,
        path=parts.path or DEFAULT_PATH,
        tls=scheme == "ipps",
    )


def _checked_host(host: str | None, url: str) -> str:
    if not host:
        raise ConfigError(f"printer address {url!r} has no host: {_URL_FORM}")
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))
    if ":" in host or not _HOSTNAME.match(host):
        raise ConfigError(f"printer address {url!r} has an invalid host")
    return host


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == _IPV6
    except ValueError:
        return False


def _tls_context() -> ssl.SSLContext:
    """Encrypt without authenticating the printer (self-signed certificates are the norm)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def get_printer_attributes(
    target: IppTarget,
    *,
    timeout_s: float,
    requested: Sequence[str] = REQUESTED_ATTRIBUTES,
) -> IppAttributes:
    """Return the printer's attributes (the printer group of the answer).

    ``timeout_s`` bounds the whole exchange, on a connection of its own.
    """
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    body = encode_get_printer_attributes(target.printer_uri, requested)
    headers = {"Content-Type": _CONTENT_TYPE, "Accept": _CONTENT_TYPE}
    try:
        async with HttpClient(
            tls=_tls_context() if target.tls else None,
            timeout_s=timeout_s,
            max_body_bytes=MAX_RESPONSE_BYTES,
            keep_alive=False,
        ) as http:
            answer = await http.request("POST", target.http_url, body=body, headers=headers)
    except TimeoutError:
        raise ProbeTimeout(f"no IPP answer from {target.address} within {timeout_s:g} s") from None
    except BodyTooLarge as exc:
        raise ProbeError(
            f"printer at {target.address} sent more than {MAX_RESPONSE_BYTES} bytes"
        ) from exc
    except HttpError as exc:
        raise ProbeError(f"IPP request to {target.address} failed: {_reason(exc)}") from exc
    except OSError as exc:
        raise ProbeError(f"IPP request to {target.address} failed: {exc}") from exc
    response = decode_response(_ipp_body(answer, target))
    if not response.successful:
        message = _status_message(response.operation)
        raise ProbeError(
            f"printer at {target.address} refused Get-Printer-Attributes: "
            f"{response.status_name}{message}"
        )
    return response.printer


def _ipp_body(answer: Response, target: IppTarget) -> bytes:
    if answer.status == _HTTP_UPGRADE_REQUIRED:
        raise ProbeError(f"printer at {target.address} requires TLS: use ipps://")
    if answer.status != _HTTP_OK:
        status = " ".join(filter(None, (str(answer.status), answer.reason)))
        raise ProbeError(
            f"{target.http_url} answered HTTP {status}: no IPP printer at this address and path?"
        )
    content_type = answer.content_type
    if content_type is not None and content_type != _CONTENT_TYPE:
        raise ProbeError(
            f"{target.http_url} answered {content_type}, not {_CONTENT_TYPE}: "
            "it is not an IPP printer"
        )
    return answer.body


def _reason(exc: HttpError) -> str:
    """A short reason: the OS error of a failed connection, else the client's message."""
    if isinstance(exc, TlsFailed):
        return f"TLS handshake failed ({exc.ssl_error})"
    if isinstance(exc, ConnectFailed):
        if exc.os_error.errno == errno.ECONNREFUSED:
            return "connection refused (nothing listens there)"
        return f"cannot connect ({exc.os_error.strerror or exc.os_error})"
    return str(exc) or type(exc).__name__


def _status_message(operation: IppAttributes) -> str:
    values = operation.get("status-message", ())
    text = next((value for value in values if isinstance(value, str)), None)
    return f" ({text[:200]})" if text else ""
