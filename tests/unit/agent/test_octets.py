"""One decoder for the octet strings printers send (SNMP, vendor MIBs, IPP)."""

from __future__ import annotations

import pytest

from remotecare.agent import ipp_attributes
from remotecare.agent.octets import decode_text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Tóner Negro".encode(), "Tóner Negro"),  # UTF-8
        (b"T\xf3ner Negro", "Tóner Negro"),  # not UTF-8: latin-1
        (b"S\xe9rie \xa7 7", "Série § 7"),  # latin-1 throughout
        (b"Black Toner\x00\x00\x00", "Black Toner"),  # NUL padding
        (b"SERIAL\x00\x00", "SERIAL"),
        (b"\x00Tray 1\x00\x07junk", "Tray 1"),  # C string with garbage after the NUL
        (b"\x00\x00SERIAL123\x00garbage", "SERIAL123"),  # leading NULs, then a C string
        (b"  Tray 2 ", "Tray 2"),
        ("Tray 3", "Tray 3"),
        (b"", None),
        (b"\x00", None),
        (b"\x00\x00", None),
        (b" \x00 ", None),
        (7, None),
        (None, None),
    ],
)
def test_decodes_octet_strings_robustly(raw: int | bytes | str | None, text: str | None) -> None:
    assert decode_text(raw) == text


def test_an_ipp_octet_string_serial_is_decoded_like_an_snmp_one() -> None:
    device_id = b"\x00\x00SN:SERIAL123;MFG:Acme;\x00garbage"
    reading = ipp_attributes.build_reading({"printer-device-id": (device_id,)})
    assert reading.serial == "SERIAL123"
