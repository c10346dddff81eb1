"""The weak identity rule: a printer without serial number, vendor serial or MAC address is
named by the endpoint that reads it, its address as reported and its sysObjectID."""

from __future__ import annotations

import hashlib

from remotecare.protocol.identity import WEAK_PREFIX, is_weak_serial, weak_serial

ENDPOINT = "0b6f0d0e-6c43-4a4f-9a5e-6d1c2e3f4a5b"
ADDRESS = "snmp://192.0.2.10:161"
OID = "1.3.6.1.4.1.18334.1.1.1.2.1.117.2.2"


def test_the_rule_is_the_stated_hash() -> None:
    stated = f"remotecare weak identity v1\n{ENDPOINT}\n{ADDRESS}\n{OID}".encode()

    assert weak_serial(ENDPOINT, ADDRESS, OID) == "weak:" + hashlib.sha256(stated).hexdigest()[:32]
    # Pinned: a change of the rule would re-identify every weak printer in the field.
    assert weak_serial(ENDPOINT, ADDRESS, OID) == "weak:0cc23211d5737951c018afde43d06c3b"


def test_the_same_printer_gets_the_same_identity_every_time() -> None:
    assert weak_serial(ENDPOINT, ADDRESS, OID) == weak_serial(ENDPOINT, ADDRESS, OID)


def test_the_endpoint_id_is_read_without_case_or_spaces() -> None:
    assert weak_serial(f" {ENDPOINT.upper()} ", ADDRESS, OID) == weak_serial(ENDPOINT, ADDRESS, OID)


def test_another_address_endpoint_or_kind_of_printer_is_another_identity() -> None:
    base = weak_serial(ENDPOINT, ADDRESS, OID)
    others = {
        weak_serial(ENDPOINT, "snmp://192.0.2.11:161", OID),
        weak_serial(ENDPOINT, "snmp://192.0.2.10:1161", OID),
        weak_serial("9c1f8a3e-0000-4000-8000-000000000001", ADDRESS, OID),
        weak_serial(ENDPOINT, ADDRESS, "1.3.6.1.4.1.2385.3.1.112.1.2"),
        weak_serial(ENDPOINT, ADDRESS, None),
    }
    assert base not in others
    assert len(others) == 5


def test_no_sys_object_id_hashes_as_empty() -> None:
    assert weak_serial(ENDPOINT, ADDRESS, None) == weak_serial(ENDPOINT, ADDRESS, "")


def test_fields_cannot_be_shifted_into_one_another() -> None:
    # The separator keeps "a" + "b\nc" apart from "a\nb" + "c".
    assert weak_serial(ENDPOINT, "snmp://x", "1.2") != weak_serial(ENDPOINT, "snmp://x\n1", "2")


def test_the_identity_has_the_weak_shape_and_fits_a_serial() -> None:
    serial = weak_serial(ENDPOINT, ADDRESS, OID)

    assert serial.startswith(WEAK_PREFIX)
    assert is_weak_serial(serial)
    assert len(serial) == len(WEAK_PREFIX) + 32
    assert not is_weak_serial("CNB1234567")
