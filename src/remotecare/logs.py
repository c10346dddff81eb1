"""Logging for both programs: plain text or one JSON object per line, secrets scrubbed.

Code never logs keys, tokens or SNMP communities in the first place (STYLE.md, 8); the
filter here is the second line of defence for what a library or a careless message might
carry: PEM private keys, ``snmp://community@`` URLs, bearer tokens and ``token=`` pairs.

Usage::

    configure_logging(verbose=False, log_format="json")
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["LOG_FORMATS", "JsonFormatter", "SecretsFilter", "configure_logging", "scrub"]

LOG_FORMATS = ("text", "json")

_PEM_KEY = r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
_SECRETS = [
    (re.compile(_PEM_KEY, re.S), "[private key removed]"),
    (re.compile(r"(snmp(?:\+v1)?://)[^@/\s]*@", re.I), r"\1***@"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    (re.compile(r"(?i)\b(token|password|community|secret)(\s*[=:]\s*)[^\s,;&\"']+"), r"\1\2***"),
]

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def scrub(text: str) -> str:
    """``text`` without anything that looks like a private key, a community or a token."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class SecretsFilter(logging.Filter):
    """Rewrite every record's message (arguments merged) with secrets removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(*, verbose: bool, log_format: Literal["text", "json"] | str) -> None:
    """Log to stderr at INFO (DEBUG when verbose), as text or JSON lines, secrets scrubbed."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SecretsFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
