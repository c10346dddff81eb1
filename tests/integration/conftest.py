"""Fixtures for integration tests that read printers over real SNMP (snmpsim on loopback)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from remotecare.demo.snmpsim import SnmpSimulator, running_snmpsim
from tests.support.recordings import recordings_dir


@pytest.fixture(scope="session")
def recordings() -> Path:
    """The folder of real printer recordings (``<vendor>_<model>.snmprec``)."""
    return recordings_dir()


@pytest.fixture(scope="module")
def recording_simulator(
    recordings: Path, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SnmpSimulator]:
    """One snmpsim for the test module: community = recording name, stopped afterwards.

    A module may define ``EXTRA_RECORDINGS`` (community -> snmprec text) for devices the
    real recordings lack; then the recordings are copied next to them in a temporary
    folder (snmpsim names communities after symlink *targets*, so links would not do).
    """
    extra: Mapping[str, str] = getattr(request.module, "EXTRA_RECORDINGS", {})
    data_dir = recordings
    if extra:
        data_dir = tmp_path_factory.mktemp("snmp-recordings")
        for recording in recordings.glob("*.snmprec"):
            shutil.copyfile(recording, data_dir / recording.name)
        for community, text in extra.items():
            (data_dir / f"{community}.snmprec").write_text(text, encoding="utf-8")
    probe = min(path.stem for path in data_dir.glob("*.snmprec"))
    with running_snmpsim(data_dir, probe_community=probe) as simulator:
        yield simulator
