"""The endpoint directory reads the database once for a burst of requests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from remotecare.center.identity.directory import EndpointDirectory
from remotecare.center.identity.rules import EndpointRecord
from remotecare.center.kernel.transactions import Transactions
from tests.support.schema import migrated_engine


class CountingDirectory(EndpointDirectory):
    reads = 0

    def load(self, endpoint_id: str, serial_hex: str) -> EndpointRecord | None:
        self.reads += 1
        return super().load(endpoint_id, serial_hex)


async def test_a_burst_of_requests_for_one_endpoint_reads_it_once(tmp_path: Path) -> None:
    engine = migrated_engine("", tmp_path / "center.db")
    directory = CountingDirectory(Transactions(engine))
    records = await asyncio.gather(*(directory.lookup("e-1", "ab") for _ in range(50)))
    assert records == [None] * 50  # unknown endpoint, answered alike
    assert directory.reads == 1
    await directory.lookup("e-1", "ab")  # cached for up to a second
    assert directory.reads == 1
    engine.dispose()
