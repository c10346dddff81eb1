"""What printers repeat of people never reaches the center's database (terms, article
5(2)): a printer whose supply description names a user, an e-mail address, a host and a
share, whose location names a person, at an address given by host name, read by the real
agent over SNMP (snmpsim on loopback) and stored by the real center (separate processes,
both backends); then every stored text of every table is scanned."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.center.fleet.tables import printers
from remotecare.demo.fleet import DEMO_FLEET, running_fleet
from remotecare.demo.snmpsim import free_udp_port
from tests.support.centers import CenterInfo, center_process, enrolment_token, init_center
from tests.support.database_scan import stored_texts
from tests.support.processes import started

pytestmark = pytest.mark.timeout(300)

PERSON, HOST = "anna.berg", "PC-ANNA-07"
SAYS = f"Black Toner (user: {PERSON}, {PERSON}@example.com, host: {HOST}, \\\\FS01\\scans\\anna)"

# The contact persons the customer's application names are kept on purpose (read only
# through the privacy service, audited): not what a printer said.
CONTRACTS_CONTACTS = "contacts."
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
USER_NAME = re.compile(r"\buser\s*[:=]\s*(?!pseud:)\S", re.IGNORECASE)


def _stored(info: CenterInfo) -> list[tuple[str, str]]:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            return list(stored_texts(conn))
    finally:
        engine.dispose()


def _printers_read(info: CenterInfo) -> int:
    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(printers.c.latest_reading.is_not(None))
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def test_no_personal_value_from_a_printer_is_stored(tmp_path: Path, database_url: str) -> None:
    model = DEMO_FLEET[0]
    talkative = dataclasses.replace(
        model,
        sys_location=f"Desk of {PERSON}",
        supplies=(dataclasses.replace(model.supplies[0], description=SAYS), *model.supplies[1:]),
    )
    info = init_center(tmp_path / "center", database_url)
    with center_process(info, tmp_path / "center.log"):
        paths = AgentPaths(tmp_path / "agent")
        asyncio.run(enrol(paths, info.console_url, enrolment_token(info), info.ca_fingerprint))
        with running_fleet(tmp_path / "fleet", printers=[talkative], port=free_udp_port()) as fleet:
            by_name = fleet.url(talkative).replace("127.0.0.1", "localhost")
            (paths.home / "agent.toml").write_text(
                f'poll_interval_seconds = 2.0\nsnmp_retries = 0\nprinters = ["{by_name}"]\n'
            )
            agent = [sys.executable, "-m", "remotecare", "agent", "run", "--home", str(paths.home)]
            with started(agent, tmp_path / "agent.log", what="the agent"):
                deadline = time.monotonic() + 90
                while _printers_read(info) == 0:
                    assert time.monotonic() < deadline, "no reading stored within 90 s"
                    time.sleep(0.5)
    stored = _stored(info)
    assert any("pseud:" in text for _, text in stored)  # the description did arrive
    leaks = [
        f"{where}: {text[:120]}"
        for where, text in stored
        if (not where.startswith(CONTRACTS_CONTACTS) and EMAIL.search(text))
        or USER_NAME.search(text)
        or any(value in text.casefold() for value in (PERSON, HOST.casefold(), "localhost"))
    ]
    assert leaks == []
