"""First-time set-up of a center home: CA, server certificate, database, operator login."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from remotecare.center.access.service import Accounts
from remotecare.center.config import CenterSettings
from remotecare.center.kernel.clock import SystemClock
from remotecare.center.kernel.schema import require_current_schema, upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from remotecare.errors import ConfigError
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.certificates import fingerprint, load_certificate
from remotecare.pki.keys import generate_private_key, write_private_key

__all__ = ["InitializedCenter", "ca_fingerprint_of", "initialize_center", "join_center"]

_LOCAL_NAMES = ["localhost", "127.0.0.1", "::1"]


@dataclass(frozen=True, slots=True)
class InitializedCenter:
    settings: CenterSettings
    ca_fingerprint: str
    operator: str
    password: str


def initialize_center(
    settings: CenterSettings, *, operator: str = "operator", password: str | None = None
) -> InitializedCenter:
    home = settings.home
    if (home / "center.toml").exists():
        raise ConfigError(f"{home} already holds a center; refusing to overwrite it")
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    ca = CertificateAuthority.create(settings.pki_dir, f"Remote Care CA ({settings.hostname})")
    server_key = generate_private_key()
    write_private_key(settings.server_key_file, server_key)
    # The CRL is published on the console port (identity/routes.py).
    host = f"[{settings.hostname}]" if ":" in settings.hostname else settings.hostname
    crl_url = f"https://{host}:{settings.console_port}/.well-known/est/crl"
    issued = ca.issue_server_certificate(
        server_key, [settings.hostname, *_LOCAL_NAMES], crl_url=crl_url
    )
    # The chain as sent to clients, the CA included: with the server certificate alone,
    # OpenSSL would build that chain again on every handshake (a signature check each).
    settings.server_cert_file.write_text(issued.pem + ca.pem)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade_to_head(engine)
        chosen = password or secrets.token_urlsafe(12)
        with engine.begin() as conn:
            Accounts(SystemClock()).create_user(conn, operator, chosen)
    finally:
        engine.dispose()
    settings.save()
    return InitializedCenter(settings, fingerprint(ca.certificate), operator, chosen)


def ca_fingerprint_of(settings: CenterSettings) -> str:
    return fingerprint(load_certificate(settings.ca_cert_file.read_bytes()))


# What a joining home copies from the first one (pki/): the keys stay readable by their
# owner only.
_PUBLIC_FILES = ("ca.pem", "server.pem")
_KEY_FILES = ("ca.key", "server.key")


def join_center(
    first: CenterSettings,
    home: Path,
    *,
    console_port: int,
    device_port: int,
    proxy_port: int = 0,
    metrics_port: int = 0,
) -> CenterSettings:
    """A second home for another instance of ``first``'s center: the same CA, server
    certificate, database and settings, its own ports. Both serve the same data (behind a
    load balancer: ``remotecare center proxy-config --also HOME``).

    Only a center on a shared database can be joined (SQLite lives in the first home).
    Diagnostic bundles stay in the home of the instance that received them."""
    if (home / "center.toml").exists():
        raise ConfigError(f"{home} already holds a center; refusing to overwrite it")
    if not first.database_url or first.effective_database_url.startswith("sqlite"):
        raise ConfigError(
            f"the center in {first.home} keeps its database in SQLite in its home: only a "
            "center on a shared database (PostgreSQL) can be joined"
        )
    if first.proxy_port and not proxy_port:
        raise ConfigError("the first center serves a proxy port: give this one its own")
    settings = replace(
        first,
        home=home,
        console_port=console_port,
        device_port=device_port,
        proxy_port=proxy_port,
        metrics_port=metrics_port,
    )
    if first.listen_host == settings.listen_host:
        taken = {first.console_port, first.device_port, first.proxy_port, first.metrics_port}
        clash = sorted({console_port, device_port, proxy_port, metrics_port} & (taken - {0}))
        if clash:
            raise ConfigError(f"port {clash[0]} is the first center's already")
    engine = make_engine(settings.effective_database_url)
    try:
        require_current_schema(engine)
    finally:
        engine.dispose()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    settings.pki_dir.mkdir(mode=0o700, exist_ok=True)
    for name in _PUBLIC_FILES:
        (settings.pki_dir / name).write_bytes((first.pki_dir / name).read_bytes())
    for name in _KEY_FILES:
        _copy_key(first.pki_dir / name, settings.pki_dir / name)
    settings.save()
    return settings


def _copy_key(source: Path, target: Path) -> None:
    """Copy a private key into a new file created 0600 (never readable by others)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(source.read_bytes())
