"""The public application form over real TLS: no account needed, the CSRF token
required, bad input answered field by field with nothing stored, submissions limited
per address."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.contracts.form_limit import APPLICATION_FORM_LIMIT
from remotecare.center.contracts.tables import applications, contacts
from tests.support.centers import CenterInfo, init_center, running_center
from tests.support.device_calls import count_rows

FORM = {
    "organisation": "Acme Ltd",
    "site_name": "Head office",
    "postal_code": "100-0005",
    "address": "1-1 Marunouchi",
    "contact_name": "Hanako Yamada",
    "contact_email": "hanako@acme.example",
    "contact_phone": "+81 3 1234 5678",
    "billing_cutoff_day": "20",
    "consents_to_news": "no",
}


@pytest.fixture
async def center(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[CenterInfo, Center]]:
    info = init_center(tmp_path / "center", database_url)
    async with running_center(info) as running:
        yield info, running


async def _form_token(session: aiohttp.ClientSession, info: CenterInfo) -> str:
    async with session.get(info.console_url + "/apply", ssl=info.trusting_context()) as page:
        assert page.status == 200
        text = await page.text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, text
    return found.group(1)


async def _submit(
    info: CenterInfo, form: dict[str, str], *, services: tuple[str, ...] = ("supplies",)
) -> tuple[int, str, str | None]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        token = await _form_token(session, info)
        data = [*form.items(), *(("services", s) for s in services), ("csrf_token", token)]
        async with session.post(
            info.console_url + "/apply", data=data, ssl=info.trusting_context()
        ) as response:
            return response.status, await response.text(), response.headers.get("Retry-After")


async def test_a_customer_applies_without_an_account(center: tuple[CenterInfo, Center]) -> None:
    info, running = center
    status, page, _ = await _submit(info, FORM, services=("supplies", "meters"))
    assert status == 201, page
    assert "application number 1 was received" in page
    with running.transactions.read() as conn:
        [listed] = running.contracts.applications(conn, ADMINISTRATOR)
    assert (listed.organisation, listed.status, listed.channel) == (
        "Acme Ltd",
        "submitted",
        "public_form",
    )
    assert sorted(listed.services) == ["meters", "supplies"]
    assert listed.submitted_by == "public form from 127.0.0.1"


async def test_bad_input_is_answered_field_by_field_and_stores_nothing(
    center: tuple[CenterInfo, Center],
) -> None:
    info, _ = center
    bad = {**FORM, "contact_email": "hanako-at-acme", "consents_to_news": ""}
    status, page, _ = await _submit(info, bad, services=())
    assert status == 422
    assert "is not an e-mail address" in page
    assert "explicit true or false" in page
    assert "services must list at least one" in page
    assert 'value="Acme Ltd"' in page  # what was typed is kept for the next try
    assert count_rows(info, applications) == 0
    assert count_rows(info, contacts) == 0


async def test_a_form_without_its_token_is_refused(center: tuple[CenterInfo, Center]) -> None:
    info, _ = center
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            info.console_url + "/apply",
            data={**FORM, "services": "supplies"},
            ssl=info.trusting_context(),
        ) as response,
    ):
        assert response.status == 403
    assert count_rows(info, applications) == 0


async def test_submissions_from_one_address_are_limited(
    center: tuple[CenterInfo, Center],
) -> None:
    info, _ = center
    for n in range(APPLICATION_FORM_LIMIT.per_client):
        status, page, _ = await _submit(info, {**FORM, "organisation": f"Org {n}"})
        assert status == 201, page
    status, page, retry_after = await _submit(info, {**FORM, "organisation": "One too many"})
    assert status == 429
    assert "Too many applications" in page
    assert retry_after is not None
    assert int(retry_after) > 0
    assert count_rows(info, applications) == APPLICATION_FORM_LIMIT.per_client


async def test_the_form_speaks_the_browsers_language(center: tuple[CenterInfo, Center]) -> None:
    info, _ = center
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        for language, title in (
            ("ja", "リモートケアのお申し込み"),
            ("en", "Apply for Remote Care"),
        ):
            async with session.get(
                info.console_url + "/apply",
                headers={"Accept-Language": language},
                ssl=info.trusting_context(),
            ) as page:
                text = await page.text()
            assert title in text
            assert f'lang="{language}"' in text
