"""Vendor profiles: bad OIDs and unknown keys are refused; packaged OIDs stay in their tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.agent.vendor_profiles import load_profiles, packaged_profiles
from remotecare.errors import ConfigError

PROFILE = """\
name: acme
vendor: Acme
match:
  sys_object_id_prefixes: ["1.3.6.1.4.1.99999"]
serial:
  - oid: 1.3.6.1.4.1.99999.1.1.0
    source: "Acme MIB acmeSerial, test data"
counters:
  - name: scan
    oid: OID
    unit: images
    source: "Acme MIB acmeScans, test data"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_well_formed_counter_oid_loads(tmp_path: Path) -> None:
    [profile] = load_profiles([write(tmp_path, PROFILE.replace("OID", "1.3.6.1.4.1.99999.7.0"))])
    assert [(c.name, c.oid, c.unit) for c in profile.counters] == [
        ("scan", "1.3.6.1.4.1.99999.7.0", "images")
    ]


@pytest.mark.parametrize(
    "oid",
    [
        ".1.3.6.1.4.1.99999.7.0",  # leading dot (net-snmp's output style)
        "1.3.6.1.4.1.99999.7.0.",  # trailing dot
        "1.3.6.1.4.1.99999.7.x",  # not a number
        "1.3.6.1.4.1.99999 .7.0",  # blank inside
        "2.5.4.3",  # outside iso(1)
        "1",  # one arc only
        '""',  # empty
        "SNMPv2-SMI::enterprises.99999.7.0",  # a MIB name: the runtime never parses MIBs
        "1." + ".".join(["1"] * 200),  # longer than 256 characters
    ],
)
def test_a_malformed_counter_oid_is_refused_at_load(tmp_path: Path, oid: str) -> None:
    path = write(tmp_path, PROFILE.replace("OID", oid))
    with pytest.raises(ConfigError, match=r"acme\.yaml.*invalid") as caught:
        load_profiles([path])
    assert "oid" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    unit: images\n", "    unit: images\n    index: 3\n"),  # unknown counter key
        ('    source: "Acme MIB acmeSerial', '    note: x\n    source: "Acme MIB acmeSerial'),
        ("vendor: Acme\n", "vendor: Acme\nversion: 2\n"),  # unknown top-level key
        ("  sys_object_id_prefixes:", "  sys_object_id_prefix:"),  # misspelt match key
    ],
)
def test_an_unknown_key_is_refused_at_load(tmp_path: Path, old: str, new: str) -> None:
    text = PROFILE.replace("OID", "1.3.6.1.4.1.99999.7.0")
    assert old in text
    with pytest.raises(ConfigError, match=r"acme\.yaml.*invalid"):
        load_profiles([write(tmp_path, text.replace(old, new))])


def test_every_packaged_object_lies_under_one_of_its_profiles_enterprise_prefixes() -> None:
    # sysDescr (1.3.6.1.2.1.1.1.0) is the one standard object a profile may read (HP serial).
    for profile in packaged_profiles():
        prefixes = profile.match.sys_object_id_prefixes
        oids = [m.oid for m in profile.serial] + [
            text for m in profile.counters for text in (m.oid, m.table) if text is not None
        ]
        for oid in oids:
            if oid == "1.3.6.1.2.1.1.1.0":
                continue
            assert any(oid.startswith(prefix + ".") for prefix in prefixes), (profile.name, oid)
