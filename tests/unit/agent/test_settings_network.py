"""agent.toml settings for networks, store and forward, bundles and rediscovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.agent.config import AgentSettings
from remotecare.errors import ConfigError


def test_network_and_discovery_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = AgentSettings(
        proxy_url="http://proxy.example:3128",
        proxy_username="agent",
        proxy_password="s3cret",
        ca_bundle=str(bundle),
        metered_line=True,
        discovery_networks=("192.0.2.0/24", "198.51.100.0/28"),
        discovery_community="public",
    )
    settings.save(path)
    assert AgentSettings.load(path) == settings


def test_secrets_stay_out_of_the_settings_repr() -> None:
    shown = repr(
        AgentSettings(
            printers=("snmp://c0mmunity@192.0.2.1",),
            proxy_url="http://u:pw@proxy:3128",
            proxy_password="pw",
            discovery_community="c0mmunity",
        )
    )
    assert "c0mmunity" not in shown
    assert "pw" not in shown


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("batch_size = 501", "batch_size"),
        ("retry_min_seconds = 0", "retry_min_seconds"),
        ('proxy_url = "socks5://proxy:1080"', "proxy_url"),
        ('ca_bundle = "/nonexistent/ca.pem"', "ca_bundle"),
        ('discovery_networks = "192.0.2.0/24"', "discovery_networks"),
    ],
)
def test_wrong_values_fail_loudly(tmp_path: Path, line: str, complaint: str) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError, match=complaint):
        AgentSettings.load(path)
