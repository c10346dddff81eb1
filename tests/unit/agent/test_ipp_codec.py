"""The IPP codec on answers built byte by byte from RFC 8010, including hostile ones.

Each answer below is assembled by hand from RFC 8010 section 3 (header: version, status,
request id; a delimiter tag opens a group; an attribute is value tag, name length, name,
value length, value; an additional value has an empty name; collections are
begCollection 0x34 ... memberAttrName 0x4A ... endCollection 0x37).
"""

from __future__ import annotations

import struct
import time

import pytest

from remotecare.agent.probes.ipp_codec import (
    MAX_COLLECTION_DEPTH,
    decode_response,
    encode_get_printer_attributes,
)
from remotecare.errors import ProbeError

OPERATION, END, PRINTER = 0x01, 0x03, 0x04
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
OCTET_STRING, BEGIN_COLLECTION, TEXT_WITH_LANGUAGE, END_COLLECTION = 0x30, 0x34, 0x35, 0x37
TEXT, KEYWORD, URI, CHARSET, MEMBER_NAME = 0x41, 0x44, 0x45, 0x47, 0x4A
NO_VALUE = 0x13


def header(status: int = 0, request_id: int = 7, version: tuple[int, int] = (2, 0)) -> bytes:
    return struct.pack(">BBHI", *version, status, request_id)


def attr(tag: int, name: str, value: bytes) -> bytes:
    raw_name = name.encode()
    return (
        bytes([tag])
        + struct.pack(">H", len(raw_name))
        + raw_name
        + struct.pack(">H", len(value))
        + value
    )


def more(tag: int, value: bytes) -> bytes:
    """An additional value of the attribute before it (empty name)."""
    return attr(tag, "", value)


def integer(number: int) -> bytes:
    return struct.pack(">i", number)


def member(name: str) -> bytes:
    return attr(MEMBER_NAME, "", name.encode())


def end_collection() -> bytes:
    return attr(END_COLLECTION, "", b"")


def with_language(language: str, text: str) -> bytes:
    lang, body = language.encode(), text.encode()
    return struct.pack(">H", len(lang)) + lang + struct.pack(">H", len(body)) + body


def answer(*printer_attributes: bytes, status: int = 0) -> bytes:
    operation = attr(CHARSET, "attributes-charset", b"utf-8")
    return (
        header(status)
        + bytes([OPERATION])
        + operation
        + bytes([PRINTER])
        + b"".join(printer_attributes)
        + bytes([END])
    )


def test_decodes_integers_enums_booleans_keywords_text_and_octet_strings() -> None:
    data = answer(
        attr(INTEGER, "printer-impressions-completed", integer(12345)),
        attr(ENUM, "printer-state", integer(5)),
        attr(BOOLEAN, "printer-is-accepting-jobs", b"\x01"),
        attr(KEYWORD, "printer-state-reasons", b"toner-low-report"),
        more(KEYWORD, b"media-jam-error"),
        attr(TEXT_WITH_LANGUAGE, "printer-make-and-model", with_language("en", "Acme PX-9000")),
        attr(OCTET_STRING, "printer-supply", b"type=toner;level=60;"),
        more(OCTET_STRING, b"type=wasteToner;level=40;"),
    )

    response = decode_response(data)

    assert response.successful
    assert response.version == (2, 0)
    assert response.request_id == 7
    assert response.operation == {"attributes-charset": ("utf-8",)}
    assert response.printer == {
        "printer-impressions-completed": (12345,),
        "printer-state": (5,),
        "printer-is-accepting-jobs": (True,),
        "printer-state-reasons": ("toner-low-report", "media-jam-error"),
        "printer-make-and-model": ("Acme PX-9000",),
        "printer-supply": (b"type=toner;level=60;", b"type=wasteToner;level=40;"),
    }


def test_decodes_collections_with_several_values_per_member_and_nesting() -> None:
    data = answer(
        attr(BEGIN_COLLECTION, "printer-impressions-completed-col", b""),
        member("monochrome"),
        attr(INTEGER, "", integer(10000)),
        member("full-color"),
        attr(INTEGER, "", integer(2345)),
        member("tags"),
        attr(KEYWORD, "", b"a"),
        more(KEYWORD, b"b"),
        member("inner"),
        attr(BEGIN_COLLECTION, "", b""),
        member("depth"),
        attr(INTEGER, "", integer(2)),
        end_collection(),
        end_collection(),
    )

    collection = decode_response(data).printer["printer-impressions-completed-col"]

    assert collection == (
        {
            "monochrome": (10000,),
            "full-color": (2345,),
            "tags": ("a", "b"),
            "inner": ({"depth": (2,)},),
        },
    )


def test_leaves_out_of_band_values_out_but_keeps_the_attribute() -> None:
    data = answer(attr(NO_VALUE, "printer-alert", b""))

    assert decode_response(data).printer == {"printer-alert": ()}


def test_keeps_the_first_of_a_repeated_attribute() -> None:
    data = answer(
        attr(ENUM, "printer-state", integer(3)),
        attr(ENUM, "printer-state", integer(5)),
        more(ENUM, integer(4)),
    )

    assert decode_response(data).printer == {"printer-state": (3,)}


def test_names_an_unsuccessful_status() -> None:
    response = decode_response(answer(status=0x0406))

    assert not response.successful
    assert response.status_name == "client-error-not-found"
    assert decode_response(answer(status=0x0999)).status_name == "0x0999"


def test_a_request_decodes_to_its_own_operation_attributes() -> None:
    body = encode_get_printer_attributes(
        "ipp://192.0.2.10:631/ipp/print", ["printer-state", "printer-supply"], request_id=42
    )

    decoded = decode_response(body)  # same framing; the status field holds the operation

    assert decoded.version == (1, 1)
    assert decoded.status_code == 0x000B  # Get-Printer-Attributes
    assert decoded.request_id == 42
    assert decoded.operation == {
        "attributes-charset": ("utf-8",),
        "attributes-natural-language": ("en",),
        "printer-uri": ("ipp://192.0.2.10:631/ipp/print",),
        "requesting-user-name": ("remotecare",),
        "requested-attributes": ("printer-state", "printer-supply"),
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!DOCTYPE html><html>hello</html>", "not IPP"),
        (b"\x02\x00", "shorter than an IPP header"),
        (header() + bytes([OPERATION]), "ends before its end-of-attributes"),
        (header() + attr(ENUM, "printer-state", integer(3)) + bytes([END]), "before any"),
        (header() + bytes([PRINTER]) + more(ENUM, integer(3)) + bytes([END]), "no attribute"),
        (
            header() + bytes([PRINTER]) + attr(ENUM, "printer-state", b"\x03") + bytes([END]),
            "not 4",
        ),
        (
            header() + bytes([PRINTER]) + bytes([KEYWORD]) + struct.pack(">H", 500) + b"x",
            "runs past the end",
        ),
        (
            header()
            + bytes([PRINTER])
            + attr(BEGIN_COLLECTION, "media-col", b"")
            + attr(INTEGER, "", integer(1))
            + end_collection()
            + bytes([END]),
            "before its member name",
        ),
        (
            header() + bytes([PRINTER]) + attr(BEGIN_COLLECTION, "media-col", b"") + bytes([END]),
            "not closed",
        ),
    ],
)
def test_refuses_malformed_answers_with_a_clear_reason(data: bytes, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        decode_response(data)


def test_a_negative_looking_length_cannot_make_the_decoder_loop() -> None:
    # The 35-byte answer that sends pyipp 0.17 into an endless loop: a value length of
    # 0xFFFB, which a signed reading takes for -5 and steps back over the attribute.
    data = (
        header()
        + bytes([OPERATION])
        + attr(CHARSET, "attributes-charset", b"utf-8")
        + bytes([CHARSET, 0, 0])
        + struct.pack(">H", 0xFFFB)
        + bytes([END])
    )
    started = time.monotonic()

    with pytest.raises(ProbeError, match="runs past the end"):
        decode_response(data)

    assert time.monotonic() - started < 5.0  # no runaway loop: it stops at the end


def test_refuses_collections_nested_deeper_than_the_bound() -> None:
    nested = b"".join(
        attr(BEGIN_COLLECTION, "media-col" if level == 0 else "", b"") + member("inner")
        for level in range(MAX_COLLECTION_DEPTH + 1)
    )
    data = header() + bytes([PRINTER]) + nested

    with pytest.raises(ProbeError, match="nested deeper"):
        decode_response(data)
