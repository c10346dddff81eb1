"""Pseudonymize personal data at the site, before a report is queued (terms, article 5(2)).

Printers repeat what people type into them: e-mail addresses in alert texts, user and
host names of print jobs, UNC paths of scan destinations, a contact person. Every free
text field of a report goes through :meth:`Pseudonymizer.text`, which replaces each such
piece by ``pseud:`` and 16 hex digits of HMAC-SHA256 under the site's own key. The same
input always gives the same pseudonym, so the center can still tell "the same user
again" without ever learning who it is; the key never leaves the site.

Usage::

    privacy = Pseudonymizer(load_or_create_key(paths.privacy_key))
    privacy.text("Scan to \\\\FS01\\scans failed for anna@example.com")
    # 'Scan to pseud:… failed for pseud:…'
    safe = privacy.report(report)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Final

from remotecare.errors import ConfigError
from remotecare.protocol.messages import Alert, Cover, PrinterReading, Report, Supply, Tray

__all__ = [
    "KEY_BYTES",
    "PSEUDONYM_PREFIX",
    "Pseudonymizer",
    "create_key_file",
    "install_key",
    "load_or_create_key",
]

KEY_BYTES: Final = 32
PSEUDONYM_PREFIX: Final = "pseud:"
_DIGEST_HEX: Final = 16  # 64 bits: collisions are irrelevant at the scale of one site
_TEXT_LIMIT: Final = 256  # max_length of every free-text field of the wire contract

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# \\host\share\path (UNC); the whole path goes, since folder names are often user names.
_UNC = re.compile(r"\\\\[^\s\\/]+(?:\\[^\s\\]*)*")
# "user: anna", "User=anna.berg", "owner: DOMAIN\anna", "printed by anna" ... A label
# needs ":" or "=" ("User intervention required" is a printer's text, not a user), except
# the unambiguous "<verb> by NAME".
_USER = re.compile(
    r"(?P<label>(?:\b(?:user(?:\s*name)?|username|user\s*id|owner|job\s+owner|account|login|"
    r"sender|author|e-?mail)\s*[:=]\s*)|(?:\b(?:requested|submitted|printed|sent|scanned)"
    r"\s+by\s+))(?P<name>[^\s,;:()\[\]\"']+)",
    re.IGNORECASE,
)
# "host: PC-ANNA", "computer=PC-ANNA", "client: 10.0.0.5" stays (IP), names go.
_HOST_LABEL = re.compile(
    r"(?P<label>\b(?:host(?:\s*name)?|computer(?:\s*name)?|workstation|client|pc|"
    r"machine\s*name)\s*[:=]\s*)(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)",
    re.IGNORECASE,
)
# Fully qualified names: at least three labels, each with a letter, ending in a TLD.
_FQDN = re.compile(
    r"(?<![\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){2,}[A-Za-z]{2,24}(?![\w-])"
)
_PSEUDONYM = re.compile(re.escape(PSEUDONYM_PREFIX) + f"[0-9a-f]{{{_DIGEST_HEX}}}")


class Pseudonymizer:
    """Replace personal data with keyed pseudonyms; pure apart from holding the key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"a pseudonymization key has at least {KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymizer(key=***)"

    def pseudonym(self, value: str) -> str:
        """The pseudonym of ``value``: ``pseud:`` and 16 hex digits, the same every time."""
        if _PSEUDONYM.fullmatch(value):
            return value
        normalized = value.strip().lower().encode()
        digest = hmac.new(self._key, normalized, hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:_DIGEST_HEX]

    def text(self, value: str) -> str:
        """Pseudonymize e-mail addresses, UNC paths, user and host names in free text."""
        out = _UNC.sub(lambda m: self.pseudonym(m.group(0)), value)
        out = _EMAIL.sub(lambda m: self.pseudonym(m.group(0)), out)
        out = _USER.sub(self._labelled, out)
        out = _HOST_LABEL.sub(self._labelled, out)
        out = _FQDN.sub(self._fqdn, out)
        return out

    def address(self, printer_address: str) -> str:
        """A printer address with a DNS name pseudonymized; IP literals stay (LAN routing)."""
        scheme, sep, rest = printer_address.partition("://")
        if not sep:
            return self.text(printer_address)
        host, port = _split_host_port(rest)
        if not _is_ip(host):
            host = self.pseudonym(host)
        return _clip(f"{scheme}://{host}{port}")

    def reading(self, reading: PrinterReading) -> PrinterReading:
        """The reading with every free-text field passed through :meth:`text`."""

        def t(value: str) -> str:
            return _clip(self.text(value))

        return reading.model_copy(
            update={
                "model": t(reading.model),
                "supplies": [_update(s, t, "description") for s in reading.supplies],
                "trays": [_update(tr, t, "name", "media") for tr in reading.trays],
                "alerts": [_update(a, t, "description") for a in reading.alerts],
                "partial_reason": _maybe(reading.partial_reason, t),
                "covers": [_update(c, t, "description") for c in reading.covers],
                "display_text": [t(line) for line in reading.display_text],
            }
        )

    def report(self, report: Report) -> Report:
        """The report as it may leave the site."""
        return report.model_copy(
            update={
                "printer_address": self.address(report.printer_address),
                "reading": None if report.reading is None else self.reading(report.reading),
                "unreachable_reason": _maybe(
                    report.unreachable_reason, lambda v: _clip(self.text(v))
                ),
            }
        )

    def _labelled(self, match: re.Match[str]) -> str:
        name = match.group("name")
        if _PSEUDONYM.fullmatch(name) or _is_ip(name):
            return match.group(0)
        return match.group("label") + self.pseudonym(name)

    def _fqdn(self, match: re.Match[str]) -> str:
        name = match.group(0)
        labels = name.split(".")
        if not all(any(c.isalpha() for c in label) for label in labels):
            return name  # "V4.10.IT"-like version strings are not host names
        return self.pseudonym(name)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _split_host_port(rest: str) -> tuple[str, str]:
    if rest.startswith("["):
        end = rest.find("]")
        return rest[: end + 1], rest[end + 1 :]
    host, colon, port = rest.partition(":")
    return host, f"{colon}{port}"


def _clip(text: str) -> str:
    # Pseudonyms can be longer than what they replace; every free-text field holds 256.
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"


def _maybe(value: str | None, f: Callable[[str], str]) -> str | None:
    return None if value is None else f(value)


def _update(
    item: Supply | Tray | Alert | Cover, f: Callable[[str], str], *fields: str
) -> Supply | Tray | Alert | Cover:
    changes = {name: _maybe(getattr(item, name), f) for name in fields}
    return item.model_copy(update=changes)


def load_or_create_key(path: Path) -> bytes:
    """Read the site's pseudonymization key, making a random one (mode 0600) if absent."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(KEY_BYTES)
        _write_key(path, key)
        return key
    if len(key) < KEY_BYTES:
        raise ConfigError(f"{path} is damaged: a pseudonymization key has {KEY_BYTES} bytes")
    return key


def create_key_file(path: Path) -> None:
    """Write a new random key to ``path`` (0600): one customer's key for all its agents."""
    try:
        _write_key(path, secrets.token_bytes(KEY_BYTES))
    except FileExistsError as exc:
        raise ConfigError(f"{path} exists; refusing to overwrite a pseudonymization key") from exc


def install_key(source: Path, path: Path) -> None:
    """Use the customer's key from ``source`` at this site, so that every agent of one
    customer turns the same name into the same pseudonym."""
    try:
        key = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the pseudonymization key {source}: {exc}") from exc
    if len(key) < KEY_BYTES:
        raise ConfigError(f"{source} is not a pseudonymization key ({KEY_BYTES} bytes)")
    if path.exists():
        if path.read_bytes() != key:
            raise ConfigError(f"{path} already holds another pseudonymization key")
        return
    _write_key(path, key)


def _write_key(path: Path, key: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
