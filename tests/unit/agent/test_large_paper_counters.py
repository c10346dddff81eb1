"""Large-paper (A3 and larger) counters: a profile may map them, garbage is left out.

No shared recording holds a paper-size counter (see the README's meter reads section), so
the profile here is a test profile under a private enterprise number, not a vendor's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.agent.printer_mib import build_reading
from remotecare.agent.vendor_profiles import (
    VendorProfile,
    load_profiles,
    parse_oid,
    vendor_counters,
)
from remotecare.errors import ConfigError
from remotecare.protocol.vocabulary import CounterName, is_counter_name

A3_PROFILE = """\
name: acme
vendor: Acme
match:
  sys_object_id_prefixes: ["1.3.6.1.4.1.99999"]
counters:
  - name: large_mono
    oid: 1.3.6.1.4.1.99999.3.1.0
    unit: impressions
    source: "Acme MIB acmeA3Black, test data"
  - name: large_colour
    oid: 1.3.6.1.4.1.99999.3.2.0
    unit: impressions
    source: "Acme MIB acmeA3Colour, test data"
"""
PRT_SERIAL = "1.3.6.1.2.1.43.5.1.1.17.1"
PRT_LIFE_COUNT = "1.3.6.1.2.1.43.10.2.1.4.1.1"
LARGE_MONO = "1.3.6.1.4.1.99999.3.1.0"
LARGE_COLOUR = "1.3.6.1.4.1.99999.3.2.0"


def walked(entries: dict[str, int | bytes | str]) -> dict[tuple[int, ...], int | bytes | str]:
    return {parse_oid(oid): value for oid, value in entries.items()}


@pytest.fixture
def profile(tmp_path: Path) -> VendorProfile:
    path = tmp_path / "acme.yaml"
    path.write_text(A3_PROFILE, encoding="utf-8")
    [loaded] = load_profiles([path])
    return loaded


def test_a_profile_maps_the_large_paper_counters(profile: VendorProfile) -> None:
    counters = vendor_counters(profile, walked({LARGE_MONO: 420, LARGE_COLOUR: 35}))
    assert [(c.name, c.value, c.unit) for c in counters] == [
        ("large_mono", 420, "impressions"),
        ("large_colour", 35, "impressions"),
    ]


@pytest.mark.parametrize("garbage", [-1, b"420", "A3", True])
def test_a_large_counter_answering_garbage_is_left_out_and_the_reading_still_sent(
    profile: VendorProfile,
    garbage: int | bytes | str,
) -> None:
    values = walked(
        {PRT_SERIAL: b"A3-1", PRT_LIFE_COUNT: 5900, LARGE_MONO: garbage, LARGE_COLOUR: 35}
    )
    reading = build_reading(values, profile=profile)
    assert reading.serial == "A3-1"
    assert [(c.name, c.value) for c in reading.counters] == [
        ("total", 5900),
        ("large_colour", 35),
    ]


def test_a_profile_cannot_map_a_name_outside_the_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(A3_PROFILE.replace("large_colour", "a3_colour"), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_profiles([path])


def test_counter_names_are_the_vocabulary_with_the_agent_suffixes() -> None:
    assert all(is_counter_name(name) for name in CounterName)
    assert is_counter_name("large_mono")
    assert is_counter_name("total_marker_2")
    assert is_counter_name("mono_two_sided")
    for unknown in ("a3", "", "large", "total_marker_", "Large_Mono", "mono_two_sided_two_sided"):
        assert not is_counter_name(unknown), unknown
