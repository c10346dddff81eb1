"""The console pages of the service's work over HTTPS against a real center (SQLite and
PostgreSQL): the fleet overview, the incidents list (filters and pages in the database),
an incident's page with its timeline, acknowledging and resolving it with a note, and the
device page's incidents; each person scoped to what they may see (an operator everything,
a customer its own incidents read-only, a subcontractor the incidents assigned to its
company), and bad input answered with a page, never an error, and changing nothing."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from remotecare.agent.config import AgentPaths
from remotecare.center.access.partners import Partners
from remotecare.center.access.rules import Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.bootstrap import Center
from remotecare.center.care.incidents.tables import incident_timeline, incidents
from remotecare.center.care.supplies.rules.lifecycle import Transition
from remotecare.center.care.supplies.tables import supply_orders
from remotecare.center.contracts.service import customer_by_name
from remotecare.center.fleet.tables import printers
from remotecare.protocol.codec import encode
from remotecare.protocol.messages import (
    Alert,
    BundleDeclaration,
    BundleReason,
    Report,
    new_report_id,
)
from tests.support.centers import OPERATOR_PASSWORD, CenterInfo, init_center, running_center
from tests.support.console_login import form_token
from tests.support.device_calls import call, enrol
from tests.support.reports import a_plain_reading
from tests.support.supplies import an_order

PASSWORD = "a long passphrase of the work pages"
JAMMED = 27  # paper jams at Acme: two pages of 25
pytestmark = pytest.mark.asyncio(loop_scope="module")  # one center for the module


@dataclass
class Work:
    info: CenterInfo
    center: Center
    devices: dict[str, int]  # serial -> device id
    incident_of: dict[str, int]  # serial -> its incident's id
    acme: int
    globex: int


def _faulty(serial: str, *errors: str, alerts: list[Alert] | None = None) -> Report:
    reading = a_plain_reading(serial)
    status = reading.status.model_copy(update={"error_conditions": list(errors)})
    return Report(
        report_id=new_report_id(),
        agent_time=datetime.now(UTC),
        printer_address=f"snmp://{serial.lower()}.example:161",
        reading=reading.model_copy(update={"status": status, "alerts": alerts or []}),
    )


_FUSER = Alert(
    index=40,
    severity="critical",
    training_level="fieldService",
    group="marker",
    group_index=1,
    code="markerFuserThermistorFailure",
    description="SC542 fusing thermistor error: call service",
)


async def _send(paths: AgentPaths, info: CenterInfo, report: Report) -> None:
    status, answer = await call(info.device_url + "/api/v1/reports", paths, encode(report))
    assert status in (200, 201), answer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def work(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> AsyncIterator[Work]:
    home = tmp_path_factory.mktemp("console-work")
    info = init_center(home / "center", module_database_url)
    async with running_center(info) as center:
        acme, _ = await enrol(info, center, home / "acme")
        globex, _ = await enrol(info, center, home / "globex", customer="Globex Corp")
        for n in range(1, JAMMED + 1):
            await _send(acme, info, _faulty(f"ACME-{n:02d}", "jammed"))
        await _send(acme, info, _faulty("ACME-PAPER", "noPaper"))
        await _send(acme, info, _faulty("ACME-FUSER", alerts=[_FUSER]))
        await _send(globex, info, _faulty("GLOBEX-1", "jammed"))
        expected = JAMMED + 3
        for _ in range(200):  # the care feed's drainer runs just behind ingest
            with center.transactions.read() as conn:
                opened = conn.execute(select(func.count()).select_from(incidents)).scalar_one()
            if opened >= expected:
                break
            await asyncio.sleep(0.05)
        assert opened == expected
        with center.transactions.read() as conn:
            devices = {
                row.serial: row.id for row in conn.execute(select(printers.c.serial, printers.c.id))
            }
            serial_of = {id_: serial for serial, id_ in devices.items()}
            incident_of = {
                serial_of[row.printer_id]: row.id
                for row in conn.execute(select(incidents.c.id, incidents.c.printer_id))
            }
        with center.transactions.begin() as conn:
            acme_id = customer_by_name(conn, "Acme Ltd")
            globex_id = customer_by_name(conn, "Globex Corp")
            assert acme_id is not None
            assert globex_id is not None
            center.accounts.create_user(conn, "acme-user", PASSWORD, Role.CUSTOMER_USER, acme_id)
            partners = Partners(center.clock)
            company = partners.create(conn, ADMINISTRATOR, "Fix-It KK", Role.SUBCONTRACTOR)
            partners.assign_work(
                conn,
                ADMINISTRATOR,
                company,
                WorkKind.INCIDENT,
                str(incident_of["ACME-FUSER"]),
                acme_id,
            )
            center.accounts.create_user(conn, "fixit", PASSWORD, Role.SUBCONTRACTOR, None, company)
        yield Work(info, center, devices, incident_of, acme_id, globex_id)


@pytest_asyncio.fixture(loop_scope="module")
async def browser_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        yield session


async def _log_in(session: aiohttp.ClientSession, info: CenterInfo, name: str) -> None:
    session.cookie_jar.clear()
    token = await form_token(session, info)
    password = OPERATOR_PASSWORD if name == "operator" else PASSWORD
    async with session.post(
        info.console_url + "/login",
        data={"username": name, "password": password, "csrf_token": token},
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert response.status == 303


async def _get(
    session: aiohttp.ClientSession, info: CenterInfo, path: str, **headers: str
) -> tuple[int, str]:
    async with session.get(
        info.console_url + path, ssl=info.trusting_context(), headers=headers
    ) as response:
        return response.status, await response.text()


async def _post(
    session: aiohttp.ClientSession, info: CenterInfo, path: str, **form: str
) -> tuple[int, str, str]:
    """POST a form with the page's token (unless ``csrf_token`` is given); the status,
    the page and where it leads."""
    if "csrf_token" not in form:
        form["csrf_token"] = await form_token(session, info)
    async with session.post(
        info.console_url + path, data=form, ssl=info.trusting_context(), allow_redirects=False
    ) as response:
        return response.status, await response.text(), response.headers.get("Location", "")


def _incident_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-incident="(\d+)"', page)]


def _count(page: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(?:<span class="number">)?([\d,]+)', page)
    assert found, name
    return int(found.group(1).replace(",", ""))


def _timeline(work: Work, incident_id: int) -> list[tuple[str, str | None]]:
    with work.center.transactions.read() as conn:
        rows = conn.execute(
            select(incident_timeline.c.change, incident_timeline.c.note)
            .where(incident_timeline.c.incident_id == incident_id)
            .order_by(incident_timeline.c.id)
        ).all()
    return [(row.change, row.note) for row in rows]


async def test_the_overview_counts_the_fleet_and_each_count_opens_its_list(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "operator")
    status, page = await _get(browser_session, info, "/overview")
    assert status == 200
    devices = len(work.devices)
    assert re.search(rf'data-count="total">{devices} devices', page)
    assert _count(page, "online") == devices
    assert (_count(page, "late"), _count(page, "silent"), _count(page, "low-supplies")) == (0, 0, 0)
    assert _count(page, "critical") == JAMMED + 2  # the jams (Globex's too) and the fuser
    assert _count(page, "warning") == 1  # out of paper
    assert _count(page, "info") == 0
    for link, rows in (("/incidents?severity=critical", JAMMED + 2), ("/incidents", JAMMED + 3)):
        assert f'href="{link}"' in page
        _, listed = await _get(browser_session, info, link)
        assert f"({rows})" in listed, link
    assert 'href="/devices?state=online"' in page

    await _log_in(browser_session, info, "acme-user")
    _, page = await _get(browser_session, info, "/overview", **{"Accept-Language": "ja"})
    assert _count(page, "critical") == JAMMED + 1  # Globex's jam is not theirs to count
    assert re.search(rf'data-count="total">{devices - 1} 台のデバイス', page)
    assert "GLOBEX" not in page


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("operator", "/overview"),  # the whole fleet at a glance
        ("acme-user", "/overview"),  # the customer's own printers, what needs attention
        ("fixit", "/incidents"),  # the subcontractor's assigned work
    ],
)
async def test_each_role_lands_on_its_home_after_login_and_at_the_root(
    work: Work, browser_session: aiohttp.ClientSession, name: str, home: str
) -> None:
    info = work.info
    browser_session.cookie_jar.clear()
    token = await form_token(browser_session, info)
    password = OPERATOR_PASSWORD if name == "operator" else PASSWORD
    async with browser_session.post(
        info.console_url + "/login",
        data={"username": name, "password": password, "csrf_token": token},
        ssl=info.trusting_context(),
        allow_redirects=False,
    ) as response:
        assert (response.status, response.headers["Location"]) == (303, home)
    async with browser_session.get(
        info.console_url + "/", ssl=info.trusting_context(), allow_redirects=False
    ) as response:
        assert (response.status, response.headers["Location"]) == (303, home)
    status, _ = await _get(browser_session, info, home)
    assert status == 200  # a home the person may open


async def test_the_root_sends_someone_not_logged_in_to_the_login(work: Work) -> None:
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.get(
            work.info.console_url + "/", ssl=work.info.trusting_context(), allow_redirects=False
        ) as response,
    ):
        assert (response.status, response.headers["Location"]) == (303, "/login")


async def test_the_incidents_list_filters_and_pages_in_the_database(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "operator")
    _, first = await _get(browser_session, info, "/incidents")
    assert len(_incident_ids(first)) == 25
    assert "Page 1 of 2" in first
    status, beyond = await _get(browser_session, info, "/incidents?page=999999999")
    assert status == 200
    assert "Page 2 of 2" in beyond
    assert len(_incident_ids(beyond)) == JAMMED + 3 - 25
    assert not set(_incident_ids(first)) & set(_incident_ids(beyond))
    _, page = await _get(browser_session, info, "/incidents?severity=warning")
    assert _incident_ids(page) == [work.incident_of["ACME-PAPER"]]
    _, page = await _get(browser_session, info, f"/incidents?customer={work.globex}")
    assert _incident_ids(page) == [work.incident_of["GLOBEX-1"]]
    _, page = await _get(browser_session, info, f"/incidents?device={work.devices['ACME-07']}")
    assert _incident_ids(page) == [work.incident_of["ACME-07"]]
    _, page = await _get(browser_session, info, "/incidents?q=acme-fus")  # by the serial
    assert _incident_ids(page) == [work.incident_of["ACME-FUSER"]]
    _, page = await _get(browser_session, info, "/incidents?q=SC542")  # by the detail
    assert _incident_ids(page) == [work.incident_of["ACME-FUSER"]]
    _, page = await _get(browser_session, info, "/incidents?state=resolved&severity=warning")
    assert _incident_ids(page) == []
    assert "No incident matches this search." in page


async def test_unknown_filters_sql_and_html_are_only_values(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "operator")
    for nonsense in (
        "state=sideways",
        "severity=apocalyptic",
        "customer=x",
        "device=-4",
        "page=abc",
        "page=-3",
        "device=99999999999999999999",
        "severity=%00",
    ):
        status, page = await _get(browser_session, info, "/incidents?" + nonsense)
        assert status == 200, nonsense
        assert len(_incident_ids(page)) == 25, nonsense
    for text in ("' OR 1=1 --", "%", "ACME%FUSER", "ACME'; DROP TABLE incidents; --"):
        status, page = await _get(browser_session, info, "/incidents?q=" + quote(text, safe=""))
        assert status == 200, text
        assert _incident_ids(page) == [], text
    status, page = await _get(
        browser_session, info, "/incidents?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    )
    assert status == 200
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    _, page = await _get(browser_session, info, "/incidents?state=all")
    assert f"({JAMMED + 3})" in page  # nothing was dropped
    for path in ("/incidents/abc", "/incidents/99999999", "/incidents/1/../../etc/passwd"):
        status, _ = await _get(browser_session, info, path)
        assert status == 404, path


async def test_an_operator_acknowledges_and_resolves_with_notes_on_the_timeline(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    incident = work.incident_of["ACME-03"]
    await _log_in(browser_session, info, "operator")
    status, page = await _get(browser_session, info, f"/incidents/{incident}")
    assert status == 200
    assert "Paper jam" in page
    assert 'data-change="opened"' in page
    assert f'formaction="/incidents/{incident}/resolve"' in page
    assert "snmp://acme-03.example:161" in page  # where the printer answers, for the visit

    status, _, location = await _post(
        browser_session, info, f"/incidents/{incident}/acknowledge", note="<b>on my way</b>"
    )
    assert (status, location) == (303, f"/incidents/{incident}")
    _, page = await _get(browser_session, info, f"/incidents/{incident}")
    assert "&lt;b&gt;on my way&lt;/b&gt;" in page
    assert "by operator" in page
    status, _, _ = await _post(
        browser_session, info, f"/incidents/{incident}/resolve", note="cleared the jam"
    )
    assert status == 303
    _, page = await _get(
        browser_session, info, f"/incidents/{incident}", **{"Accept-Language": "ja"}
    )
    assert 'data-state="resolved"' in page
    assert "手動で解決" in page
    assert "/acknowledge" not in page  # nothing left to do
    assert _timeline(work, incident)[1:] == [
        ("acknowledged", "<b>on my way</b>"),
        ("resolved_by_hand", "cleared the jam"),
    ]
    _, page = await _get(browser_session, info, "/incidents?state=resolved")
    assert _incident_ids(page) == [incident]


async def test_acting_on_a_resolved_incident_is_refused_clearly_and_changes_nothing(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info, center = work.info, work.center
    incident = work.incident_of["ACME-04"]
    with center.transactions.begin() as conn:
        assert center.incidents is not None
        center.incidents.resolve(conn, ADMINISTRATOR, incident, "done before")
    before = _timeline(work, incident)
    await _log_in(browser_session, info, "operator")
    for action in ("acknowledge", "resolve"):
        status, page, _ = await _post(
            browser_session, info, f"/incidents/{incident}/{action}", note="late"
        )
        assert status == 409, action
        assert "This incident is resolved already" in page
        assert "Nothing was changed." in page
    assert _timeline(work, incident) == before


async def test_a_note_too_long_or_a_form_without_its_token_changes_nothing(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    incident = work.incident_of["ACME-05"]
    before = _timeline(work, incident)
    await _log_in(browser_session, info, "operator")
    status, page, _ = await _post(
        browser_session, info, f"/incidents/{incident}/acknowledge", note="x" * 600
    )
    assert status == 422
    assert "The note is too long" in page
    status, _, _ = await _post(
        browser_session, info, f"/incidents/{incident}/resolve", note="forged", csrf_token="x"
    )
    assert status == 403
    assert _timeline(work, incident) == before


async def test_a_customer_reads_its_own_incidents_only_and_may_not_act(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "acme-user")
    _, page = await _get(browser_session, info, "/incidents?state=all&page=2")
    assert "GLOBEX" not in page
    assert "Globex" not in page
    _, page = await _get(browser_session, info, f"/incidents?customer={work.globex}")
    assert "GLOBEX" not in page
    _, page = await _get(browser_session, info, f"/incidents?device={work.devices['GLOBEX-1']}")
    assert _incident_ids(page) == []
    assert "GLOBEX" not in page  # their device's id names nothing of theirs
    theirs = work.incident_of["GLOBEX-1"]
    their_status, their_page = await _get(browser_session, info, f"/incidents/{theirs}")
    missing_status, missing_page = await _get(browser_session, info, "/incidents/99999999")
    assert (their_status, missing_status) == (404, 404)
    here = re.compile(r'name="next" value="[^"]*"')  # the language switch comes back here
    assert here.sub("", their_page) == here.sub("", missing_page)  # nothing tells them apart
    ours = work.incident_of["ACME-06"]
    status, page = await _get(browser_session, info, f"/incidents/{ours}")
    assert status == 200
    assert "Paper jam" in page
    assert "/acknowledge" not in page  # read-only
    before = _timeline(work, ours)
    status, _, _ = await _post(browser_session, info, f"/incidents/{ours}/acknowledge", note="x")
    assert status == 403
    assert _timeline(work, ours) == before


async def test_a_subcontractor_sees_and_acts_on_the_incidents_assigned_to_it_only(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info, center = work.info, work.center
    fuser = work.incident_of["ACME-FUSER"]
    content = b"diagnostic log of the fuser " * 50
    bundle_id = uuid.uuid4()
    with center.transactions.read() as conn:
        endpoint = conn.execute(
            select(printers.c.endpoint_id).where(printers.c.serial == "ACME-FUSER")
        ).scalar_one()
    with center.transactions.begin() as conn:
        declaration = BundleDeclaration(
            bundle_id=bundle_id,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            reason=BundleReason.SERVICE_REQUESTED,
            printer_serial="ACME-FUSER",
        )
        center.bundles.declare(conn, endpoint, declaration)
        center.bundles.append(conn, endpoint, bundle_id, 0, content)

    await _log_in(browser_session, info, "fixit")
    _, page = await _get(browser_session, info, "/incidents?state=all")
    assert _incident_ids(page) == [fuser]
    status, page = await _get(browser_session, info, f"/incidents/{fuser}")
    assert status == 200
    assert "Fuser failure" in page
    assert "SC542 fusing thermistor error" in page  # the printer's alert now
    assert "snmp://acme-fuser.example:161" in page
    assert "Acme Ltd" in page
    assert f'href="/incidents/{fuser}/bundle"' in page
    assert f'href="/devices/{work.devices["ACME-FUSER"]}"' not in page  # not its device
    async with browser_session.get(
        info.console_url + f"/incidents/{fuser}/bundle", ssl=info.trusting_context()
    ) as answer:
        assert answer.status == 200
        assert await answer.read() == content
    for other in (work.incident_of["ACME-08"], work.incident_of["GLOBEX-1"]):
        for path in (f"/incidents/{other}", f"/incidents/{other}/bundle"):
            status, page = await _get(browser_session, info, path)
            assert status == 404, path
        before = _timeline(work, other)
        status, _, _ = await _post(browser_session, info, f"/incidents/{other}/resolve", note="x")
        assert status == 404
        assert _timeline(work, other) == before

    status, _, _ = await _post(
        browser_session, info, f"/incidents/{fuser}/acknowledge", note="technician booked"
    )
    assert status == 303
    status, _, _ = await _post(
        browser_session, info, f"/incidents/{fuser}/resolve", note="thermistor replaced"
    )
    assert status == 303
    assert _timeline(work, fuser)[-2:] == [
        ("acknowledged", "technician booked"),
        ("resolved_by_hand", "thermistor replaced"),
    ]


async def test_the_device_page_shows_the_devices_incidents(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "operator")
    _, page = await _get(browser_session, info, f"/devices/{work.devices['ACME-09']}")
    assert 'id="device-incidents-title"' in page
    assert f'<tr data-incident="{work.incident_of["ACME-09"]}"' in page
    assert f'href="/incidents?device={work.devices["ACME-09"]}&amp;state=all"' in page
    _, page = await _get(
        browser_session,
        info,
        f"/devices/{work.devices['ACME-09']}",
        **{"Accept-Language": "ja"},
    )
    assert "紙詰まり" in page


# --- orders ------------------------------------------------------------------------------


@dataclass
class Orders:
    of: dict[str, str]  # serial -> its order's id
    assigned: str  # the order assigned to the subcontractor


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def orders(work: Work) -> Orders:
    center = work.center
    at = datetime.now(UTC)
    serials = [f"ACME-{n:02d}" for n in range(1, JAMMED + 1)] + ["ACME-PAPER", "GLOBEX-1"]
    with center.transactions.begin() as conn:
        of = {serial: an_order(conn, work.devices[serial], at) for serial in serials}
        partners = Partners(center.clock)
        company, _ = partners.by_name(conn, "Fix-It KK")
        partners.assign_work(
            conn, ADMINISTRATOR, company, WorkKind.ORDER, of["ACME-PAPER"], work.acme
        )
    return Orders(of, of["ACME-PAPER"])


def _order_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-order="([^"]+)"', page)


def _status(work: Work, order_id: str) -> tuple[str, str | None]:
    with work.center.transactions.read() as conn:
        row = conn.execute(
            select(supply_orders.c.status, supply_orders.c.tracking).where(
                supply_orders.c.id == order_id
            )
        ).one()
    return row.status, row.tracking


async def test_the_orders_list_filters_and_pages_and_the_overview_counts_them(
    work: Work, orders: Orders, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "operator")
    total = len(orders.of)
    _, first = await _get(browser_session, info, "/orders")
    assert f"({total})" in first
    assert len(_order_ids(first)) == 25
    status, beyond = await _get(browser_session, info, "/orders?page=424242")
    assert status == 200
    assert "Page 2 of 2" in beyond
    assert len(_order_ids(beyond)) == total - 25
    _, page = await _get(browser_session, info, f"/orders?customer={work.globex}")
    assert _order_ids(page) == [orders.of["GLOBEX-1"]]
    _, page = await _get(browser_session, info, f"/orders?device={work.devices['ACME-11']}")
    assert _order_ids(page) == [orders.of["ACME-11"]]
    _, page = await _get(browser_session, info, "/orders?state=installed")
    assert _order_ids(page) == []
    assert "No order matches this search." in page
    for nonsense in ("state=lost", "customer=%27%20OR%201=1", "device=x", "page=-1", "page=1e9"):
        status, page = await _get(browser_session, info, "/orders?" + nonsense)
        assert status == 200, nonsense
        assert len(_order_ids(page)) == 25, nonsense
    for path in ("/orders/not-an-order", f"/orders/{uuid.uuid4()}", "/orders/%3Cscript%3E"):
        status, _ = await _get(browser_session, info, path)
        assert status == 404, path
    _, page = await _get(browser_session, info, "/overview")
    assert _count(page, "orders") == total
    assert 'href="/orders?state=proposed"' in page


async def test_an_operator_approves_ships_and_delivers_and_a_wrong_step_changes_nothing(
    work: Work, orders: Orders, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    order = orders.of["ACME-12"]
    await _log_in(browser_session, info, "operator")
    _, page = await _get(browser_session, info, f"/orders/{order}")
    assert 'action="/orders/' + order + '/approve"' in page
    assert 'action="/orders/' + order + '/ship"' not in page  # not before it is approved
    status, _, location = await _post(browser_session, info, f"/orders/{order}/approve")
    assert (status, location) == (303, f"/orders/{order}")
    status, page, _ = await _post(browser_session, info, f"/orders/{order}/approve")
    assert status == 409
    assert "Nothing was changed." in page
    assert _status(work, order) == ("approved", None)
    status, page, _ = await _post(
        browser_session, info, f"/orders/{order}/ship", tracking="x" * 200
    )
    assert status == 422
    assert _status(work, order) == ("approved", None)
    status, _, _ = await _post(
        browser_session, info, f"/orders/{order}/ship", tracking="<b>JP-123</b>"
    )
    assert status == 303
    _, page = await _get(browser_session, info, f"/orders/{order}")
    assert "&lt;b&gt;JP-123&lt;/b&gt;" in page
    assert 'data-step="shipped"' in page
    status, _, _ = await _post(browser_session, info, f"/orders/{order}/deliver")
    assert status == 303
    assert _status(work, order) == ("delivered", "<b>JP-123</b>")

    other = orders.of["ACME-13"]
    status, page, _ = await _post(browser_session, info, f"/orders/{other}/cancel", reason=" ")
    assert status == 422
    assert "Say why the order is cancelled." in page
    assert _status(work, other) == ("proposed", None)
    status, _, _ = await _post(
        browser_session, info, f"/orders/{other}/cancel", reason="customer bought locally"
    )
    assert status == 303
    _, page = await _get(browser_session, info, f"/orders/{other}", **{"Accept-Language": "ja"})
    assert "customer bought locally" in page
    assert "取り消し" in page

    _, page = await _get(browser_session, info, f"/devices/{work.devices['ACME-12']}")
    assert f'<tr data-order="{order}" data-status="delivered">' in page


async def test_a_customer_reads_its_own_orders_only(
    work: Work, orders: Orders, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "acme-user")
    _, page = await _get(browser_session, info, "/orders?state=all&page=2")
    assert orders.of["GLOBEX-1"] not in page
    _, page = await _get(browser_session, info, f"/orders?device={work.devices['GLOBEX-1']}")
    assert _order_ids(page) == []
    assert "GLOBEX" not in page
    theirs = orders.of["GLOBEX-1"]
    status, page = await _get(browser_session, info, f"/orders/{theirs}")
    assert status == 404
    assert "GLOBEX" not in page
    ours = orders.of["ACME-14"]
    status, page = await _get(browser_session, info, f"/orders/{ours}")
    assert status == 200
    assert 'class="order-step"' not in page  # read-only
    for step in ("approve", "ship", "deliver", "cancel"):
        status, _, _ = await _post(browser_session, info, f"/orders/{ours}/{step}", reason="x")
        assert status == 403, step
    assert _status(work, ours) == ("proposed", None)


async def test_a_subcontractor_ships_and_delivers_the_order_assigned_to_it_only(
    work: Work, orders: Orders, browser_session: aiohttp.ClientSession
) -> None:
    info, center = work.info, work.center
    mine = orders.assigned
    with center.transactions.begin() as conn:
        center.orders.act(conn, ADMINISTRATOR, mine, Transition.APPROVE)
    await _log_in(browser_session, info, "fixit")
    _, page = await _get(browser_session, info, "/orders?state=all")
    assert _order_ids(page) == [mine]
    _, page = await _get(browser_session, info, f"/orders/{mine}")
    assert f'action="/orders/{mine}/ship"' in page
    assert f'action="/orders/{mine}/cancel"' not in page  # the operator's step
    status, _, _ = await _post(browser_session, info, f"/orders/{mine}/cancel", reason="x")
    assert status == 403
    for other in (orders.of["ACME-15"], orders.of["GLOBEX-1"]):
        status, _ = await _get(browser_session, info, f"/orders/{other}")
        assert status == 404
        status, _, _ = await _post(browser_session, info, f"/orders/{other}/ship")
        assert status == 404
        assert _status(work, other) == ("proposed", None)
    status, _, _ = await _post(browser_session, info, f"/orders/{mine}/ship", tracking="YMT-9")
    assert status == 303
    status, _, _ = await _post(browser_session, info, f"/orders/{mine}/deliver")
    assert status == 303
    assert _status(work, mine) == ("delivered", "YMT-9")


async def test_the_visit_shows_the_site_and_the_contact_on_request_with_an_audit_entry(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info, center = work.info, work.center
    fuser = work.incident_of["ACME-FUSER"]
    with center.transactions.read() as conn:
        before = len(center.privacy.audit_entries(conn, ADMINISTRATOR))
    await _log_in(browser_session, info, "fixit")
    _, page = await _get(browser_session, info, f"/incidents/{fuser}")
    assert "1-1 Marunouchi" in page  # the site's address
    assert "Hanako Yamada" not in page  # personal data only when asked for
    assert f'href="/incidents/{fuser}?contact=1"' in page
    with center.transactions.read() as conn:
        assert len(center.privacy.audit_entries(conn, ADMINISTRATOR)) == before
    status, page = await _get(browser_session, info, f"/incidents/{fuser}?contact=1")
    assert status == 200
    assert "Hanako Yamada" in page
    assert "+81 3 1234 5678" in page
    assert "hanako@" not in page  # a subcontractor gets the name and the phone, no more
    with center.transactions.read() as conn:
        entries = center.privacy.audit_entries(conn, ADMINISTRATOR)[before:]
    assert [(e.actor, e.actor_role, e.purpose, e.fields) for e in entries] == [
        ("fixit", "subcontractor", 1, ("name", "phone"))
    ]
    other = work.incident_of["ACME-10"]
    status, page = await _get(browser_session, info, f"/incidents/{other}?contact=1")
    assert status == 404
    assert "Hanako Yamada" not in page

    await _log_in(browser_session, info, "acme-user")  # read-only: no contact to ask for
    _, page = await _get(browser_session, info, f"/incidents/{other}?contact=1")
    assert "Hanako Yamada" not in page
    assert "show-contacts" not in page


async def test_incidents_and_mtbf_per_model_as_a_page_and_as_csv(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    info = work.info
    await _log_in(browser_session, info, "operator")
    status, page = await _get(browser_session, info, "/incidents")
    assert 'href="/incidents/report"' in page
    status, page = await _get(browser_session, info, "/incidents/report?months=2")
    assert status == 200
    assert "Incidents per model" in page
    async with browser_session.get(
        info.console_url + "/incidents/report.csv?months=2", ssl=info.trusting_context()
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        text = (await response.read()).decode("utf-8")
    assert text.startswith("\ufeffmodel,month,devices,incidents,failures,mtbf_days\r\n")
    rows = [line.split(",") for line in text.removeprefix("\ufeff").splitlines()[1:]]
    this_month = datetime.now(UTC).strftime("%Y-%m")
    now_rows = [row for row in rows if row[1] == this_month]
    assert sum(int(row[3]) for row in now_rows) >= JAMMED + 3  # every incident of the fleet
    assert sum(int(row[4]) for row in now_rows) >= 1  # the fuser: a field-service failure
    for bad in ("0", "37", "twelve", "1e3"):
        status, _ = await _get(browser_session, info, f"/incidents/report?months={bad}")
        assert status == 400


async def test_the_incidents_report_is_the_operators_only(
    work: Work, browser_session: aiohttp.ClientSession
) -> None:
    await _log_in(browser_session, work.info, "acme-user")
    for path in ("/incidents/report", "/incidents/report.csv"):
        status, page = await _get(browser_session, work.info, path)
        assert status == 403
        assert "GLOBEX" not in page
