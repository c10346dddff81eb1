"""Vendor profiles: strict loading, selection by sysObjectID/sysDescr, counters and serials.

Recording values are read by hand from ``shared/testdata/snmp/*.snmprec`` (cited inline).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.agent.printer_mib import build_reading
from remotecare.agent.vendor_profiles import (
    PROFILES_DIR,
    VendorProfile,
    load_profiles,
    packaged_profiles,
    parse_oid,
    select_profile,
    vendor_counters,
    vendor_serial,
)
from remotecare.errors import ConfigError
from remotecare.protocol.messages import SerialSource

SYS_DESCR_0 = "1.3.6.1.2.1.1.1.0"
PRT_SERIAL = "1.3.6.1.2.1.43.5.1.1.17.1"
IF_PHYS_1 = "1.3.6.1.2.1.2.2.1.6.1"

GOOD = """\
name: acme
vendor: Acme
match:
  sys_object_id_prefixes: ["1.3.6.1.4.1.99999"]
serial:
  - oid: 1.3.6.1.4.1.99999.1.1.0
    regex: "S/N ([A-Z0-9]+)"
    source: "Acme MIB acmeSerial, test data"
counters:
  - name: copy
    oid: 1.3.6.1.4.1.99999.2.1.0
    unit: impressions
    source: "Acme MIB acmeCopies, test data"
"""


def values(entries: dict[str, int | bytes | str]) -> dict[tuple[int, ...], int | bytes | str]:
    return {parse_oid(oid): value for oid, value in entries.items()}


def write(tmp_path: Path, text: str, name: str = "acme.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_packaged_profiles_load_and_cover_the_required_vendors() -> None:
    prefixes = {
        prefix for profile in packaged_profiles() for prefix in profile.match.sys_object_id_prefixes
    }
    required = {367, 1347, 2385, 18334, 11, 1602, 2435, 1248, 297, 253}
    assert {f"1.3.6.1.4.1.{number}" for number in required} <= prefixes
    assert {path.stem for path in PROFILES_DIR.glob("*.yaml")} == {
        profile.name for profile in packaged_profiles()
    }


def test_every_mapping_says_where_it_comes_from() -> None:
    for profile in packaged_profiles():
        for mapping in [*profile.serial, *profile.counters]:
            assert len(mapping.source) >= 8, (profile.name, mapping)


def test_a_good_profile_loads(tmp_path: Path) -> None:
    [profile] = load_profiles([write(tmp_path, GOOD)])
    assert profile.name == "acme"
    assert profile.oids == ((1, 3, 6, 1, 4, 1, 99999, 1, 1, 0), (1, 3, 6, 1, 4, 1, 99999, 2, 1, 0))


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("    unit: impressions", "    unit: impressions\n    scale: 2"), "scale"),  # unknown key
        (("  - name: copy", "  - name: copies"), "name"),  # unknown counter name
        (("unit: impressions", "unit: pages"), "unit"),  # unknown unit
        (("  - name: copy", "  - name: sheets"), "name"),  # a wire name a profile cannot map
        (("  - name: copy", "  - name: power_on"), "name"),
        (("oid: 1.3.6.1.4.1.99999.2.1.0", "oid: 1.3.6.1.4.1.99999..2"), "oid"),  # bad OID
        (('regex: "S/N ([A-Z0-9]+)"', 'regex: "S/N [A-Z0-9]+"'), "group"),  # no group
        (('regex: "S/N ([A-Z0-9]+)"', 'regex: "S/N ([A-Z0-9]+"'), "regular expression"),
        (('    source: "Acme MIB acmeCopies, test data"\n', ""), "source"),  # no source
        (('  sys_object_id_prefixes: ["1.3.6.1.4.1.99999"]', "  {}"), "match"),  # no criterion
    ],
)
def test_a_mistake_in_a_profile_fails_loudly(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError, match=r"acme\.yaml") as caught:
        load_profiles([path])
    assert complaint in str(caught.value)


def test_a_misspelt_top_level_key_fails_loudly(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("counters:", "counter:"))
    with pytest.raises(ConfigError, match="counter"):
        load_profiles([path])


def test_a_counter_mapped_twice_fails_loudly(tmp_path: Path) -> None:
    twice = GOOD + GOOD[GOOD.index("  - name: copy") :]
    with pytest.raises(ConfigError, match="mapped twice"):
        load_profiles([write(tmp_path, twice)])


def test_two_profiles_with_one_name_fail_loudly(tmp_path: Path) -> None:
    paths = [write(tmp_path, GOOD, "a.yaml"), write(tmp_path, GOOD, "b.yaml")]
    with pytest.raises(ConfigError, match="used twice"):
        load_profiles(paths)


def test_a_file_that_is_not_yaml_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"acme\.yaml"):
        load_profiles([write(tmp_path, "name: [unclosed")])


@pytest.mark.parametrize(
    ("sys_object_id", "expected"),
    [
        ("1.3.6.1.4.1.11.2.3.9.1", "hp"),
        ("1.3.6.1.4.1.1347.41", "kyocera"),
        ("1.3.6.1.4.1.253.8.62.1.20.4.1.1", "fujifilm"),
        ("1.3.6.1.4.1.297.1.11.93.2.1.3.5.5", "fujifilm"),
        ("1.3.6.1.4.1.110.1", None),  # "1.3.6.1.4.1.11" is a prefix of the text, not the OID
        ("1.3.6.1.4.1.674.10898.2.100.100.51.1094474004", None),  # Dell: no profile
        (None, None),
    ],
)
def test_profiles_are_selected_by_enterprise_prefix(
    sys_object_id: str | None, expected: str | None
) -> None:
    profile = select_profile(packaged_profiles(), sys_object_id, "any")
    assert (profile.name if profile else None) == expected


def test_the_longest_prefix_wins_and_sys_descr_can_narrow_the_match(tmp_path: Path) -> None:
    broad = VendorProfile.model_validate(
        {"name": "broad", "vendor": "A", "match": {"sys_object_id_prefixes": ["1.3.6.1.4.1.9"]}}
    )
    narrow = VendorProfile.model_validate(
        {
            "name": "narrow",
            "vendor": "A",
            "match": {
                "sys_object_id_prefixes": ["1.3.6.1.4.1.9.1"],
                "sys_descr_regex": "^Acme Pro",
            },
        }
    )
    by_descr = VendorProfile.model_validate(
        {"name": "descr", "vendor": "B", "match": {"sys_descr_regex": "^Bcme"}}
    )
    profiles = [broad, narrow, by_descr]
    assert select_profile(profiles, "1.3.6.1.4.1.9.1.5", "Acme Pro 5") is narrow
    assert select_profile(profiles, "1.3.6.1.4.1.9.1.5", "Acme Home 5") is broad
    assert select_profile(profiles, None, "Bcme 1") is by_descr


def test_counters_are_read_only_from_non_negative_integers() -> None:
    [profile] = load_profiles([PROFILES_DIR / "sharp.yaml"])
    walked = values(
        {
            "1.3.6.1.4.1.2385.1.1.19.2.1.3.1.4.60": 82214,
            "1.3.6.1.4.1.2385.1.1.19.2.1.3.1.4.61": -1,  # broken firmware
            "1.3.6.1.4.1.2385.1.1.19.2.1.3.1.4.63": b"28583",  # a string is not a counter
        }
    )
    assert [(c.name, c.value, c.unit) for c in vendor_counters(profile, walked)] == [
        ("print", 82214, "impressions")
    ]


def test_the_hp_serial_skips_the_pml_header_octets() -> None:
    # hp_laserjet-mfp-m130nw.snmprec: 1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.3.0|4x|0115564E4352433438313938
    [profile] = load_profiles([PROFILES_DIR / "hp.yaml"])
    walked = values(
        {"1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.3.0": bytes.fromhex("0115564E4352433438313938")}
    )
    assert vendor_serial(profile, walked) == "VNCRC48198"


def test_the_ricoh_engine_serial_matches_the_printer_mib_serial() -> None:
    # ricoh_aficio-mp-c3002.snmprec: 1.3.6.1.4.1.367.3.2.1.2.1.4.0|4|W492KB03439
    [profile] = load_profiles([PROFILES_DIR / "ricoh.yaml"])
    walked = values({"1.3.6.1.4.1.367.3.2.1.2.1.4.0": b"W492KB03439"})
    assert vendor_serial(profile, walked) == "W492KB03439"


def test_a_vendor_serial_after_nul_padding_is_kept_without_the_garbage() -> None:
    # Before one decoder served both, the profile kept "SERIAL123\x00garbage" here, which is
    # not printable, and the printer fell back to its MAC address.
    [profile] = load_profiles([PROFILES_DIR / "kyocera.yaml"])
    walked = values({"1.3.6.1.4.1.1347.43.5.1.1.28.1": b"\x00\x00SERIAL123\x00garbage"})
    assert vendor_serial(profile, walked) == "SERIAL123"


def test_a_vendor_serial_never_replaces_the_printer_mib_serial() -> None:
    [profile] = load_profiles([PROFILES_DIR / "kyocera.yaml"])
    walked = values(
        {
            PRT_SERIAL: b"PRT-1",
            "1.3.6.1.4.1.1347.43.5.1.1.28.1": b"KC-1",
            IF_PHYS_1: bytes.fromhex("001122334455"),
        }
    )
    reading = build_reading(walked, profile=profile)
    assert (reading.serial, reading.serial_source) == ("PRT-1", SerialSource.PRINTER_MIB)
    del walked[parse_oid(PRT_SERIAL)]
    reading = build_reading(walked, profile=profile)
    assert (reading.serial, reading.serial_source) == ("KC-1", SerialSource.VENDOR_MIB)
    del walked[parse_oid("1.3.6.1.4.1.1347.43.5.1.1.28.1")]
    reading = build_reading(walked, profile=profile)
    assert reading.serial_source is SerialSource.MAC_ADDRESS


def test_a_vendor_counter_never_replaces_a_printer_mib_counter() -> None:
    [profile] = load_profiles([PROFILES_DIR / "hp.yaml"])
    walked = values(
        {
            PRT_SERIAL: b"SN",
            "1.3.6.1.2.1.43.10.2.1.3.1.1": 7,
            "1.3.6.1.2.1.43.10.2.1.4.1.1": 100,
            "1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2.5.0": 99,
            "1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2.7.0": 40,
        }
    )
    reading = build_reading(walked, profile=profile)
    assert [(c.name, c.value) for c in reading.counters] == [("total", 100), ("colour", 40)]
