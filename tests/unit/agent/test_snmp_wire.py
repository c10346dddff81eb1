"""The hand-written SNMP v1/v2c codec against pysnmp's own (pyasn1) encoder and decoder."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905

from remotecare.agent.probes.snmp_wire import (
    END_OF_MIB_VIEW,
    PduKind,
    WireError,
    decode_response,
    encode_request,
)

V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
SYS_DESCR_0 = (1, 3, 6, 1, 2, 1, 1, 1, 0)


def _response(
    var_binds: list[tuple[tuple[int, ...], Any]],
    *,
    request_id: int = 4242,
    status: int = 0,
    index: int = 0,
    module: Any = V2C,
    community: str = "public",
) -> bytes:
    pdu = module.GetResponsePDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, request_id)
    module.apiPDU.set_error_status(pdu, status)
    module.apiPDU.set_error_index(pdu, index)
    module.apiPDU.set_varbinds(pdu, var_binds)
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def test_every_v2c_value_type_decodes_as_plain_python() -> None:
    values = [
        rfc1902.Integer32(-5),
        rfc1902.OctetString(b"\x00\xffHP"),
        rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1)),
        rfc1902.IpAddress("192.0.2.10"),
        rfc1902.Counter32(4294967295),
        rfc1902.Gauge32(100),
        rfc1902.TimeTicks(217539735),
        rfc1902.Opaque(b"\x9f\x78\x04"),
        rfc1902.Counter64(2**64 - 1),
        rfc1905.NoSuchObject(""),
        rfc1905.NoSuchInstance(""),
        rfc1905.EndOfMibView(""),
    ]
    oids = [(1, 3, 6, 1, 2, 1, 43, 11, 1, 1, n, 1, 1) for n in range(len(values))]
    response = decode_response(_response(list(zip(oids, values, strict=True))))
    assert response.request_id == 4242
    assert (response.error_status, response.error_index) == (0, 0)
    assert response.version == 1
    assert response.community == b"public"
    assert response.var_binds == list(
        zip(
            oids,
            [
                -5,
                b"\x00\xffHP",
                "1.3.6.1.4.1.11.2.3.9.1",
                bytes((192, 0, 2, 10)),
                4294967295,
                100,
                217539735,
                b"\x9f\x78\x04",
                2**64 - 1,
                None,
                None,
                END_OF_MIB_VIEW,
            ],
            strict=True,
        )
    )


def test_a_v1_response_with_an_error_status_keeps_status_and_index() -> None:
    response = decode_response(
        _response([(SYS_DESCR_0, V1.Null(""))], status=2, index=1, module=V1, community="ricoh")
    )
    assert (response.version, response.error_status, response.error_index) == (0, 2, 1)
    assert response.var_binds == [(SYS_DESCR_0, None)]


def test_a_large_response_uses_long_lengths() -> None:
    text = b"x" * 3000
    response = decode_response(_response([(SYS_DESCR_0, rfc1902.OctetString(text))] * 3))
    assert [value for _, value in response.var_binds] == [text] * 3


@pytest.mark.parametrize(
    ("kind", "version", "pdu_class"),
    [
        (PduKind.GET, "2c", V2C.GetRequestPDU),
        (PduKind.GETNEXT, "1", V1.GetNextRequestPDU),
        (PduKind.GETBULK, "2c", V2C.GetBulkRequestPDU),
    ],
)
def test_requests_decode_with_pysnmp_as_sent(kind: PduKind, version: str, pdu_class: Any) -> None:
    oids = [SYS_DESCR_0, (1, 3, 6, 1, 2, 1, 43, 11), (1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 19, 5)]
    data = encode_request(
        kind, version, "p0001-acme", 2**31 - 1, oids, non_repeaters=1, max_repetitions=29
    )
    module = V1 if version == "1" else V2C
    message, rest = decoder.decode(data, asn1Spec=module.Message())
    assert rest == b""
    assert bytes(module.apiMessage.get_community(message)) == b"p0001-acme"
    pdu = module.apiMessage.get_pdu(message)
    assert pdu.isSameTypeWith(pdu_class())
    assert int(module.apiPDU.get_request_id(pdu)) == 2**31 - 1
    assert [tuple(oid) for oid, _ in module.apiPDU.get_varbinds(pdu)] == oids
    if kind is PduKind.GETBULK:
        assert int(V2C.apiBulkPDU.get_non_repeaters(pdu)) == 1
        assert int(V2C.apiBulkPDU.get_max_repetitions(pdu)) == 29


def test_snmpv1_has_no_getbulk() -> None:
    with pytest.raises(ValueError, match="no GETBULK"):
        encode_request(PduKind.GETBULK, "1", "public", 1, [SYS_DESCR_0])


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # cut short
        lambda data: data + b"\x00",  # trailing bytes
        lambda data: b"\x31" + data[1:],  # not a SEQUENCE
        lambda data: data[:-3] + b"\x47\x01\x07",  # an unknown value type
        lambda data: b"",
        lambda data: b"\x30\x84\xff\xff\xff\xff",  # a length beyond the message
    ],
)
def test_a_malformed_datagram_is_a_wire_error(damage: Any) -> None:
    data = _response([(SYS_DESCR_0, rfc1902.Integer32(7))])
    with pytest.raises(WireError):
        decode_response(damage(data))


def test_a_request_is_no_response() -> None:
    with pytest.raises(WireError, match="not a Response PDU"):
        decode_response(encode_request(PduKind.GET, "2c", "public", 1, [SYS_DESCR_0]))


def test_object_identifiers_survive_encoding_and_decoding() -> None:
    rng = random.Random(17)
    for _ in range(2000):
        first = rng.choice((0, 1, 2))
        second = rng.randrange(40) if first < 2 else rng.randrange(300)
        rest = tuple(rng.choice((rng.randrange(128), rng.randrange(1 << 32))) for _ in range(8))
        oid = (first, second, *rest[: rng.randrange(9)])
        data = encode_request(PduKind.GET, "2c", "public", 1, [oid])
        message, _ = decoder.decode(data, asn1Spec=V2C.Message())
        [(decoded, _value)] = V2C.apiPDU.get_varbinds(V2C.apiMessage.get_pdu(message))
        assert tuple(decoded) == oid
        assert decode_response(_response([(oid, rfc1902.Integer32(1))])).var_binds[0][0] == oid
