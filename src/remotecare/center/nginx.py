"""Proxy mode: the nginx configuration that puts the device API behind nginx.

nginx terminates mutual TLS against the center's CA and forwards each request over plain
HTTP to the center's ``proxy_port`` with the verified certificate in ``X-Client-Cert``
(``$ssl_client_escaped_cert``) and ``X-Client-Verify`` (``$ssl_client_verify``). The center
believes those headers only from its ``trusted_proxies`` (see ``web/identity.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from remotecare.center.config import CenterSettings

__all__ = ["NGINX_TEMPLATE", "nginx_config"]

NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx_template" / "remotecare.conf"


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def nginx_config(
    settings: CenterSettings,
    *,
    listen: str = "443",
    server_name: str | None = None,
    certificate: Path | None = None,
    key: Path | None = None,
    others: Sequence[CenterSettings] = (),
) -> str:
    """The shipped template filled in for ``settings`` (the center's own server
    certificate unless another is given; the client CA is always the center's CA).
    ``others``: further instances of the same center (``init --join``), balanced over
    with the first, request by request."""
    upstreams = [_host_port(s.proxy_host, s.proxy_port) for s in (settings, *others)]
    values = {
        "@UPSTREAM@": ";\n    server ".join(upstreams),
        "@LISTEN@": listen,
        "@SERVER_NAME@": server_name or settings.hostname,
        "@SERVER_CERT@": str(certificate or settings.server_cert_file),
        "@SERVER_KEY@": str(key or settings.server_key_file),
        "@CLIENT_CA@": str(settings.ca_cert_file),
        "@MAX_BODY@": f"{max(1, settings.max_body_bytes // 1024)}k",
    }
    text = NGINX_TEMPLATE.read_text()
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text
