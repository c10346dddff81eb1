from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.agent.config import AgentSettings
from remotecare.errors import ConfigError


def test_settings_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    AgentSettings(printers=("snmp://public@192.0.2.1:161",), poll_interval_seconds=60).save(path)
    loaded = AgentSettings.load(path)
    assert loaded.printers == ("snmp://public@192.0.2.1:161",)
    assert loaded.poll_interval_seconds == 60
    assert path.stat().st_mode & 0o077 == 0


def test_a_misspelt_setting_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("poll_intervall_seconds = 60\n")
    with pytest.raises(ConfigError, match="unknown settings"):
        AgentSettings.load(path)


def test_printers_must_be_a_list_of_urls(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text('printers = "snmp://public@192.0.2.1"\n')
    with pytest.raises(ConfigError, match="list of URLs"):
        AgentSettings.load(path)
