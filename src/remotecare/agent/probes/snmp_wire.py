"""SNMP v1/v2c messages as bytes: encode a GET, GETNEXT or GETBULK, decode the response.

Usage::

    request = encode_request(PduKind.GETBULK, "2c", "public", 7, [(1, 3, 6, 1, 2, 1, 43)],
                             non_repeaters=0, max_repetitions=25)
    response = decode_response(datagram)   # Response(request_id=7, error_status=0, ...)

Written by hand because pyasn1's generic BER decoder was about 70 % of the agent's CPU in a
poll cycle (cProfile, BENCHMARKS.md), while community-based SNMP needs a dozen tags
(RFC 1157, RFC 3416). Values come out as plain Python, as :mod:`remotecare.agent.probes.snmp`
hands them on: ``int`` for INTEGER, Counter32/64, Gauge32 and TimeTicks (signed, like
pyasn1, so a well-formed counter reads the same); ``bytes`` for OCTET STRING, IpAddress and
Opaque; ``str`` in dotted form for OBJECT IDENTIFIER; ``None`` for NULL, noSuchObject and
noSuchInstance; :data:`END_OF_MIB_VIEW` for endOfMibView. Anything else raises
:class:`WireError`. Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from remotecare.errors import WireError

__all__ = [
    "END_OF_MIB_VIEW",
    "EndOfMibView",
    "PduKind",
    "Response",
    "WireError",
    "WireValue",
    "decode_response",
    "encode_request",
]

Oid = tuple[int, ...]


class EndOfMibView(enum.Enum):
    """The agent's "nothing after this OID" marker (SNMPv2, RFC 3416)."""

    END_OF_MIB_VIEW = "endOfMibView"


END_OF_MIB_VIEW: Final = EndOfMibView.END_OF_MIB_VIEW
WireValue = int | bytes | str | None | EndOfMibView


class PduKind(enum.IntEnum):
    """Request PDU tags (context-specific, constructed)."""

    GET = 0xA0
    GETNEXT = 0xA1
    GETBULK = 0xA5


_RESPONSE: Final = 0xA2
_SEQUENCE: Final = 0x30
_INTEGER: Final = 0x02
_OCTET_STRING: Final = 0x04
_NULL: Final = 0x05
_OID: Final = 0x06
_VERSIONS: Final = {"1": 0, "2c": 1}
_INTEGER_TAGS: Final = frozenset({_INTEGER, 0x41, 0x42, 0x43, 0x46})  # Counter32, Gauge32,
# TimeTicks, Counter64
_OCTET_TAGS: Final = frozenset({_OCTET_STRING, 0x40, 0x44})  # IpAddress, Opaque
_NO_VALUE_TAGS: Final = frozenset({_NULL, 0x80, 0x81})  # NULL, noSuchObject, noSuchInstance
_END_OF_MIB_VIEW_TAG: Final = 0x82
_NULL_VALUE: Final = b"\x05\x00"


@dataclass(frozen=True, slots=True)
class Response:
    """One decoded Response PDU."""

    version: int
    community: bytes
    request_id: int
    error_status: int
    error_index: int
    var_binds: list[tuple[Oid, WireValue]]


def encode_request(
    kind: PduKind,
    version: str,
    community: str,
    request_id: int,
    oids: Sequence[Oid],
    *,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """One request message; ``non_repeaters`` and ``max_repetitions`` only for GETBULK."""
    if kind is PduKind.GETBULK and version == "1":
        raise ValueError("SNMPv1 has no GETBULK")
    bindings = b"".join(_tlv(_SEQUENCE, _tlv(_OID, _encode_oid(oid)) + _NULL_VALUE) for oid in oids)
    pdu = _tlv(
        kind,
        _integer(request_id)
        + _integer(non_repeaters)
        + _integer(max_repetitions)
        + _tlv(_SEQUENCE, bindings),
    )
    return _tlv(
        _SEQUENCE,
        _integer(_VERSIONS[version]) + _tlv(_OCTET_STRING, community.encode()) + pdu,
    )


def decode_response(data: bytes) -> Response:
    """Decode a Response PDU; raise :class:`WireError` on anything else or malformed."""
    try:
        return _decode(memoryview(data))
    except IndexError:
        raise WireError("message ends early") from None


def _decode(data: memoryview) -> Response:
    tag, start, end = _header(data, 0)
    if tag != _SEQUENCE or end != len(data):
        raise WireError("not one SNMP message")
    version, position = _expect_integer(data, start)
    tag, start, stop = _header(data, position)
    if tag != _OCTET_STRING:
        raise WireError("no community")
    community = bytes(data[start:stop])
    tag, start, pdu_end = _header(data, stop)
    if tag != _RESPONSE or pdu_end != end:
        raise WireError(f"not a Response PDU (tag 0x{tag:02x})")
    request_id, position = _expect_integer(data, start)
    error_status, position = _expect_integer(data, position)
    error_index, position = _expect_integer(data, position)
    tag, position, bindings_end = _header(data, position)
    if tag != _SEQUENCE or bindings_end != pdu_end:
        raise WireError("no variable bindings")
    var_binds = []
    while position < bindings_end:
        tag, start, binding_end = _header(data, position)
        if tag != _SEQUENCE:
            raise WireError("malformed variable binding")
        tag, start, stop = _header(data, start)
        if tag != _OID:
            raise WireError("variable binding without an OID")
        oid = _decode_oid(data[start:stop])
        tag, start, stop = _header(data, stop)
        if stop != binding_end:
            raise WireError("malformed variable binding")
        var_binds.append((oid, _value(tag, data[start:stop])))
        position = binding_end
    if position != bindings_end:
        raise WireError("variable bindings overrun")
    return Response(version, community, request_id, error_status, error_index, var_binds)


def _value(tag: int, content: memoryview) -> WireValue:
    if tag in _OCTET_TAGS:
        return bytes(content)
    if tag in _INTEGER_TAGS:
        if not content:
            raise WireError("empty INTEGER")
        return int.from_bytes(content, "big", signed=True)
    if tag == _OID:
        return ".".join(map(str, _decode_oid(content)))
    if tag in _NO_VALUE_TAGS:
        return None
    if tag == _END_OF_MIB_VIEW_TAG:
        return END_OF_MIB_VIEW
    raise WireError(f"unknown value type 0x{tag:02x}")


def _header(data: memoryview, position: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``position``."""
    tag = data[position]
    length = data[position + 1]
    position += 2
    if length & 0x80:
        octets = length & 0x7F
        if not 0 < octets <= 4:  # no SNMP message is 4 GB
            raise WireError("unsupported length form")
        length = int.from_bytes(data[position : position + octets], "big")
        position += octets
    end = position + length
    if end > len(data):
        raise WireError("length beyond the message")
    return tag, position, end


def _expect_integer(data: memoryview, position: int) -> tuple[int, int]:
    tag, start, end = _header(data, position)
    if tag != _INTEGER or start == end:
        raise WireError("expected an INTEGER")
    return int.from_bytes(data[start:end], "big", signed=True), end


def _decode_oid(content: memoryview) -> Oid:
    if not content:
        raise WireError("empty OBJECT IDENTIFIER")
    raw = bytes(content)
    if raw.isascii():  # every sub-identifier below 128: one octet each (most of a walk)
        first = raw[0]
        head = (first // 40, first % 40) if first < 80 else (2, first - 80)
        return (*head, *raw[1:])
    arcs: list[int] = []
    value = 0
    for octet in content:
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    if content[-1] & 0x80:
        raise WireError("OBJECT IDENTIFIER ends inside a sub-identifier")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *arcs[1:])


def _encode_oid(oid: Oid) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise ValueError(f"not an OBJECT IDENTIFIER: {oid}")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0:
            raise ValueError(f"not an OBJECT IDENTIFIER: {oid}")
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def _integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return _tlv(_INTEGER, value.to_bytes(size, "big", signed=True))


def _tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big") + content
