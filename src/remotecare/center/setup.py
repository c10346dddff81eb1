"""First-time set-up of a center home: CA, server certificate, database, operator login."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from remotecare.center.access.service import Accounts
from remotecare.center.config import CenterSettings
from remotecare.center.kernel.clock import SystemClock
from remotecare.center.kernel.schema import upgrade_to_head
from remotecare.center.kernel.storage import make_engine
from remotecare.errors import ConfigError
from remotecare.pki.ca import CertificateAuthority
from remotecare.pki.certificates import fingerprint, load_certificate
from remotecare.pki.keys import generate_private_key, write_private_key

__all__ = ["InitializedCenter", "ca_fingerprint_of", "initialize_center"]

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
