"""The raw_report_days setting: 90 by default, read from center.toml, kept when saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.center.config import CenterSettings
from remotecare.errors import ConfigError


def test_raw_reports_are_kept_ninety_days_by_default(tmp_path: Path) -> None:
    assert CenterSettings(home=tmp_path, hostname="care.example").raw_report_days == 90


def test_raw_report_days_round_trips_through_the_file(tmp_path: Path) -> None:
    CenterSettings(home=tmp_path, hostname="care.example", raw_report_days=30).save()
    assert "raw_report_days = 30" in (tmp_path / "center.toml").read_text()
    assert CenterSettings.load(tmp_path, environ={}).raw_report_days == 30


def test_the_default_is_not_written_to_the_file(tmp_path: Path) -> None:
    CenterSettings(home=tmp_path, hostname="care.example").save()
    assert "raw_report_days" not in (tmp_path / "center.toml").read_text()


def test_raw_report_days_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="raw_report_days"):
        CenterSettings(home=tmp_path, hostname="care.example", raw_report_days=0)
