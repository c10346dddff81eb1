"""The agent's settings (``agent.toml``) and its enrolled identity (``identity.json``)."""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from remotecare.errors import ConfigError
from remotecare.protocol.messages import MAX_BATCH_REPORTS

__all__ = ["AgentIdentity", "AgentPaths", "AgentSettings"]

CONFIG_FILE = "agent.toml"


@dataclass(frozen=True, slots=True)
class AgentPaths:
    home: Path

    @property
    def config(self) -> Path:
        return self.home / CONFIG_FILE

    @property
    def key(self) -> Path:
        return self.home / "agent.key"

    @property
    def certificate(self) -> Path:
        return self.home / "agent.pem"

    @property
    def ca_certificate(self) -> Path:
        return self.home / "ca.pem"

    @property
    def identity(self) -> Path:
        return self.home / "identity.json"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox.sqlite"

    @property
    def privacy_key(self) -> Path:
        """HMAC key for pseudonyms (mode 0600); never sent anywhere."""
        return self.home / "privacy.key"

    @property
    def state(self) -> Path:
        """What the center changed at run time (poll interval) and commands already done."""
        return self.home / "state.json"

    @property
    def bundles(self) -> Path:
        """Diagnostic bundles waiting to be uploaded."""
        return self.home / "bundles"


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """What the agent polls and how.

    Usage (``agent.toml``)::

        poll_interval_seconds = 300
        printers = ["snmp://public@192.0.2.10:161",
                    "snmpv3://monitor@192.0.2.11?auth=sha&priv=aes"]

        [snmpv3.monitor]             # keys of SNMPv3 user "monitor", never in the URL
        auth_key = "env:PRINTER_AUTH_KEY"   # or file:/path, or the passphrase itself
        priv_key = "file:/etc/remotecare/priv.key"
    """

    printers: tuple[str, ...] = field(default=(), repr=False)  # URLs carry communities
    snmpv3: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # user -> keys
    poll_interval_seconds: float = 300.0
    snmp_timeout_seconds: float = 2.0
    snmp_retries: int = 1
    ipp_timeout_seconds: float = 5.0  # one Get-Printer-Attributes, connect to last byte
    max_concurrent_polls: int = 32
    http_timeout_seconds: float = 30.0
    batch_size: int = 200
    # Store and forward.
    outbox_max_reports: int = 200_000
    retry_min_seconds: float = 5.0
    retry_max_seconds: float = 900.0
    # Network: an HTTP proxy (CONNECT) and extra trusted CAs for the center's server side.
    proxy_url: str = field(default="", repr=False)  # may carry user:password@
    proxy_username: str = ""
    proxy_password: str = field(default="", repr=False)
    ca_bundle: str = ""
    # Diagnostic bundles.
    auto_diagnostics: bool = True
    diagnostics_max_rows: int = 20_000
    diagnostics_walk_seconds: float = 60.0
    diagnostics_monthly_budget_bytes: int = 50 * 1024 * 1024
    metered_line: bool = False
    metered_monthly_budget_bytes: int = 5 * 1024 * 1024
    bundle_chunk_bytes: int = 256 * 1024
    renew_before_days: int = 30  # the agent renews its own certificate this close to expiry
    # What the center's `rediscover` scans (as `agent discover` would); none: it fails.
    discovery_networks: tuple[str, ...] = ()
    discovery_community: str = field(default="", repr=False)
    discovery_rate_pps: float = 50.0
    discovery_port: int = 161

    @property
    def bundle_budget_bytes(self) -> int:
        """Bytes of diagnostic bundles this agent may upload per calendar month."""
        if self.metered_line:
            return min(self.diagnostics_monthly_budget_bytes, self.metered_monthly_budget_bytes)
        return self.diagnostics_monthly_budget_bytes

    @classmethod
    def load(cls, path: Path) -> AgentSettings:
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
        printers = data.pop("printers", [])
        if not isinstance(printers, list) or not all(isinstance(p, str) for p in printers):
            raise ConfigError(f"{path}: printers must be a list of URLs")
        snmpv3 = data.get("snmpv3", {})
        if not isinstance(snmpv3, dict) or not all(
            isinstance(entry, dict) and all(isinstance(v, str) for v in entry.values())
            for entry in snmpv3.values()
        ):
            raise ConfigError(f"{path}: [snmpv3.USER] tables hold auth_key and priv_key strings")
        networks = data.get("discovery_networks", [])
        if not isinstance(networks, list) or not all(isinstance(n, str) for n in networks):
            raise ConfigError(f"{path}: discovery_networks must be a list of CIDR ranges")
        data["discovery_networks"] = tuple(networks)
        try:
            settings = cls(printers=tuple(printers), **data)
        except TypeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        if settings.snmp_timeout_seconds <= 0 or settings.ipp_timeout_seconds <= 0:
            raise ConfigError(f"{path}: snmp and ipp timeouts must be positive")
        if settings.poll_interval_seconds < 1 or settings.max_concurrent_polls < 1:
            raise ConfigError(f"{path}: poll interval and concurrency must be positive")
        if not 0 < settings.retry_min_seconds <= settings.retry_max_seconds:
            raise ConfigError(f"{path}: need 0 < retry_min_seconds <= retry_max_seconds")
        if settings.outbox_max_reports < 1 or settings.bundle_chunk_bytes < 1024:
            raise ConfigError(f"{path}: outbox_max_reports and bundle_chunk_bytes are too small")
        if not 1 <= settings.batch_size <= MAX_BATCH_REPORTS:
            raise ConfigError(f"{path}: batch_size must be between 1 and {MAX_BATCH_REPORTS}")
        if settings.proxy_url and not settings.proxy_url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}: proxy_url must be http://HOST:PORT")
        if settings.ca_bundle and not Path(settings.ca_bundle).is_file():
            raise ConfigError(f"{path}: ca_bundle {settings.ca_bundle} is not a file")
        return settings

    def save(self, path: Path) -> None:
        """Write every setting that differs from its default (the main three always), the
        printers and the ``[snmpv3.USER]`` tables, so that loading gives these settings back.

        The file is created 0600 before anything is written (printer URLs carry SNMP
        communities) and replaces the old one in one rename. Comments are not kept.
        """
        defaults = AgentSettings()
        lines = [
            f"{name} = {_toml_value(getattr(self, name))}"
            for name in self.__dataclass_fields__
            if name not in _TABLES
            and (name in _ALWAYS_WRITTEN or getattr(self, name) != getattr(defaults, name))
        ]
        lines += ["printers = [", *[f"  {json.dumps(p)}," for p in self.printers], "]"]
        for user, keys in sorted(self.snmpv3.items()):
            lines += ["", f"[snmpv3.{_toml_key(user)}]"]
            lines += [f"{_toml_key(key)} = {json.dumps(value)}" for key, value in keys.items()]
        _write_private(path, "\n".join(lines) + "\n")


_TABLES: Final = frozenset({"printers", "snmpv3"})
_ALWAYS_WRITTEN: Final = frozenset(
    {"poll_interval_seconds", "snmp_timeout_seconds", "snmp_retries"}
)
_BARE_KEY: Final = re.compile(r"^[A-Za-z0-9_-]+$")
_PRIVATE_MODE: Final = 0o600


def _toml_value(value: object) -> str:
    """A TOML value for a setting: booleans, numbers, or a (JSON-escaped) basic string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(json.dumps(str(item)) for item in value) + "]"
    return json.dumps(str(value))


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the start, replacing it atomically."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_MODE)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)
    os.chmod(path, _PRIVATE_MODE)


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    endpoint_id: str
    device_api_url: str
    center_url: str
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AgentIdentity:
        try:
            data = json.loads(path.read_text())
            return cls(data["endpoint_id"], data["device_api_url"], data["center_url"])
        except FileNotFoundError as exc:
            raise ConfigError("this agent is not enrolled: run `remotecare agent enroll`") from exc
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path} is damaged: {exc}") from exc

    def save(self, path: Path) -> None:
        data = {
            "endpoint_id": self.endpoint_id,
            "device_api_url": self.device_api_url,
            "center_url": self.center_url,
        }
        path.write_text(json.dumps(data, indent=2) + "\n")
