"""The v1/v2c transport over real UDP on loopback: what it drops, when it sends again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from remotecare.agent.probes.snmp import SnmpTarget, get
from remotecare.errors import ProbeTimeout

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
SYS_DESCR_0 = (1, 3, 6, 1, 2, 1, 1, 1, 0)
Answer = Callable[[int, int], list[bytes]]  # (request id, datagram number) -> datagrams


def _answer(request_id: int, *, community: str = "public", text: bytes = b"Acme") -> bytes:
    pdu = V2C.GetResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_varbinds(pdu, [(SYS_DESCR_0, rfc1902.OctetString(text))])
    message = V2C.Message()
    V2C.apiMessage.set_defaults(message)
    V2C.apiMessage.set_community(message, community)
    V2C.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


class _Printer(asyncio.DatagramProtocol):
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.received = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message, _ = decoder.decode(data, asn1Spec=V2C.Message())
        request_id = int(V2C.apiPDU.get_request_id(V2C.apiMessage.get_pdu(message)))
        self.received += 1
        assert self.transport is not None
        for datagram in self.answer(request_id, self.received):
            self.transport.sendto(datagram, addr)


@asynccontextmanager
async def _printer(answer: Answer) -> AsyncIterator[tuple[SnmpTarget, _Printer]]:
    loop = asyncio.get_running_loop()
    transport, printer = await loop.create_datagram_endpoint(
        lambda: _Printer(answer), local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        yield SnmpTarget("127.0.0.1", port, "public"), printer
    finally:
        transport.close()


async def test_garbage_other_ids_and_other_communities_are_dropped() -> None:
    def answer(request_id: int, _number: int) -> list[bytes]:
        return [
            b"\x30\x03\x02\x01",  # malformed
            _answer(request_id + 1, text=b"stale"),
            _answer(request_id, community="other", text=b"spoofed"),
            _answer(request_id),
        ]

    async with _printer(answer) as (target, printer):
        values = await get(target, [SYS_DESCR_0], timeout_s=2.0, retries=0)
    assert values == {SYS_DESCR_0: b"Acme"}
    assert printer.received == 1


async def test_a_lost_request_is_sent_again_after_the_timeout() -> None:
    def answer(request_id: int, number: int) -> list[bytes]:
        return [] if number == 1 else [_answer(request_id)]

    async with _printer(answer) as (target, printer):
        values = await get(target, [SYS_DESCR_0], timeout_s=0.3, retries=1)
    assert values == {SYS_DESCR_0: b"Acme"}
    assert printer.received == 2


async def test_a_printer_that_never_answers_times_out_after_every_try() -> None:
    async with _printer(lambda _id, _number: []) as (target, printer):
        with pytest.raises(ProbeTimeout, match=r"within 0\.4 s \(2 tries of 0\.2 s\)"):
            await asyncio.wait_for(get(target, [SYS_DESCR_0], timeout_s=0.2, retries=1), 5)
    assert printer.received == 2
