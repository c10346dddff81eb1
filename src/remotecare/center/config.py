"""The center's settings: ``center.toml`` in its home, plus ``REMOTECARE_*`` environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.errors import ConfigError

__all__ = ["CenterSettings"]

_FILE = "center.toml"
_RAW_REPORT_DAYS = 90
_PERSONAL_DATA_DAYS = 90


@dataclass(frozen=True, slots=True)
class CenterSettings:
    """Where the center keeps its state and where it listens.

    Usage::

        settings = CenterSettings.load(Path("/var/lib/remotecare"))
    """

    home: Path
    hostname: str
    listen_host: str = "0.0.0.0"
    console_port: int = 8443
    device_port: int = 8444
    database_url: str = ""
    # Proxy mode: plain HTTP on proxy_host:proxy_port for a TLS-terminating proxy (nginx)
    # that passes the verified client certificate in a header; 0 = off. The header is
    # believed only from the addresses (or networks) in trusted_proxies.
    proxy_port: int = 0
    proxy_host: str = "127.0.0.1"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Prometheus metrics (plain HTTP, no login: keep it on loopback); 0 = off.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    max_body_bytes: int = 1024 * 1024
    max_inflated_bytes: int = 8 * 1024 * 1024
    max_bundle_bytes: int = 32 * 1024 * 1024  # one diagnostic bundle; larger ones get 413
    session_hours: int = 12
    # Operators (who see every customer) must log in with a TOTP second factor.
    operators_need_totp: bool = False
    printer_binding: str = BindingPolicy.AUTOMATIC.value  # "automatic" or "confirm"
    # Raw report payloads are deleted this many days after the agent took them; the
    # compact history (care/history) keeps their numbers.
    raw_report_days: int = _RAW_REPORT_DAYS
    # A terminated customer's personal data is erased this many days after the service
    # ended (terms, article 11; contracts/retention.py).
    personal_data_days: int = _PERSONAL_DATA_DAYS
    # Bench switch, not for production: false stops recording and draining the care feed
    # (bench/ingest.py measures ingest with and without it).
    care_feed: bool = True
    # Bench switch, not for production: false leaves the supplies (forecasts, orders) out of
    # the care feed's consumers (bench/ingest.py --feed-switch care_supplies).
    care_supplies: bool = True
    # Fault monitoring: a cleared condition resolves after this many minutes; the watch
    # (settle time, silence, bundles) looks every incident_watch_seconds.
    incident_settle_minutes: float = 10.0
    incident_watch_seconds: float = 30.0
    # Notifications: false keeps messages in the outbox undelivered (a maintenance switch).
    notify_delivery: bool = True
    smtp_host: str = ""  # empty: no e-mail (e-mail subscriptions wait in the outbox)
    smtp_port: int = 587
    smtp_sender: str = "remotecare@localhost"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_ca_file: str = ""  # trust this CA for the SMTP server instead of the system's
    webhook_ca_file: str = ""  # likewise for webhook receivers
    # How much of the care feed a busy center still drains (care/feed.py DrainPacing):
    # readings per batch, and the longest wait between batches, while ingest is busy.
    # More drains sooner (incidents and their notifications leave sooner under load) at
    # the cost of ingest's CPU; bench/incidents.py measures both.
    care_feed_busy_batch: int = 40
    care_feed_max_defer_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.printer_binding not in set(BindingPolicy):
            raise ConfigError(
                f"printer_binding must be one of {', '.join(BindingPolicy)}, "
                f"not {self.printer_binding!r}"
            )
        if self.raw_report_days < 1:
            raise ConfigError(f"raw_report_days must be at least 1, not {self.raw_report_days}")
        if self.personal_data_days < 0:
            raise ConfigError(
                f"personal_data_days must be at least 0, not {self.personal_data_days}"
            )

    @property
    def binding_policy(self) -> BindingPolicy:
        return BindingPolicy(self.printer_binding)

    @property
    def bundles_dir(self) -> Path:
        """Diagnostic bundles from agents, one folder per endpoint (apart from readings)."""
        return self.home / "bundles"

    @property
    def pki_dir(self) -> Path:
        return self.home / "pki"

    @property
    def server_cert_file(self) -> Path:
        """The center's server certificate followed by the CA's (the chain it presents)."""
        return self.pki_dir / "server.pem"

    @property
    def server_key_file(self) -> Path:
        return self.pki_dir / "server.key"

    @property
    def ca_cert_file(self) -> Path:
        return self.pki_dir / "ca.pem"

    @property
    def device_api_url(self) -> str:
        return f"https://{_url_host(self.hostname)}:{self.device_port}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'center.db'}"

    @classmethod
    def load(cls, home: Path, environ: Mapping[str, str] | None = None) -> CenterSettings:
        env = os.environ if environ is None else environ
        path = home / _FILE
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError as exc:
            raise ConfigError(f"{path} not found: run `remotecare center init` first") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        known = set(cls.__dataclass_fields__) - {"home"}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
        if isinstance(data.get("trusted_proxies"), list):
            data["trusted_proxies"] = tuple(data["trusted_proxies"])
        settings = cls(home=home, **data)
        if "REMOTECARE_DATABASE_URL" in env:
            settings = replace(settings, database_url=env["REMOTECARE_DATABASE_URL"])
        return settings

    def save(self) -> None:
        lines = [
            f"hostname = {_toml_str(self.hostname)}",
            f"listen_host = {_toml_str(self.listen_host)}",
            f"console_port = {self.console_port}",
            f"device_port = {self.device_port}",
        ]
        if self.database_url:
            lines.append(f"database_url = {_toml_str(self.database_url)}")
        if self.printer_binding != BindingPolicy.AUTOMATIC:
            lines.append(f"printer_binding = {_toml_str(self.printer_binding)}")
        if self.raw_report_days != _RAW_REPORT_DAYS:
            lines.append(f"raw_report_days = {self.raw_report_days}")
        if self.personal_data_days != _PERSONAL_DATA_DAYS:
            lines.append(f"personal_data_days = {self.personal_data_days}")
        if not self.care_feed:
            lines.append("care_feed = false")
        if not self.care_supplies:
            lines.append("care_supplies = false")
        if self.proxy_port:
            proxies = ", ".join(_toml_str(p) for p in self.trusted_proxies)
            lines += [
                f"proxy_host = {_toml_str(self.proxy_host)}",
                f"proxy_port = {self.proxy_port}",
                f"trusted_proxies = [{proxies}]",
            ]
        if self.metrics_port:
            lines += [
                f"metrics_host = {_toml_str(self.metrics_host)}",
                f"metrics_port = {self.metrics_port}",
            ]
        (self.home / _FILE).write_text("\n".join(lines) + "\n")


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
