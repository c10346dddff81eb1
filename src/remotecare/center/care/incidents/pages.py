"""The incidents' console pages: the list (filtered and paged in the database, plain HTML
forms), an incident's page with its timeline (the changes, the people's notes, the
messages sent) and what a technician's visit needs, and the forms to acknowledge and
resolve it with a note.

Who sees what (terms, article 10): operators every incident; an affiliate's or a
customer's person those of their customers, read-only; a subcontractor's person only the
incidents assigned to its company, which it may acknowledge and resolve. An incident the
person may not see answers 404, the same as one that does not exist.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import (
    CONSOLE_USERS,
    OPERATORS,
    AccessRule,
    Actor,
    Role,
    WorkKind,
    allow,
)
from remotecare.center.care.incidents.rules.catalogue import Severity
from remotecare.center.care.incidents.rules.listing import (
    MAX_INCIDENT_SEARCH_CHARS,
    StateFilter,
    read_incident_query,
)
from remotecare.center.care.incidents.rules.report import ModelMonth
from remotecare.center.care.incidents.service import (
    IncidentClosed,
    IncidentPage,
    IncidentRow,
    IncidentService,
    TimelineEntry,
)
from remotecare.center.care.incidents.tables import NOTE_MAX_LENGTH
from remotecare.center.contracts.service import SiteRecord, customer_sites
from remotecare.center.fleet.bundles import BundleService
from remotecare.center.fleet.device_listing import VisitFacts, customer_choices, visit_facts
from remotecare.center.fleet.overview import printer_facts
from remotecare.center.fleet.pages import DeviceSection
from remotecare.center.kernel import spreadsheet
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.notify.service import NoticeLine
from remotecare.center.privacy.rules import Purpose, PurposeRefused
from remotecare.center.privacy.service import ContactView, PrivacyService
from remotecare.center.web.actors import actor_of
from remotecare.center.web.pages import language_of, render, translations_of
from remotecare.errors import OperatorError

__all__ = [
    "FIELD_WORK",
    "IncidentPageDeps",
    "add_pages",
    "device_connectivity",
    "device_incidents",
]

logger = logging.getLogger(__name__)

# Who may act on an incident: the operator's staff, and a subcontractor's person on the
# incidents assigned to its company (the service keeps it to those).
FIELD_WORK = AccessRule(
    "operators and subcontractors",
    frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR_STAFF, Role.SUBCONTRACTOR}),
)
_RECENT_OF_DEVICE = 10
_DEVICE_SECTION_LIMIT = 20


@dataclass(frozen=True, slots=True)
class IncidentPageDeps:
    transactions: Transactions
    incidents: IncidentService
    clock: Clock
    bundles: BundleService | None = None
    privacy: PrivacyService | None = None  # the contact person for the visit, audited


_DEPS = web.AppKey("incident_page_deps", IncidentPageDeps)


def add_pages(app: web.Application, deps: IncidentPageDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/incidents", get_incidents)
    app.router.add_get(r"/incidents/{incident_id:\d{1,9}}", get_incident)
    app.router.add_post(r"/incidents/{incident_id:\d{1,9}}/acknowledge", post_acknowledge)
    app.router.add_post(r"/incidents/{incident_id:\d{1,9}}/resolve", post_resolve)
    app.router.add_get(r"/incidents/{incident_id:\d{1,9}}/bundle", get_bundle)
    app.router.add_get("/incidents/report", get_report)
    app.router.add_get("/incidents/report.csv", get_report_csv)


def _page_context(actor: Actor) -> dict[str, Any]:
    return {"person": actor.name, "show_endpoints": actor.sees_every_customer}


def _not_found(request: web.Request, actor: Actor) -> web.Response:
    return render(request, "not_found.html", status=404, **_page_context(actor))


def _may_act(actor: Actor) -> bool:
    return FIELD_WORK.allows(actor)


@dataclass(frozen=True, slots=True)
class _Device:
    serial: str
    model: str


def _devices_of(conn: Connection, rows: list[IncidentRow], now: datetime) -> dict[int, _Device]:
    """The serial and model of each printer the rows are about (rows the person may see)."""
    ids = sorted({row.printer_id for row in rows if row.printer_id is not None})
    return {f.printer_id: _Device(f.serial, f.model) for f in printer_facts(conn, now, ids)}


@allow(CONSOLE_USERS)
async def get_incidents(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    now = deps.clock.now()
    query = read_incident_query(request.query)
    language = language_of(request)

    def read(
        conn: Connection,
    ) -> tuple[IncidentPage, dict[int, _Device], list[tuple[int, str]]]:
        page = deps.incidents.search(conn, actor, query, language=language)
        return page, _devices_of(conn, page.rows, now), customer_choices(conn, actor)

    listing, devices, customers = await deps.transactions.read_async(read)
    return render(
        request,
        "incidents.html",
        listing=listing,
        devices=devices,
        query=query,
        states=list(StateFilter),
        severities=list(Severity),
        customers=customers,
        max_text=MAX_INCIDENT_SEARCH_CHARS,
        now=now,
        **_page_context(actor),
    )


@dataclass(frozen=True, slots=True)
class _Moment:
    """One line of an incident's timeline: a change, or a message sent about it."""

    at: datetime
    entry: TimelineEntry | None = None
    notice: NoticeLine | None = None


@dataclass(frozen=True, slots=True)
class _IncidentView:
    incident: IncidentRow
    timeline: list[_Moment]
    visit: VisitFacts | None
    recent: list[IncidentRow]  # the device's other incidents, newest first
    sites: list[SiteRecord]  # where the customer is
    contacts: list[ContactView] | None = None  # read on request only (audited)


def _read_incident(
    conn: Connection, service: IncidentService, actor: Actor, incident_id: int, language: str
) -> _IncidentView | None:
    """The incident with its timeline and its device's facts, if ``actor`` may see it."""
    try:
        incident = service.one_in(conn, actor, incident_id, language)
    except OperatorError:
        return None
    moments = [_Moment(e.at, entry=e) for e in service.timeline(conn, actor, incident_id)]
    moments += [_Moment(n.created_at, notice=n) for n in service.notices(conn, actor, incident_id)]
    moments.sort(key=lambda moment: moment.at)  # stable: changes before their messages
    visit = None
    recent: list[IncidentRow] = []
    if incident.printer_id is not None:
        visit = visit_facts(conn, incident.printer_id)
        others = service.of_printer(
            conn, actor, incident.printer_id, language=language, limit=_RECENT_OF_DEVICE + 1
        )
        recent = [row for row in others if row.id != incident.id][:_RECENT_OF_DEVICE]
    sites = [] if incident.customer_id is None else customer_sites(conn, incident.customer_id)
    return _IncidentView(incident, moments, visit, recent, sites)


def _with_contacts(
    conn: Connection, privacy: PrivacyService, actor: Actor, view: _IncidentView
) -> _IncidentView:
    """``view`` with the customer's contact persons for the visit: read through the privacy
    service for purpose 1 (providing the services), which writes the audit log."""
    customer_id = view.incident.customer_id
    assert customer_id is not None  # every incident row carries its customer
    try:
        contacts = privacy.contacts(
            conn, actor, Purpose.PROVIDING_SERVICES, customer_id=customer_id
        )
    except PurposeRefused:
        contacts = []
    return replace(view, contacts=[c for c in contacts if c.current])


def _render_incident(
    request: web.Request,
    view: _IncidentView,
    actor: Actor,
    now: datetime,
    *,
    status: int = 200,
    error: str | None = None,
    note: str = "",
) -> web.Response:
    deps = request.app[_DEPS]
    return render(
        request,
        "incident.html",
        status=status,
        incident=view.incident,
        timeline=view.timeline,
        visit=view.visit,
        recent=view.recent,
        sites=view.sites,
        contacts=view.contacts,
        may_read_contacts=_may_act(actor) and deps.privacy is not None,
        may_act=_may_act(actor) and view.incident.state != "resolved",
        may_download=_may_act(actor) and deps.bundles is not None,
        show_device_link=actor.role is not Role.SUBCONTRACTOR or _sees_device(actor, view),
        error=error,
        note=note,
        note_max=NOTE_MAX_LENGTH,
        now=now,
        **_page_context(actor),
    )


def _sees_device(actor: Actor, view: _IncidentView) -> bool:
    """Whether the device page of the incident's printer opens for ``actor`` (a
    subcontractor sees the pages of the devices assigned to it, not of every incident's)."""
    assigned = actor.assigned(WorkKind.DEVICE)
    printer_id = view.incident.printer_id
    return assigned is None or (printer_id is not None and str(printer_id) in assigned)


@allow(CONSOLE_USERS)
async def get_incident(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    incident_id = int(request.match_info["incident_id"])  # the route admits digits only
    language = language_of(request)
    privacy = deps.privacy
    if request.query.get("contact") == "1" and privacy is not None and _may_act(actor):

        def read_with_contacts(conn: Connection) -> _IncidentView | None:
            view = _read_incident(conn, deps.incidents, actor, incident_id, language)
            return None if view is None else _with_contacts(conn, privacy, actor, view)

        view = await deps.transactions.run_async(read_with_contacts)  # the audit log: written
    else:
        view = await deps.transactions.read_async(
            lambda conn: _read_incident(conn, deps.incidents, actor, incident_id, language)
        )
    if view is None:
        return _not_found(request, actor)
    return _render_incident(request, view, actor, deps.clock.now())


async def _act(request: web.Request, resolve: bool) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    incident_id = int(request.match_info["incident_id"])
    language = language_of(request)
    form = await request.post()
    note = " ".join(str(form.get("note", "")).split()) or None
    now = deps.clock.now()

    view = await deps.transactions.read_async(
        lambda conn: _read_incident(conn, deps.incidents, actor, incident_id, language)
    )
    if view is None:  # whose it is first: another customer's incident is 404, whatever the form
        return _not_found(request, actor)
    translations = translations_of(request)
    if note is not None and len(note) > NOTE_MAX_LENGTH:
        error = translations.gettext(
            "The note is too long: at most %(max)d characters. Nothing was changed."
        ) % {"max": NOTE_MAX_LENGTH}
        return _render_incident(request, view, actor, now, status=422, error=error, note=note)
    act = deps.incidents.resolve if resolve else deps.incidents.acknowledge
    try:
        await deps.transactions.run_async(lambda conn: act(conn, actor, incident_id, note))
    except IncidentClosed:
        error = translations.gettext(
            "This incident is resolved already: there is nothing to acknowledge or resolve."
            " Nothing was changed."
        )
        return _render_incident(request, view, actor, now, status=409, error=error, note=note or "")
    except OperatorError:  # gone from the person's work meanwhile
        return _not_found(request, actor)
    logger.info(
        "incident %s %s by %s", incident_id, "resolved" if resolve else "acknowledged", actor.name
    )
    raise web.HTTPSeeOther(f"/incidents/{incident_id}")


@allow(FIELD_WORK)
async def post_acknowledge(request: web.Request) -> web.Response:
    """Acknowledge the incident (someone is on it), with an optional note."""
    return await _act(request, resolve=False)


@allow(FIELD_WORK)
async def post_resolve(request: web.Request) -> web.Response:
    """Resolve the incident by hand, with an optional note."""
    return await _act(request, resolve=True)


@allow(FIELD_WORK)
async def get_bundle(request: web.Request) -> web.StreamResponse:
    """Download the newest complete diagnostic log of the incident's printer, for the
    operator or the subcontractor the incident is assigned to."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    incident_id = int(request.match_info["incident_id"])
    bundles = deps.bundles

    def read(conn: Connection) -> tuple[str, str] | None:
        try:
            incident = deps.incidents.one_in(conn, actor, incident_id, "en")
        except OperatorError:
            return None
        if bundles is None or incident.printer_id is None:
            return None
        visit = visit_facts(conn, incident.printer_id)
        if visit is None or visit.latest_bundle is None:
            return None
        wanted = visit.latest_bundle.bundle_id
        stored = [
            b for b in bundles.list_for_endpoint(conn, visit.endpoint_id) if b.bundle_id == wanted
        ]
        return (wanted, str(stored[0].path)) if stored else None

    found = await deps.transactions.read_async(read)
    if found is None:
        return _not_found(request, actor)
    bundle_id, path = found
    logger.info(
        "diagnostic log %s of incident %s downloaded by %s", bundle_id, incident_id, actor.name
    )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/gzip",
            "Content-Disposition": f'attachment; filename="diagnostics-{bundle_id}.tar.gz"',
        },
    )


CONNECTIVITY_DAYS = 90


def device_connectivity(service: IncidentService, clock: Clock) -> DeviceSection:
    """The device page's connectivity timeline: when its printer stopped answering the
    agent and when its agent stopped calling, over the last 90 days, each with its end."""

    def section(
        conn: Connection, actor: Actor, device_id: int, language: str
    ) -> Mapping[str, object]:
        now = clock.now()
        facts = printer_facts(conn, now, [device_id])
        if not facts:
            return {}
        since = now - timedelta(days=CONNECTIVITY_DAYS)
        rows = service.silences_of(
            conn, actor, device_id, facts[0].endpoint_id, since, language=language
        )
        return {"device_outages": rows, "outage_days": CONNECTIVITY_DAYS}

    return section


def device_incidents(service: IncidentService) -> DeviceSection:
    """The device page's incidents section (``FleetPageDeps.device_sections``): the
    newest incidents of the device that the person may see, with their state."""

    def section(
        conn: Connection, actor: Actor, device_id: int, language: str
    ) -> Mapping[str, object]:
        rows = service.of_printer(
            conn, actor, device_id, language=language, limit=_DEVICE_SECTION_LIMIT
        )
        return {"device_incidents": rows}

    return section


# --- incidents and MTBF per model and month ---------------------------------------------

REPORT_MONTHS = 12
_MAX_REPORT_MONTHS = 36
REPORT_COLUMNS = ("model", "month", "devices", "incidents", "failures", "mtbf_days")


def _report_months(request: web.Request) -> int | None:
    """The months asked for (``?months=``, 1 to 36; 12 when not given), None if not a count."""
    asked = request.query.get("months", "").strip()
    if not asked:
        return REPORT_MONTHS
    if not (asked.isascii() and asked.isdigit()) or not 1 <= int(asked) <= _MAX_REPORT_MONTHS:
        return None
    return int(asked)


async def _report(request: web.Request) -> tuple[Actor, int, list[ModelMonth]] | web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    months = _report_months(request)
    if months is None:
        _ = translations_of(request).gettext
        message = _("Months must be a whole number from 1 to %(most)d.") % {
            "most": _MAX_REPORT_MONTHS
        }
        return web.Response(status=400, text=message)
    rows = await deps.transactions.read_async(
        lambda conn: deps.incidents.monthly(conn, actor, months)
    )
    return actor, months, rows


@allow(OPERATORS)
async def get_report(request: web.Request) -> web.Response:
    """Incidents, failures (field-service incidents) and MTBF per model and month."""
    found = await _report(request)
    if isinstance(found, web.Response):
        return found
    actor, months, rows = found
    return render(
        request,
        "incidents_report.html",
        rows=rows,
        months=months,
        most_months=_MAX_REPORT_MONTHS,
        **_page_context(actor),
    )


@allow(OPERATORS)
async def get_report_csv(request: web.Request) -> web.Response:
    """The same report as CSV (UTF-8 with BOM), as ``center incidents report --csv``."""
    found = await _report(request)
    if isinstance(found, web.Response):
        return found
    _, months, rows = found
    out = io.StringIO(newline="")
    spreadsheet.write_csv(
        out,
        REPORT_COLUMNS,
        ([r.model, r.month, r.devices, r.incidents, r.failures, r.mtbf_days] for r in rows),
    )
    return web.Response(
        body=out.getvalue().encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="incidents-{months}-months.csv"',
        },
    )
