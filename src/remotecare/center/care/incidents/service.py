"""Incidents from the care feed and from silence, kept in the database, told through the
notification outbox in the same transaction, and acted on by people.

``IncidentConsumer`` judges each reading (newer than the last one judged for its printer,
which makes it idempotent) against the printer's unresolved incidents; ``IncidentWatch``
resolves incidents whose condition stayed away for the settle time, opens and clears the
silence incidents (printer not answering its agent, agent not calling), and links the
diagnostic bundles asked for; ``IncidentService`` lists, acknowledges and resolves them.
Every change writes a timeline entry, and the changes people hear of (opened, flapping,
resolved) owe their messages in the same transaction (``notify.service.enqueue``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    false,
    func,
    insert,
    or_,
    select,
    update,
)

from remotecare.center.access.rules import Actor, Role, WorkKind
from remotecare.center.access.service import scoped
from remotecare.center.care.feed import FedReading
from remotecare.center.care.incidents.rules.catalogue import Catalogue, Responder
from remotecare.center.care.incidents.rules.conditions import (
    Condition,
    conditions_of,
    silence_condition,
)
from remotecare.center.care.incidents.rules.lifecycle import (
    Change,
    Decision,
    IncidentState,
    IncidentView,
    SettlePolicy,
    evaluate,
    settled,
)
from remotecare.center.care.incidents.rules.listing import (
    INCIDENT_PAGE_SIZE,
    IncidentQuery,
    StateFilter,
)
from remotecare.center.care.incidents.rules.report import (
    ModelMonth,
    ReportedIncident,
    month_starts,
    monthly_report,
)
from remotecare.center.care.incidents.tables import (
    DETAIL_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    incident_timeline,
    incident_watermarks,
    incidents,
)
from remotecare.center.contracts.rules import Service
from remotecare.center.contracts.service import (
    contract_includes,
    customer_names,
    customers_including,
)
from remotecare.center.fleet.bundles import recent_bundle
from remotecare.center.fleet.commands import CommandService
from remotecare.center.fleet.device_listing import device_ids_by_serial
from remotecare.center.fleet.overview import PrinterFacts, printer_facts, silent_printer_facts
from remotecare.center.fleet.rules.connectivity import Connectivity, assess
from remotecare.center.fleet.rules.device_query import like_pattern, page_count
from remotecare.center.identity.endpoints import endpoint_listing
from remotecare.center.kernel.background import BackgroundLoop
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.notify.rules import IncidentNotice
from remotecare.center.notify.service import NoticeLine, enqueue, notices_of
from remotecare.errors import OperatorConflict, OperatorError
from remotecare.protocol.messages import CommandKind

__all__ = [
    "BUNDLE_FRESHNESS",
    "CERTIFICATE_WARNING",
    "IncidentClosed",
    "IncidentConsumer",
    "IncidentPage",
    "IncidentRow",
    "IncidentService",
    "IncidentWatch",
    "Incidents",
    "TimelineEntry",
    "within_work",
]

logger = logging.getLogger(__name__)

BUNDLE_FRESHNESS = timedelta(hours=1)  # a bundle this recent is not asked for again
CERTIFICATE_WARNING = timedelta(days=14)
_MONITOR = Actor.operator("fault monitor")
_TOLD = {Change.OPENED: "opened", Change.FLAPPING: "flapping", Change.RESOLVED: "resolved"}


def _printer_subject(printer_id: int) -> str:
    return f"printer:{printer_id}"


def _endpoint_subject(endpoint_id: str) -> str:
    return f"endpoint:{endpoint_id}"


@dataclass(frozen=True, slots=True)
class _Subject:
    """Whom an incident is about, with what a message may name of it."""

    key: str
    customer_id: int
    printer_id: int | None
    endpoint_id: str
    serial: str | None
    device: str
    site: str | None = None  # the customer's name when the caller has it already


def _printer(facts: PrinterFacts, site: str | None = None) -> _Subject:
    return _Subject(
        _printer_subject(facts.printer_id),
        facts.customer_id,
        facts.printer_id,
        facts.endpoint_id,
        facts.serial,
        f"{facts.model} (serial {facts.serial})",
        site,
    )


@dataclass(frozen=True, slots=True)
class Incidents:
    """The incidents' part shared by the consumer, the watch and the service: the
    catalogue, the settle policy, and how diagnostics are asked for."""

    catalogue: Catalogue
    policy: SettlePolicy
    commands: CommandService

    @property
    def reading_kinds(self) -> frozenset[str]:
        """The kinds a reading can clear: all but the ones the center sees itself."""
        c = self.catalogue
        return frozenset(c.kinds) - {c.printer_silent, c.agent_silent, c.certificate_expiring}

    # --- judging ------------------------------------------------------------------------

    def judge(
        self,
        conn: Connection,
        subject: _Subject,
        conditions: Mapping[str, Condition],
        at: datetime,
        *,
        governed: frozenset[str],
        report_id: str | None = None,
        unresolved: Sequence[Any] | None = None,
        seen: dict[int, datetime] | None = None,
    ) -> bool:
        """Apply what ``conditions`` seen at ``at`` change for ``subject``; whether any
        incident changed. ``unresolved``: the subject's unresolved incidents when the
        caller has them already; ``seen``: where to collect the repeats' times (id ->
        newest) for the caller to write in one go (else each is written at once)."""
        if unresolved is None:
            unresolved = _unresolved(conn, subject.key)
        rows = {row.condition_key: row for row in unresolved}
        views = {key: _view(row) for key, row in rows.items()}
        changed = False
        for decision in evaluate(views, conditions, at, self.policy, governed=governed):
            row = rows.get(decision.key)
            if decision.change is Change.OPENED:
                assert decision.condition is not None
                self._open(conn, subject, decision.condition, at, report_id)
                changed = True
            elif row is None:
                continue
            elif decision.change is None and seen is not None:
                seen[row.id] = max(seen.get(row.id, at), at)
            else:
                self._apply(conn, subject, row, decision, report_id)
                changed = changed or decision.change is not None
        return changed

    def settle(self, conn: Connection, now: datetime) -> int:
        """Resolve the clearing incidents whose settle time is over; how many."""
        rows = conn.execute(
            select(incidents).where(
                incidents.c.state == IncidentState.CLEARING.value,
                incidents.c.cleared_at <= now - self.policy.settle,
            )
        ).all()
        views = {str(row.id): _view(row) for row in rows}
        by_id = {str(row.id): row for row in rows}
        resolved = settled(views, now, self.policy)
        for decision in resolved:
            row = by_id[decision.key]
            self.resolve_incident(conn, row, now, Change.RESOLVED)
        return len(resolved)

    def _open(
        self,
        conn: Connection,
        subject: _Subject,
        condition: Condition,
        at: datetime,
        report_id: str | None,
    ) -> None:
        kind = self.catalogue.kind(condition.kind)
        responder = condition.responder(self.catalogue)
        row = conn.execute(
            insert(incidents)
            .values(
                customer_id=subject.customer_id,
                subject=subject.key,
                printer_id=subject.printer_id,
                endpoint_id=subject.endpoint_id,
                condition_key=condition.key,
                open_key=condition.key,
                kind=kind.name,
                severity=kind.severity.value,
                responder=responder.value,
                state=IncidentState.OPEN.value,
                code=condition.code[:64] if condition.code else None,
                detail=condition.detail[:DETAIL_MAX_LENGTH],
                opened_at=at,
                last_seen_at=at,
                returns=0,
                flapping=False,
            )
            .returning(*incidents.c)  # the whole row: no read after each opening
        ).one()
        _note(conn, row.id, at, Change.OPENED, report_id=report_id, note=condition.source)
        self._tell(conn, row, Change.OPENED, at, subject.device, subject.site)
        if responder is Responder.FIELD_SERVICE and subject.serial is not None:
            self._diagnose(conn, row, subject.serial, at)

    def _apply(
        self,
        conn: Connection,
        subject: _Subject,
        row: Any,
        decision: Decision,
        report_id: str | None,
    ) -> None:
        at = decision.at
        values: dict[str, Any] = {}
        if decision.change is None or decision.change in (Change.RETURNED, Change.FLAPPING):
            values["last_seen_at"] = max(row.last_seen_at, at)
        if decision.change is Change.CLEARED:
            values.update(state=IncidentState.CLEARING.value, cleared_at=at)
        elif decision.change in (Change.RETURNED, Change.FLAPPING):
            values.update(
                state=IncidentState.OPEN.value,
                cleared_at=None,
                returns=decision.returns,
                first_return_at=decision.first_return_at,
                flapping=row.flapping or decision.change is Change.FLAPPING,
            )
        conn.execute(update(incidents).where(incidents.c.id == row.id).values(**values))
        if decision.change is not None:
            _note(conn, row.id, at, decision.change, report_id=report_id)
        if decision.change is Change.FLAPPING:
            self._tell(conn, row, Change.FLAPPING, at, subject.device, subject.site)

    def resolve_incident(
        self, conn: Connection, row: Any, at: datetime, change: Change, **note: Any
    ) -> None:
        conn.execute(
            update(incidents)
            .where(incidents.c.id == row.id)
            .values(state=IncidentState.RESOLVED.value, open_key=None, resolved_at=at)
        )
        _note(conn, row.id, at, change, **note)
        self._tell(conn, row, Change.RESOLVED, at, _device_of(conn, row))

    def _tell(
        self,
        conn: Connection,
        row: Any,
        change: Change,
        at: datetime,
        device: str,
        site: str | None = None,
    ) -> None:
        kind = self.catalogue.kind(row.kind)
        cause = self.catalogue.cause_of(row.code, row.kind)
        enqueue(
            conn,
            IncidentNotice(
                incident_id=row.id,
                event=_TOLD[change],
                customer_id=row.customer_id,
                site=site
                if site is not None
                else customer_names(conn, {row.customer_id}).get(row.customer_id, "?"),
                device=device,
                kind=row.kind,
                titles=kind.titles,
                severity=row.severity,
                responder=row.responder,
                detail=row.detail,
                cause=None
                if cause is None
                else {"cause": cause.cause, "part": cause.part, "action": cause.action},
                at=at,
            ),
            at,
        )

    # --- diagnosis ------------------------------------------------------------------------

    def _diagnose(self, conn: Connection, row: Any, serial: str, at: datetime) -> None:
        """Ask the agent for the printer's diagnostic bundle, unless one came lately."""
        endpoint_id = row.endpoint_id
        bundle = recent_bundle(conn, endpoint_id, serial, at - BUNDLE_FRESHNESS)
        if bundle is not None:
            _link(conn, row.id, bundle.bundle_id, at)
            return
        asked = conn.execute(  # another incident of this printer asked lately: that bundle
            select(incidents.c.diagnostics_command_id).where(
                incidents.c.subject == row.subject,
                incidents.c.id != row.id,
                incidents.c.diagnostics_command_id.is_not(None),
                incidents.c.opened_at >= at - BUNDLE_FRESHNESS,
            )
        ).scalar()
        if asked is not None:
            conn.execute(
                update(incidents)
                .where(incidents.c.id == row.id)
                .values(diagnostics_command_id=asked)
            )
            _note(conn, row.id, at, Change.DIAGNOSTICS_REQUESTED, note=f"already asked: {asked}")
            return
        try:
            with conn.begin_nested():
                command = self.commands.queue(
                    conn,
                    _MONITOR,
                    endpoint_id,
                    CommandKind.COLLECT_DIAGNOSTICS,
                    {"printer": serial},
                )
        except OperatorError as exc:  # a revoked endpoint: nothing to ask
            _note(conn, row.id, at, Change.DIAGNOSTICS_REQUESTED, note=f"not asked: {exc}")
            return
        conn.execute(
            update(incidents)
            .where(incidents.c.id == row.id)
            .values(diagnostics_command_id=str(command.command_id))
        )
        _note(conn, row.id, at, Change.DIAGNOSTICS_REQUESTED, note=f"command {command.command_id}")

    def link_bundles(self, conn: Connection, now: datetime) -> int:
        """Link the bundles that arrived for field-service incidents waiting for one."""
        waiting = conn.execute(
            select(
                incidents.c.id,
                incidents.c.endpoint_id,
                incidents.c.printer_id,
                incidents.c.opened_at,
            ).where(
                incidents.c.open_key.is_not(None),
                incidents.c.responder == Responder.FIELD_SERVICE.value,
                incidents.c.bundle_id.is_(None),
                incidents.c.printer_id.is_not(None),
            )
        ).all()
        if not waiting:
            return 0
        serials = {
            f.printer_id: f.serial
            for f in printer_facts(conn, now, [w.printer_id for w in waiting])
        }
        linked = 0
        for row in waiting:
            serial = serials.get(row.printer_id)
            if serial is None:
                continue
            bundle = recent_bundle(conn, row.endpoint_id, serial, row.opened_at - BUNDLE_FRESHNESS)
            if bundle is not None and bundle.complete:
                _link(conn, row.id, bundle.bundle_id, now)
                linked += 1
        return linked

    # --- silence ------------------------------------------------------------------------

    def watch_silence(self, conn: Connection, now: datetime) -> None:
        """Open and clear the incidents the center sees itself: printers not answering
        their agent, agents not calling, agent certificates about to expire. Set-wise:
        only subjects with such a condition or such an incident are judged."""
        c = self.catalogue
        kinds = (c.printer_silent, c.agent_silent, c.certificate_expiring)
        existing: dict[str, list[Any]] = {}
        for row in conn.execute(
            select(incidents).where(incidents.c.open_key.is_not(None), incidents.c.kind.in_(kinds))
        ):
            existing.setdefault(row.subject, []).append(row)
        # A customer no longer monitored opens nothing; what it had open is cleared.
        monitored = customers_including(conn, Service.FAULT_MONITORING)
        # Only the silent printers, and those with such an incident to clear: reading
        # every printer's facts took longer than this watch's round at 1,000,000 printers.
        judged = {r.printer_id for rows in existing.values() for r in rows if r.printer_id}
        for printer in silent_printer_facts(conn, now, judged):
            conditions: dict[str, Condition] = {}
            if (
                printer.customer_id in monitored
                and printer.printer.state is Connectivity.SILENT
                and printer.agent.state is not Connectivity.SILENT  # the agent's covers it
            ):
                hours = printer.printer.quiet_for.total_seconds() / 3600
                detail = f"no reading for {hours:.1f} h while its agent calls"
                conditions[c.printer_silent] = silence_condition(c.printer_silent, detail)
            subject = _printer(printer)
            if conditions or subject.key in existing:
                self.judge(
                    conn,
                    subject,
                    conditions,
                    now,
                    governed=frozenset({c.printer_silent}),
                    unresolved=existing.get(subject.key, []),
                )
        for listing in endpoint_listing(conn, _MONITOR):
            contact = listing.contact
            subject = _Subject(
                _endpoint_subject(contact.endpoint_id),
                contact.customer_id,
                None,
                contact.endpoint_id,
                None,
                f"agent {contact.endpoint_id}",
            )
            conditions = {}
            presence = assess(contact.last_heard_at, now, contact.poll_interval_seconds)
            watched = not listing.revoked and contact.customer_id in monitored
            if watched and presence.state is Connectivity.SILENT:
                conditions[c.agent_silent] = silence_condition(
                    c.agent_silent, f"last call {contact.last_heard_at.isoformat()}"
                )
            if watched and listing.certificate_not_after - now < CERTIFICATE_WARNING:
                conditions[c.certificate_expiring] = silence_condition(
                    c.certificate_expiring,
                    f"certificate valid until {listing.certificate_not_after.isoformat()}",
                )
            if conditions or subject.key in existing:
                self.judge(
                    conn,
                    subject,
                    conditions,
                    now,
                    governed=frozenset({c.agent_silent, c.certificate_expiring}),
                    unresolved=existing.get(subject.key, []),
                )


def _view(row: Any) -> IncidentView:
    return IncidentView(
        key=row.condition_key,
        kind=row.kind,
        state=IncidentState(row.state),
        last_seen_at=row.last_seen_at,
        cleared_at=row.cleared_at,
        returns=row.returns,
        first_return_at=row.first_return_at,
        flapping=row.flapping,
    )


def _unresolved(conn: Connection, subject: str) -> list[Any]:
    return list(
        conn.execute(
            select(incidents).where(
                incidents.c.subject == subject, incidents.c.open_key.is_not(None)
            )
        )
    )


def _note(
    conn: Connection,
    incident_id: int,
    at: datetime,
    change: Change,
    *,
    report_id: str | None = None,
    actor: str | None = None,
    note: str | None = None,
) -> None:
    conn.execute(
        insert(incident_timeline).values(
            incident_id=incident_id,
            at=at,
            change=change.value,
            report_id=report_id,
            actor=actor,
            note=note[:NOTE_MAX_LENGTH] if note else None,
        )
    )


def _link(conn: Connection, incident_id: int, bundle_id: str, at: datetime) -> None:
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(bundle_id=bundle_id))
    _note(conn, incident_id, at, Change.BUNDLE_LINKED, note=f"bundle {bundle_id}")


def _device_of(conn: Connection, row: Any) -> str:
    if row.printer_id is None:
        return f"agent {row.endpoint_id}"
    found = printer_facts(conn, row.last_seen_at, [row.printer_id])
    return _printer(found[0]).device if found else f"printer {row.printer_id}"


class IncidentConsumer:
    """Judges the readings of the care feed (idempotent: a reading not newer than the
    last one judged for its printer is skipped)."""

    name = "incidents"

    def __init__(self, incidents_: Incidents, clock: Clock) -> None:
        self._incidents = incidents_
        self._clock = clock

    def handle(self, conn: Connection, readings: Sequence[FedReading]) -> None:
        # Set-wise where it pays (a reading per printer is the common case): the batch's
        # printers, watermarks and unresolved incidents in one query each, the repeats'
        # last-seen times and the new watermarks written in one statement each.
        ordered = sorted(readings, key=lambda r: (r.printer_id, r.agent_time))
        ids = sorted({r.printer_id for r in ordered})
        facts = {f.printer_id: f for f in printer_facts(conn, self._clock.now(), ids)}
        monitored = {  # nothing opened for a customer whose contract lacks fault monitoring
            customer_id
            for customer_id in {f.customer_id for f in facts.values()}
            if contract_includes(conn, customer_id, Service.FAULT_MONITORING)
        }
        facts = {pid: f for pid, f in facts.items() if f.customer_id in monitored}
        sites = customer_names(conn, monitored) if monitored else {}  # for the messages
        marks = dict(
            conn.execute(
                select(incident_watermarks.c.printer_id, incident_watermarks.c.agent_time).where(
                    incident_watermarks.c.printer_id.in_(ids)
                )
            ).all()
        )
        unresolved: dict[str, list[Any]] = {}
        for row in conn.execute(
            select(incidents).where(
                incidents.c.printer_id.in_(ids), incidents.c.open_key.is_not(None)
            )
        ):
            unresolved.setdefault(row.subject, []).append(row)
        governed = self._incidents.reading_kinds
        catalogue = self._incidents.catalogue
        seen: dict[int, datetime] = {}
        new_marks: dict[int, datetime] = {}
        for printer_id, group in groupby(ordered, key=lambda r: r.printer_id):
            printer = facts.get(printer_id)
            if printer is None:
                continue  # not a bound device (yet)
            subject = _printer(printer, sites.get(printer.customer_id))
            rows: Sequence[Any] | None = unresolved.get(subject.key, [])
            mark = marks.get(printer_id)
            for fed in group:
                if mark is not None and fed.agent_time <= mark:
                    continue
                if rows is None:  # read again only when another reading needs it
                    rows = _unresolved(conn, subject.key)
                conditions = conditions_of(fed.reading, catalogue)
                # A partial reading (a table the printer would not give) opens what it
                # shows but clears nothing: what it lacks may still be wrong.
                clears = frozenset() if fed.reading.partial_reason else governed
                changed = self._incidents.judge(
                    conn,
                    subject,
                    conditions,
                    fed.agent_time,
                    governed=clears,
                    report_id=fed.report_id,
                    unresolved=rows,
                    seen=seen,
                )
                if changed:  # the next reading of this printer judges against the new state
                    rows = None
                mark = new_marks[printer_id] = fed.agent_time
        if seen:
            conn.execute(
                update(incidents)
                .where(incidents.c.id == bindparam("seen_id"))
                .values(last_seen_at=bindparam("seen_at")),
                [{"seen_id": key, "seen_at": at} for key, at in seen.items()],
            )
        _set_watermarks(conn, new_marks, known=set(marks))


def _set_watermarks(conn: Connection, new: Mapping[int, datetime], *, known: set[int]) -> None:
    updates = [{"mark_id": p, "mark_at": at} for p, at in new.items() if p in known]
    inserts = [{"printer_id": p, "agent_time": at} for p, at in new.items() if p not in known]
    if updates:
        conn.execute(
            update(incident_watermarks)
            .where(incident_watermarks.c.printer_id == bindparam("mark_id"))
            .values(agent_time=bindparam("mark_at")),
            updates,
        )
    if inserts:
        conn.execute(insert(incident_watermarks), inserts)


class IncidentWatch(BackgroundLoop):
    """Every ``every_s``: settle, silence, bundles, each round in one transaction."""

    def __init__(
        self,
        transactions: Transactions,
        incidents_: Incidents,
        clock: Clock,
        *,
        every_s: float = 30.0,
    ) -> None:
        super().__init__("incident-watch", transactions)
        self._incidents = incidents_
        self._clock = clock
        self._every_s = every_s

    def step(self) -> float:
        self.run_round()
        return self._every_s

    def run_round(self) -> None:
        now = self._clock.now()
        with self.writing(), self.transactions.begin() as conn:
            self._incidents.settle(conn, now)
            self._incidents.watch_silence(conn, now)
            self._incidents.link_bundles(conn, now)


# --- people ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    change: str
    report_id: str | None
    actor: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    customer: str
    subject: str
    condition_key: str
    kind: str
    title: str
    severity: str
    responder: str
    state: str
    flapping: bool
    detail: str
    code: str | None
    cause: str | None
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    acknowledged_by: str | None
    bundle_id: str | None
    printer_id: int | None = None  # None: an incident about an agent, not a printer
    acknowledged_at: datetime | None = None
    customer_id: int | None = None


@dataclass(frozen=True, slots=True)
class IncidentPage:
    """One page of the incidents list, newest first."""

    rows: list[IncidentRow]
    total: int
    page: int  # the page shown: the one asked for, or the last one when it was past the end
    pages: int


class IncidentClosed(OperatorConflict):
    """The incident is resolved: there is nothing left to acknowledge or resolve."""


def within_work(query: Select[Any], actor: Actor) -> Select[Any]:
    """``query`` of incidents limited to what ``actor`` may see: its customers' and, of a
    subcontractor, the incidents assigned to its company (article 10). A subcontractor's
    person known without assignments (``Actor.scoped``) sees its customers' field-service
    incidents."""
    query = scoped(query, incidents.c.customer_id, actor)
    assigned = actor.assigned(WorkKind.INCIDENT)
    if assigned is not None:
        ids = sorted(int(ref) for ref in assigned if ref.isascii() and ref.isdigit())
        return query.where(incidents.c.id.in_(ids) if ids else false())
    if actor.role is Role.SUBCONTRACTOR:
        return query.where(incidents.c.responder == Responder.FIELD_SERVICE.value)
    return query


@dataclass(frozen=True, slots=True)
class IncidentService:
    """What people do with incidents, scoped by who they are.

    Usage::

        with transactions.begin() as conn:
            rows = service.listing(conn, actor, open_only=True, severity="critical")
            service.acknowledge(conn, actor, rows[0].id, "on my way")
    """

    incidents: Incidents
    clock: Clock

    def listing(
        self,
        conn: Connection,
        actor: Actor,
        *,
        open_only: bool = True,
        severity: str | None = None,
        responder: str | None = None,
        customer_id: int | None = None,
        language: str = "en",
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[IncidentRow]:
        """The incidents ``actor`` may see, filtered: newest first, or by id after
        ``after_id`` (``limit`` of them) for a paged walk."""
        query = within_work(select(incidents), actor)
        if open_only:
            query = query.where(incidents.c.open_key.is_not(None))
        if severity is not None:
            query = query.where(incidents.c.severity == severity)
        if responder is not None:
            query = query.where(incidents.c.responder == responder)
        if customer_id is not None:
            query = query.where(incidents.c.customer_id == customer_id)
        if limit is None:
            query = query.order_by(incidents.c.opened_at.desc(), incidents.c.id.desc())
        else:
            if after_id is not None:
                query = query.where(incidents.c.id > after_id)
            query = query.order_by(incidents.c.id).limit(limit)
        rows = conn.execute(query).all()
        names = customer_names(conn, {row.customer_id for row in rows})
        return [self._row(row, names, language) for row in rows]

    def one(self, conn: Connection, actor: Actor, incident_id: int) -> IncidentRow:
        row = self._visible(conn, actor, incident_id)
        return self._row(row, customer_names(conn, {row.customer_id}), "en")

    def _row(self, row: Any, names: Mapping[int, str], language: str) -> IncidentRow:
        catalogue = self.incidents.catalogue
        cause = catalogue.cause_of(row.code, row.kind)
        return IncidentRow(
            id=row.id,
            customer=names.get(row.customer_id, "?"),
            subject=row.subject,
            condition_key=row.condition_key,
            kind=row.kind,
            title=catalogue.kind(row.kind).title(language),
            severity=row.severity,
            responder=row.responder,
            state=row.state,
            flapping=row.flapping,
            detail=row.detail,
            code=row.code,
            cause=None if cause is None else f"{cause.cause}; {cause.action}",
            opened_at=row.opened_at,
            last_seen_at=row.last_seen_at,
            resolved_at=row.resolved_at,
            acknowledged_by=row.acknowledged_by,
            bundle_id=row.bundle_id,
            printer_id=row.printer_id,
            acknowledged_at=row.acknowledged_at,
            customer_id=row.customer_id,
        )

    def monthly(self, conn: Connection, actor: Actor, months: int) -> list[ModelMonth]:
        """Incidents and MTBF per model for the last ``months`` months (printers only)."""
        now = self.clock.now()
        starts = month_starts(now.date(), months)
        facts = printer_facts(conn, now)
        visible = [f for f in facts if actor.may_see(f.customer_id)]
        models = {f.printer_id: f.model for f in visible}
        devices: dict[str, int] = {}
        for f in visible:
            devices[f.model] = devices.get(f.model, 0) + 1
        since = datetime.combine(starts[0], datetime.min.time(), tzinfo=now.tzinfo)
        rows = conn.execute(
            select(incidents.c.printer_id, incidents.c.opened_at, incidents.c.responder).where(
                incidents.c.printer_id.is_not(None), incidents.c.opened_at >= since
            )
        ).all()
        reported = [
            ReportedIncident(models[row.printer_id], row.opened_at, row.responder)
            for row in rows
            if row.printer_id in models
        ]
        return monthly_report(reported, devices, starts)

    def timeline(self, conn: Connection, actor: Actor, incident_id: int) -> list[TimelineEntry]:
        self._visible(conn, actor, incident_id)
        rows = conn.execute(
            select(incident_timeline)
            .where(incident_timeline.c.incident_id == incident_id)
            .order_by(incident_timeline.c.id)
        )
        return [TimelineEntry(r.at, r.change, r.report_id, r.actor, r.note) for r in rows]

    def acknowledge(
        self, conn: Connection, actor: Actor, incident_id: int, note: str | None
    ) -> None:
        row = self._visible(conn, actor, incident_id)
        if row.open_key is None:
            raise IncidentClosed(f"incident {incident_id} is resolved")
        now = self.clock.now()
        conn.execute(
            update(incidents)
            .where(incidents.c.id == incident_id)
            .values(acknowledged_at=now, acknowledged_by=actor.name[:128])
        )
        _note(conn, incident_id, now, Change.ACKNOWLEDGED, actor=actor.name, note=note)

    def resolve(self, conn: Connection, actor: Actor, incident_id: int, note: str | None) -> None:
        row = self._visible(conn, actor, incident_id)
        if row.open_key is None:
            raise IncidentClosed(f"incident {incident_id} is resolved already")
        self.incidents.resolve_incident(
            conn, row, self.clock.now(), Change.RESOLVED_BY_HAND, actor=actor.name, note=note
        )

    def search(
        self,
        conn: Connection,
        actor: Actor,
        query: IncidentQuery,
        *,
        language: str = "en",
        page_size: int = INCIDENT_PAGE_SIZE,
    ) -> IncidentPage:
        """One page of the incidents ``actor`` may see that match ``query``, newest first;
        a page past the end shows the last one."""
        where = within_work(select(incidents.c.id), actor)
        if query.state is StateFilter.UNRESOLVED:
            where = where.where(incidents.c.open_key.is_not(None))
        elif query.state is not StateFilter.ALL:
            where = where.where(incidents.c.state == query.state.value)
        if query.severity is not None:
            where = where.where(incidents.c.severity == query.severity.value)
        if query.customer_id is not None:
            where = where.where(incidents.c.customer_id == query.customer_id)
        if query.device_id is not None:
            where = where.where(incidents.c.printer_id == query.device_id)
        if query.text:
            pattern = like_pattern(query.text)
            matches = [
                incidents.c.detail.ilike(pattern, escape="\\"),
                incidents.c.code.ilike(pattern, escape="\\"),
                incidents.c.kind.ilike(pattern, escape="\\"),
            ]
            serials = device_ids_by_serial(conn, actor, query.text)
            if serials:
                matches.append(incidents.c.printer_id.in_(serials))
            where = where.where(or_(*matches))
        counted = where.with_only_columns(func.count()).select_from(incidents).order_by(None)
        total = int(conn.execute(counted).scalar_one())
        pages = page_count(total, page_size)
        page = min(query.page, pages)
        page_ids = list(
            conn.execute(
                where.order_by(incidents.c.opened_at.desc(), incidents.c.id.desc())
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).scalars()
        )
        rows = self._rows(conn, page_ids, language)
        return IncidentPage(rows, total, page, pages)

    def one_in(
        self, conn: Connection, actor: Actor, incident_id: int, language: str
    ) -> IncidentRow:
        """Incident ``incident_id`` if ``actor`` may see it (titled in ``language``), else
        ``OperatorError`` as if it did not exist."""
        row = self._visible(conn, actor, incident_id)
        return self._row(row, customer_names(conn, {row.customer_id}), language)

    def of_printer(
        self,
        conn: Connection,
        actor: Actor,
        printer_id: int,
        *,
        language: str = "en",
        limit: int = 20,
    ) -> list[IncidentRow]:
        """The newest ``limit`` incidents of ``printer_id`` that ``actor`` may see."""
        ids = list(
            conn.execute(
                within_work(select(incidents.c.id), actor)
                .where(incidents.c.printer_id == printer_id)
                .order_by(incidents.c.opened_at.desc(), incidents.c.id.desc())
                .limit(limit)
            ).scalars()
        )
        return self._rows(conn, ids, language)

    def silences_of(
        self,
        conn: Connection,
        actor: Actor,
        printer_id: int,
        endpoint_id: str,
        since: datetime,
        *,
        language: str = "en",
    ) -> list[IncidentRow]:
        """The device's connectivity timeline: its printer's and its agent's silences
        (opened since ``since`` or still open) that ``actor`` may see, oldest first."""
        c = self.incidents.catalogue
        ids = list(
            conn.execute(
                within_work(select(incidents.c.id), actor)
                .where(
                    or_(
                        and_(
                            incidents.c.printer_id == printer_id,
                            incidents.c.kind == c.printer_silent,
                        ),
                        and_(
                            incidents.c.subject == _endpoint_subject(endpoint_id),
                            incidents.c.kind == c.agent_silent,
                        ),
                    ),
                    or_(incidents.c.opened_at >= since, incidents.c.open_key.is_not(None)),
                )
                .order_by(incidents.c.opened_at, incidents.c.id)
            ).scalars()
        )
        return self._rows(conn, ids, language)

    def open_counts(self, conn: Connection, actor: Actor) -> dict[str, int]:
        """The unresolved incidents ``actor`` may see, counted by severity."""
        query = within_work(
            select(incidents.c.severity, func.count()).where(incidents.c.open_key.is_not(None)),
            actor,
        ).group_by(incidents.c.severity)
        return {severity: int(count) for severity, count in conn.execute(query).all()}

    def notices(self, conn: Connection, actor: Actor, incident_id: int) -> list[NoticeLine]:
        """The messages owed about the incident (to whom, and whether they went out)."""
        self._visible(conn, actor, incident_id)
        return notices_of(conn, [incident_id]).get(incident_id, [])

    def _rows(self, conn: Connection, ids: list[int], language: str) -> list[IncidentRow]:
        if not ids:
            return []
        found = {
            row.id: row for row in conn.execute(select(incidents).where(incidents.c.id.in_(ids)))
        }
        names = customer_names(conn, {row.customer_id for row in found.values()})
        return [self._row(found[id_], names, language) for id_ in ids if id_ in found]

    def _visible(self, conn: Connection, actor: Actor, incident_id: int) -> Any:
        query = within_work(select(incidents).where(incidents.c.id == incident_id), actor)
        row = conn.execute(query).first()
        if row is None:
            raise OperatorError(f"no incident {incident_id}")
        return row
