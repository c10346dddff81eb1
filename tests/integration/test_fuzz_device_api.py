"""Fuzz the device API from its own OpenAPI document: no input gets a server error.

Schemathesis generates valid and invalid requests for every operation the running center
describes at ``/api/v1/openapi.json`` and sends them over mutual TLS as an enrolled agent;
the answers must never be 5xx, must use a documented status code and match its schema.

``make test`` sends a few hundred cases; ``make fuzz`` sets ``REMOTECARE_FUZZ_CASES``
(1,000 or more) and the run must then send at least that many.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Err

from remotecare.agent.config import AgentPaths
from remotecare.agent.enrolment import enrol
from remotecare.center.bootstrap import bootstrap
from remotecare.center.server import CenterServer
from tests.support.centers import CenterInfo, init_center
from tests.support.contracts import issue_token

MAX_EXAMPLES = 30  # per operation and mode in `make test`: well under a minute
CASES_WANTED = int(os.environ.get("REMOTECARE_FUZZ_CASES", "0"))  # `make fuzz`: at least


@dataclass
class Target:
    info: CenterInfo
    session: requests.Session


@contextlib.contextmanager
def center_in_a_thread(info: CenterInfo) -> Iterator[Any]:
    """The center on its own event loop in a thread, for synchronous clients."""
    loop = asyncio.new_event_loop()
    center = bootstrap(info.settings)
    server = CenterServer(center)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="center", daemon=True)
    thread.start()
    assert started.wait(30), "center did not start"
    try:
        yield center
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


@pytest.fixture
def target(tmp_path: Path, database_url: str) -> Iterator[Target]:
    info = init_center(tmp_path / "center", database_url)
    with center_in_a_thread(info) as center:
        issued = issue_token(center, "Acme Ltd")
        paths = AgentPaths(tmp_path / "agent")
        asyncio.run(enrol(paths, info.console_url, issued.token, info.ca_fingerprint))
        with requests.Session() as session:
            session.cert = (str(paths.certificate), str(paths.key))
            session.verify = str(info.settings.ca_cert_file)
            yield Target(info, session)


def _operations(target: Target) -> list[Any]:
    answer = target.session.get(
        target.info.device_url + "/api/v1/openapi.json", verify=target.session.verify, timeout=10
    )
    answer.raise_for_status()
    schema = schemathesis.openapi.from_dict(answer.json(), config=SchemathesisConfig())
    operations: list[Any] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return operations


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _examples_per_run(operations: int) -> int:
    """Examples per operation and mode: enough for ``CASES_WANTED`` in all, with room for
    operations whose few parameters run out of distinct cases early."""
    if not CASES_WANTED:
        return MAX_EXAMPLES
    return max(MAX_EXAMPLES, math.ceil(CASES_WANTED / operations))


@pytest.mark.timeout(max(120, CASES_WANTED // 2))
def test_no_request_gets_a_server_error(target: Target) -> None:
    """Valid and invalid requests for each described operation (schemathesis' Python API
    with hypothesis directly: its pytest plugin's lazy schemas do not run on pytest 9)."""
    operations = _operations(target)
    assert any(op.path == "/api/v1/reports" for op in operations)
    examples = _examples_per_run(len(operations))
    sent = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: Any) -> None:
                nonlocal sent
                sent += 1
                response = case.call(
                    base_url=target.info.device_url,
                    session=target.session,
                    verify=target.session.verify,  # REQUESTS_CA_BUNDLE would override it
                    timeout=10,
                )
                case.validate_response(response, checks=CHECKS)

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing to make invalid: no body and no parameters are described.
                assert mode is GenerationMode.NEGATIVE, operation.label
    print(f"{sent} cases sent to {len(operations)} operations")  # seen with `pytest -s`
    assert sent >= CASES_WANTED, f"only {sent} cases of {CASES_WANTED}"
