"""The care feed in real center processes, on SQLite and PostgreSQL: a worker killed in
the middle of a batch loses and doubles nothing, and with two workers each reading is
handled once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import aiohttp
from sqlalchemy import Connection, Table, func, select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.agent.uplink import agent_tls_context
from remotecare.center.care.history.tables import counter_samples, counter_series
from remotecare.center.care.tables import care_feed, care_feed_retries
from remotecare.protocol.messages import Report, ReportBatch
from tests.support.care import BATCH_STARTED, create_handled_log, handled_log
from tests.support.centers import (
    CenterInfo,
    center_process,
    enrolment_token,
    init_center,
    serving_center,
)
from tests.support.reports import a_history

_DRAINED_WITHIN_S = 60.0


async def enrolled_contexts(info: CenterInfo, root: Path, count: int) -> list[ssl.SSLContext]:
    contexts: list[ssl.SSLContext] = []
    for n in range(count):
        paths = AgentPaths(root / f"agent-{n}")
        await enrol(paths, info.console_url, enrolment_token(info), info.ca_fingerprint)
        contexts.append(agent_tls_context(paths))
    return contexts


async def send(
    info: CenterInfo, context: ssl.SSLContext, batches: Sequence[Sequence[Report]]
) -> None:
    """Each batch on a new connection (so the kernel spreads them over the workers)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        for batch in batches:
            body = ReportBatch(reports=list(batch)).model_dump_json()
            async with session.post(
                info.device_url + "/api/v1/report-batches",
                data=body,
                headers={"Content-Type": "application/json"},
                ssl=context,
            ) as response:
                assert response.status == 201, await response.text()


def wait_for(condition: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {within_s} s")
        time.sleep(0.2)


@contextlib.contextmanager
def stored(info: CenterInfo) -> Iterator[Connection]:
    """A connection to what the center stored (nothing pooled is left over)."""
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def count(info: CenterInfo, table: Table) -> int:
    with stored(info) as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def drained(info: CenterInfo) -> bool:
    return count(info, care_feed) == 0 and count(info, care_feed_retries) == 0


def handled_ids(info: CenterInfo) -> Counter[str]:
    with stored(info) as conn:
        return Counter(conn.execute(select(handled_log.c.report_id)).scalars())


def total_samples(info: CenterInfo) -> int:
    """Samples of the "total" counters: one per reading, as every reading prints pages."""
    query = (
        select(func.count())
        .select_from(counter_samples.join(counter_series))
        .where(counter_series.c.name == "total")
    )
    with stored(info) as conn:
        return int(conn.execute(query).scalar_one())


def center_with_log(tmp_path: Path, database_url: str) -> CenterInfo:
    """A new center home whose database also holds the recording consumer's log."""
    info = init_center(tmp_path / "center", database_url)
    engine = info.read_engine()
    create_handled_log(engine)
    engine.dispose()
    return info


def care_center(
    info: CenterInfo, log: Path, *options: str
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """``tests.support.care`` serving ``info``'s home (history and recording consumers)."""
    home = info.settings.home
    return serving_center(
        home,
        log,
        [info.settings.console_port, info.settings.device_port],
        serve_args=["--home", str(home), *options],
        module="tests.support.care",
    )


async def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
    tmp_path: Path, database_url: str
) -> None:
    info = center_with_log(tmp_path, database_url)
    home = info.settings.home
    sent = [r for n in range(6) for r in a_history(f"K-{n}", 50)]  # 300, more than one batch
    with care_center(info, tmp_path / "first.log", "--slow-s", "60") as process:
        (context,) = await enrolled_contexts(info, tmp_path, 1)
        await send(info, context, [sent])  # one transaction: all in the feed at once
        wait_for((home / BATCH_STARTED).exists, 30, "a batch")
        process.send_signal(signal.SIGKILL)  # the consumer sleeps inside its batch
        process.wait(10)
    assert handled_ids(info) == Counter()  # the batch in hand was rolled back
    assert count(info, care_feed) == len(sent)
    with care_center(info, tmp_path / "again.log"):
        wait_for(lambda: drained(info), _DRAINED_WITHIN_S, "the feed drained after a restart")
    assert handled_ids(info) == Counter({str(r.report_id): 1 for r in sent})
    assert total_samples(info) == len(sent)


async def test_two_workers_hand_each_reading_to_the_consumers_once(
    tmp_path: Path, database_url: str
) -> None:
    info = center_with_log(tmp_path, database_url)
    with care_center(info, tmp_path / "center.log", "--workers", "2"):
        contexts = await enrolled_contexts(info, tmp_path, 4)
        sent = [a_history(f"W{n}-{p}", 40) for n in range(4) for p in range(3)]
        batches = [[h[i : i + 10] for h in sent[n * 3 : n * 3 + 3] for i in range(0, 40, 10)]
                   for n in range(4)]  # fmt: skip
        await asyncio.gather(*(send(info, c, b) for c, b in zip(contexts, batches, strict=True)))
        wait_for(lambda: drained(info), _DRAINED_WITHIN_S, "the feed drained")
    every = [str(r.report_id) for history in sent for r in history]
    assert handled_ids(info) == Counter(dict.fromkeys(every, 1))
    assert total_samples(info) == len(every)


async def test_the_center_with_two_workers_keeps_the_history_of_every_reading(
    tmp_path: Path, database_url: str
) -> None:
    info = init_center(tmp_path / "center", database_url)
    with center_process(info, tmp_path / "center.log", serve_args=["--workers", "2"]):
        contexts = await enrolled_contexts(info, tmp_path, 2)
        sent = [a_history(f"C{n}", 60) for n in range(2)]
        batches = [[h[i : i + 15] for i in range(0, 60, 15)] for h in sent]
        await asyncio.gather(*(send(info, c, b) for c, b in zip(contexts, batches, strict=True)))
        wait_for(lambda: drained(info), _DRAINED_WITHIN_S, "the feed drained")
    assert total_samples(info) == 120
