"""Incidents from the care feed on SQLite and PostgreSQL: one incident per device and
condition however often it repeats (the database holds that too), resolution after the
settle time, flapping folded into one incident, diagnostics asked for field service, the
silence of printers and agents, and the notification outbox written with each change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from remotecare.center.access.rules import Actor, Role, WorkKind
from remotecare.center.admin import ADMINISTRATOR
from remotecare.center.care.feed import DrainPacing, FeedDrainer, record_stored_readings
from remotecare.center.care.incidents.catalogue import packaged_catalogue
from remotecare.center.care.incidents.contract_events import ResolveIncidentsOnTermination
from remotecare.center.care.incidents.rules.catalogue import Severity
from remotecare.center.care.incidents.rules.lifecycle import SettlePolicy
from remotecare.center.care.incidents.rules.listing import IncidentQuery, StateFilter
from remotecare.center.care.incidents.service import (
    IncidentClosed,
    IncidentConsumer,
    Incidents,
    IncidentService,
    IncidentWatch,
)
from remotecare.center.care.incidents.tables import incident_timeline, incidents
from remotecare.center.contracts.rules import Service
from remotecare.center.fleet.commands import CommandService
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.fleet.tables import commands, diagnostic_bundles, printers
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.notify.rules import Audience, Channel
from remotecare.center.notify.service import SubscriptionRequest, add_subscription
from remotecare.center.notify.tables import notify_outbox
from remotecare.errors import OperatorError
from remotecare.protocol.messages import Alert, PrinterReading, Report, new_report_id
from tests.support.care import contract_services, seed_endpoint
from tests.support.reports import a_plain_reading
from tests.support.schema import migrated_engine

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CALLER = Caller("00000000-0000-4000-8000-0000000000c1", 1)
SETTLE = timedelta(minutes=10)


class SteppedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class Rig:
    """A center's database with the incidents consumer and watch on a stepped clock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = SteppedClock(T0)
        self.transactions = Transactions(engine)
        self.incidents = Incidents(
            packaged_catalogue(), SettlePolicy(settle=SETTLE), CommandService(self.clock)
        )
        self.drainer = FeedDrainer(
            self.transactions,
            [IncidentConsumer(self.incidents, self.clock)],
            self.clock,
            pacing=DrainPacing(batch=50),
        )
        self.watch = IncidentWatch(self.transactions, self.incidents, self.clock)
        self.service = IncidentService(self.incidents, self.clock)

    def report(self, reading: PrinterReading, minutes: float) -> Report:
        at = T0 + timedelta(minutes=minutes)
        self.clock.current = max(self.clock.current, at)
        report = Report(
            report_id=new_report_id(),
            agent_time=at,
            printer_address="snmp://192.0.2.7:161",
            reading=reading,
        )
        self.store([report])
        return report

    def store(self, batch: Sequence[Report]) -> None:
        with self.engine.begin() as conn:
            request = IngestRequest(
                CALLER, batch, self.clock.now(), BindingPolicy.AUTOMATIC, record_stored_readings
            )
            ingest_many(conn, [request])
        while self.drainer.drain_once():
            pass

    def rows(self) -> list:  # type: ignore[type-arg]
        with self.engine.connect() as conn:
            return list(conn.execute(select(incidents).order_by(incidents.c.id)))

    def outbox(self) -> list[tuple[int, str]]:
        with self.engine.connect() as conn:
            query = select(notify_outbox.c.incident_id, notify_outbox.c.event).order_by(
                notify_outbox.c.id
            )
            return [(row[0], row[1]) for row in conn.execute(query)]

    def timeline(self, incident_id: int) -> list[str]:
        with self.engine.connect() as conn:
            query = select(incident_timeline.c.change).where(
                incident_timeline.c.incident_id == incident_id
            )
            return list(conn.execute(query.order_by(incident_timeline.c.id)).scalars())


@pytest.fixture
def rig(tmp_path: Path, database_url: str) -> Iterator[Rig]:
    engine = migrated_engine(database_url, tmp_path / "center.db")
    seed_endpoint(engine, CALLER.endpoint_id, T0 - timedelta(days=1))
    with engine.begin() as conn:
        add_subscription(
            conn,
            SubscriptionRequest(
                "ops", Channel.WEBHOOK, "http://127.0.0.1:9/hook", Audience.OPERATOR
            ),
            T0,
        )
    yield Rig(engine)
    engine.dispose()


def jammed(serial: str = "SER-1") -> PrinterReading:
    reading = a_plain_reading(serial)
    status = reading.status.model_copy(update={"error_conditions": ["jammed"]})
    return reading.model_copy(update={"status": status})


def service_call(serial: str = "SER-1") -> PrinterReading:
    alert = Alert(
        index=40,
        severity="critical",
        training_level="fieldService",
        group="marker",
        group_index=1,
        code="markerFuserThermistorFailure",
        description="SC542 fusing thermistor error: call service",
    )
    return a_plain_reading(serial).model_copy(update={"alerts": [alert]})


def test_a_repeated_condition_is_one_incident_with_one_message_per_recipient(rig: Rig) -> None:
    first = rig.report(jammed(), 0)
    for minute in (5, 10, 15):
        rig.report(jammed(), minute)
    (row,) = rig.rows()
    assert (row.kind, row.condition_key, row.state, row.severity, row.responder) == (
        "paper_jam",
        "paper_jam",
        "open",
        "critical",
        "customer",
    )
    assert row.last_seen_at == T0 + timedelta(minutes=15)
    assert rig.timeline(row.id) == ["opened"]
    with rig.engine.connect() as conn:
        report_id = conn.execute(select(incident_timeline.c.report_id)).scalar_one()
    assert report_id == str(first.report_id)
    assert rig.outbox() == [(row.id, "opened")]


def test_nothing_opens_for_a_customer_without_fault_monitoring(rig: Rig) -> None:
    rig.report(jammed(), 0)
    with rig.engine.begin() as conn:  # the customer keeps supplies and meter reads only
        contract_services(conn, {Service.SUPPLIES, Service.METERS}, T0)
    rig.report(jammed("SER-2"), 5)
    rig.clock.current += timedelta(hours=5)  # both printers silent
    rig.watch.run_round()
    assert [(r.kind, r.printer_id is not None) for r in rig.rows()] == [("paper_jam", True)]
    assert len({r.printer_id for r in rig.rows()}) == 1


def test_termination_resolves_the_customers_open_incidents(rig: Rig) -> None:
    rig.report(jammed(), 0)
    rig.report(service_call("SER-2"), 1)
    with rig.engine.begin() as conn:
        done = ResolveIncidentsOnTermination(rig.service).terminated(
            conn, ADMINISTRATOR, 1, rig.clock.now()
        )
    assert done == "2 open incident(s) resolved"
    assert {r.state for r in rig.rows()} == {"resolved"}
    assert all(rig.timeline(r.id)[-1] == "resolved_by_hand" for r in rig.rows())


def test_the_same_reading_fed_again_changes_nothing(rig: Rig) -> None:
    report = rig.report(jammed(), 0)
    rig.report(a_plain_reading("SER-1"), 5)  # cleared
    with rig.engine.begin() as conn:  # the feed hands the first reading again
        record_stored_readings(conn, [str(report.report_id)])
    while rig.drainer.drain_once():
        pass
    (row,) = rig.rows()
    assert row.state == "clearing"
    assert rig.timeline(row.id) == ["opened", "cleared"]


def test_a_cleared_condition_resolves_after_the_settle_time_only(rig: Rig) -> None:
    rig.report(jammed(), 0)
    rig.report(a_plain_reading("SER-1"), 5)
    rig.clock.current = T0 + timedelta(minutes=14)
    rig.watch.run_round()
    assert rig.rows()[0].state == "clearing"
    rig.clock.current = T0 + timedelta(minutes=15)
    rig.watch.run_round()
    (row,) = rig.rows()
    assert (row.state, row.open_key, row.resolved_at) == ("resolved", None, rig.clock.current)
    assert rig.timeline(row.id) == ["opened", "cleared", "resolved"]
    assert rig.outbox() == [(row.id, "opened"), (row.id, "resolved")]
    rig.report(jammed(), 20)  # the same condition again later: a new incident
    assert [r.state for r in rig.rows()] == ["resolved", "open"]


def test_a_flapping_condition_is_held_as_one_incident_marked_flapping(rig: Rig) -> None:
    for step in range(10):
        rig.report(jammed() if step % 2 == 0 else a_plain_reading("SER-1"), step * 2)
    (row,) = rig.rows()
    assert row.flapping
    assert rig.timeline(row.id).count("flapping") == 1
    assert rig.outbox() == [(row.id, "opened"), (row.id, "flapping")]


def test_the_database_refuses_a_second_unresolved_incident_for_one_condition(rig: Rig) -> None:
    rig.report(jammed(), 0)
    (row,) = rig.rows()
    copy = {k: v for k, v in row._mapping.items() if k != "id"}
    with pytest.raises(IntegrityError), rig.engine.begin() as conn:
        conn.execute(insert(incidents).values(**copy))


def test_a_field_service_incident_asks_for_diagnostics_once(rig: Rig) -> None:
    rig.report(service_call(), 0)
    (row,) = rig.rows()
    assert (row.kind, row.responder) == ("fuser_failure", "field_service")
    with rig.engine.connect() as conn:
        queued = conn.execute(select(commands.c.id, commands.c.kind, commands.c.arguments)).all()
    assert [(c.kind, c.arguments) for c in queued] == [
        ("collect_diagnostics", {"printer": "SER-1"})
    ]
    assert row.diagnostics_command_id == queued[0].id
    assert "diagnostics_requested" in rig.timeline(row.id)
    with rig.engine.begin() as conn:  # the agent's bundle arrives
        conn.execute(
            insert(diagnostic_bundles).values(
                id="b-1",
                endpoint_id=CALLER.endpoint_id,
                printer_serial="SER-1",
                reason="center_request",
                command_id=queued[0].id,
                size_bytes=10,
                sha256="0" * 64,
                received_bytes=10,
                status="complete",
                path="x",
                declared_at=rig.clock.now(),
                completed_at=rig.clock.now(),
            )
        )
    rig.watch.run_round()
    assert rig.rows()[0].bundle_id == "b-1"
    assert rig.timeline(row.id)[-1] == "bundle_linked"


def test_a_recent_bundle_is_linked_instead_of_asking_again(rig: Rig) -> None:
    rig.report(a_plain_reading("SER-1"), 0)  # the printer is known
    with rig.engine.begin() as conn:
        conn.execute(
            insert(diagnostic_bundles).values(
                id="b-0",
                endpoint_id=CALLER.endpoint_id,
                printer_serial="SER-1",
                reason="service_requested",
                size_bytes=10,
                sha256="0" * 64,
                received_bytes=10,
                status="complete",
                path="x",
                declared_at=T0 + timedelta(minutes=1),
            )
        )
    rig.report(service_call(), 30)
    (row,) = rig.rows()
    assert row.bundle_id == "b-0"
    assert row.diagnostics_command_id is None
    with rig.engine.connect() as conn:
        assert conn.execute(select(commands.c.id)).all() == []


def test_silent_printers_and_agents_become_incidents_for_whoever_acts(rig: Rig) -> None:
    rig.report(a_plain_reading("SER-1"), 0)
    with rig.engine.begin() as conn:  # the agent calls, but has not read the printer for hours
        conn.execute(printers.update().values(last_contact_at=T0 - timedelta(hours=3)))
    from remotecare.center.identity.tables import endpoints

    with rig.engine.begin() as conn:
        conn.execute(endpoints.update().values(last_seen_at=rig.clock.now()))
    rig.watch.run_round()
    assert [(r.kind, r.responder) for r in rig.rows()] == [("printer_silent", "customer")]
    rig.clock.current += timedelta(hours=2)  # now the agent is silent too
    rig.watch.run_round()
    by_kind = {r.kind: r for r in rig.rows()}
    assert by_kind["agent_silent"].responder == "operator"
    assert by_kind["agent_silent"].subject == f"endpoint:{CALLER.endpoint_id}"
    assert by_kind["printer_silent"].state == "clearing"  # the agent's silence covers it
    with rig.engine.connect() as conn:  # the device page's connectivity timeline
        timeline = rig.service.silences_of(
            conn,
            ADMINISTRATOR,
            by_kind["printer_silent"].printer_id,
            CALLER.endpoint_id,
            T0 - timedelta(days=1),
        )
        later = rig.service.silences_of(
            conn,
            ADMINISTRATOR,
            by_kind["printer_silent"].printer_id,
            CALLER.endpoint_id,
            rig.clock.now() + timedelta(days=1),
        )
    assert [r.kind for r in timeline] == ["printer_silent", "agent_silent"]
    assert [r.kind for r in later] == ["printer_silent", "agent_silent"]  # still unresolved


def test_people_acknowledge_and_resolve_with_a_note_and_subcontractors_see_their_work_only(
    rig: Rig,
) -> None:
    rig.report(jammed(), 0)
    rig.report(service_call("SER-2"), 1)
    with rig.engine.begin() as conn:
        listed = rig.service.listing(conn, ADMINISTRATOR)
        jam = next(r for r in listed if r.kind == "paper_jam")
        rig.service.acknowledge(conn, ADMINISTRATOR, jam.id, "customer called")
        rig.service.resolve(conn, ADMINISTRATOR, jam.id, "cleared on site")

    subcontractor = Actor.scoped("fixers", Role.SUBCONTRACTOR, [1])
    with rig.engine.begin() as conn:
        assert [r.kind for r in rig.service.listing(conn, subcontractor)] == ["fuser_failure"]
        with pytest.raises(OperatorError):
            rig.service.acknowledge(conn, subcontractor, jam.id, None)
        with pytest.raises(OperatorError):
            rig.service.resolve(conn, ADMINISTRATOR, jam.id, None)
        entries = rig.service.timeline(conn, ADMINISTRATOR, jam.id)
    assert [(e.change, e.note) for e in entries[1:]] == [
        ("acknowledged", "customer called"),
        ("resolved_by_hand", "cleared on site"),
    ]
    assert (jam.id, "resolved") in rig.outbox()


def test_a_partial_reading_clears_nothing(rig: Rig) -> None:
    rig.report(jammed(), 0)
    partial = a_plain_reading("SER-1").model_copy(
        update={"partial_reason": "failed: prtAlertTable (error status 5)"}
    )
    rig.report(partial, 5)
    (row,) = rig.rows()
    assert row.state == "open"
    rig.report(a_plain_reading("SER-1"), 10)
    assert rig.rows()[0].state == "clearing"


def test_an_agent_certificate_about_to_expire_is_the_operators_incident(rig: Rig) -> None:
    from remotecare.center.identity.tables import endpoints

    with rig.engine.begin() as conn:  # an agent without printers: still watched
        conn.execute(
            endpoints.update().values(
                last_seen_at=rig.clock.now(), certificate_not_after=T0 + timedelta(days=3)
            )
        )
    rig.watch.run_round()
    assert [(r.kind, r.responder, r.subject) for r in rig.rows()] == [
        ("certificate_expiring", "operator", f"endpoint:{CALLER.endpoint_id}")
    ]
    rig.watch.run_round()  # seen again: still the one incident
    assert len(rig.rows()) == 1


def test_the_console_search_filters_pages_and_counts_what_each_person_may_see(
    rig: Rig,
) -> None:
    for n in range(5):
        rig.report(jammed(f"SER-{n}"), n)
    rig.report(service_call("SER-9"), 6)
    jams = [r.id for r in rig.rows() if r.kind == "paper_jam"]
    fuser = next(r for r in rig.rows() if r.kind == "fuser_failure")
    service = rig.service
    with rig.engine.begin() as conn:
        page = service.search(conn, ADMINISTRATOR, IncidentQuery(page=9), page_size=4)
        assert (page.total, page.page, page.pages) == (6, 2, 2)  # past the end: the last
        assert [r.id for r in page.rows] == sorted(jams)[1::-1]  # newest first: the oldest last
        found = service.search(conn, ADMINISTRATOR, IncidentQuery(text="ser-9"))
        assert [r.id for r in found.rows] == [fuser.id]
        assert [r.title for r in found.rows] == ["Fuser failure"]
        found = service.search(conn, ADMINISTRATOR, IncidentQuery(text="%"), language="ja")
        assert found.rows == []  # a wildcard is a character like any other
        assert service.open_counts(conn, ADMINISTRATOR) == {Severity.CRITICAL.value: 6}
        assert [r.id for r in service.of_printer(conn, ADMINISTRATOR, fuser.printer_id)] == [
            fuser.id
        ]
        service.resolve(conn, ADMINISTRATOR, jams[0], "done")
        with pytest.raises(IncidentClosed):
            service.acknowledge(conn, ADMINISTRATOR, jams[0], "too late")
        resolved = service.search(conn, ADMINISTRATOR, IncidentQuery(state=StateFilter.RESOLVED))
        assert [r.id for r in resolved.rows] == [jams[0]]
        assert [n.event for n in service.notices(conn, ADMINISTRATOR, jams[0])] == [
            "opened",
            "resolved",
        ]

        # A subcontractor's person sees the incidents assigned to its company, and no other.
        assigned = Actor.subcontractor("fixit", [(WorkKind.INCIDENT, str(jams[1]), 1)])
        assert [r.id for r in service.search(conn, assigned, IncidentQuery()).rows] == [jams[1]]
        assert service.open_counts(conn, assigned) == {"critical": 1}
        assert service.of_printer(conn, assigned, fuser.printer_id) == []
        with pytest.raises(OperatorError):
            service.one_in(conn, assigned, fuser.id, "en")
        devices_only = Actor.subcontractor("fixit", [(WorkKind.DEVICE, "1", 1)])
        assert service.search(conn, devices_only, IncidentQuery()).total == 0
        other_customer = Actor.scoped("globex", Role.CUSTOMER_USER, [2])
        assert service.open_counts(conn, other_customer) == {}


def test_readings_of_one_printer_in_one_batch_end_as_when_fed_one_by_one(rig: Rig) -> None:
    """Each reading judges against what the one before it opened or cleared, within a
    batch too (the consumer reads a printer's incidents again only when it needs them)."""

    def sequence(serial: str, start: float) -> list[Report]:
        shapes = [jammed(serial), jammed(serial), a_plain_reading(serial), jammed(serial)]
        return [
            Report(
                report_id=new_report_id(),
                agent_time=T0 + timedelta(minutes=start + minute),
                printer_address=f"snmp://192.0.2.{8 if serial == 'SER-1' else 9}:161",
                reading=reading,
            )
            for minute, reading in zip((0, 2, 4, 6), shapes, strict=True)
        ]

    rig.clock.current = T0 + timedelta(minutes=30)
    for report in sequence("SER-2", 0):  # one by one
        rig.store([report])
    rig.store(sequence("SER-1", 0))  # one batch
    by_printer = {row.printer_id: row for row in rig.rows()}
    assert len(rig.rows()) == len(by_printer) == 2  # one incident per printer
    one_by_one, batched = (by_printer[p] for p in sorted(by_printer))  # SER-2 stored first
    assert rig.timeline(batched.id) == rig.timeline(one_by_one.id)
    assert (batched.state, batched.returns) == (one_by_one.state, one_by_one.returns)
    assert [e for i, e in rig.outbox() if i == batched.id] == [
        e for i, e in rig.outbox() if i == one_by_one.id
    ]
