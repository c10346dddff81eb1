"""`remotecare center incidents ...` and `remotecare center notify ...` on a real center
home: listing and filtering, acknowledging and resolving with a note, subscriptions with
their secrets and quiet hours, bad input refused with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from remotecare.center.bootstrap import bootstrap
from remotecare.center.care.feed import record_stored_readings
from remotecare.center.cli import center
from remotecare.center.fleet.ingest import Caller, IngestRequest, ingest_many
from remotecare.center.fleet.rules.binding import BindingPolicy
from remotecare.center.notify.tables import notify_outbox
from remotecare.protocol.messages import Report, new_report_id
from tests.support.care import seed_endpoint
from tests.support.centers import init_center
from tests.support.reports import a_plain_reading

CALLER = Caller("00000000-0000-4000-8000-0000000000c1", 1)


def run(home: Path, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(center, [args[0], *args[1:2], "--home", str(home), *args[2:]])
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def test_incidents_and_subscriptions_from_the_command_line(tmp_path: Path) -> None:
    info = init_center(tmp_path / "center")
    home = info.settings.home
    now = datetime.now(UTC)
    added = run(
        home,
        "notify",
        "add-webhook",
        "ops",
        "https://hooks.example.test/care",
        "--audience",
        "operator",
    )
    assert "signing secret (shown once): whsec_" in added
    run(
        home, "notify", "add-email", "desk", "desk@example.test", "--audience", "customer",
        "--language", "ja", "--quiet", "22:00-07:00", "--severity", "critical",
    )  # fmt: skip
    listed = run(home, "notify", "list")
    assert (
        "desk  email desk@example.test  customer  all customers  critical  ja quiet 22:00-07:00"
        in listed
    )
    assert "whsec_" in run(home, "notify", "rotate-secret", "ops")
    assert "no webhook subscription named 'desk'" in run(
        home, "notify", "rotate-secret", "desk", ok=False
    )
    assert "is not a time of day" in run(
        home,
        "notify",
        "add-email",
        "x",
        "x@example.test",
        "--audience",
        "operator",
        "--quiet",
        "25:00-07:00",
        ok=False,
    )
    assert "no customer named 'Nobody'" in run(
        home,
        "notify",
        "add-email",
        "y",
        "y@example.test",
        "--audience",
        "customer",
        "--customer",
        "Nobody",
        ok=False,
    )

    wired = bootstrap(info.settings)
    try:
        seed_endpoint(wired.transactions.engine, CALLER.endpoint_id, now - timedelta(days=1))
        reading = a_plain_reading("SER-1")
        jammed = reading.model_copy(
            update={"status": reading.status.model_copy(update={"error_conditions": ["jammed"]})}
        )
        report = Report(
            report_id=new_report_id(),
            agent_time=now,
            printer_address="snmp://192.0.2.7:161",
            reading=jammed,
        )
        with wired.transactions.begin() as conn:
            ingest_many(
                conn,
                [
                    IngestRequest(
                        CALLER, [report], now, BindingPolicy.AUTOMATIC, record_stored_readings
                    )
                ],
            )
        assert wired.drainer is not None
        wired.drainer.drain_once()
        with wired.transactions.read() as conn:
            owed = conn.execute(select(notify_outbox.c.event)).scalars().all()
    finally:
        wired.dispose()
    assert owed == ["opened", "opened"]  # the webhook and the customer's desk

    listed = run(home, "incidents", "list", "--severity", "critical", "--language", "ja")
    assert "紙詰まり" in listed
    assert "[paper_jam]  Acme printer:" in listed
    assert "no incidents" in run(home, "incidents", "list", "--responder", "field_service")
    incident_id = listed.split()[0]
    run(home, "incidents", "ack", incident_id, "--note", "customer called")
    run(home, "incidents", "resolve", incident_id, "--note", "cleared on site")
    assert "resolved already" in run(home, "incidents", "resolve", incident_id, ok=False)
    assert "no incident 999" in run(home, "incidents", "ack", "999", ok=False)
    shown = run(home, "incidents", "show", incident_id)
    assert "acknowledged by administrator (command line): customer called" in shown
    assert "resolved_by_hand by administrator (command line): cleared on site" in shown
    assert "no incidents" in run(home, "incidents", "list")
    assert "resolved" in run(home, "incidents", "list", "--all")
    assert "no dead letters" in run(home, "notify", "dead")
    csv_lines = run(home, "incidents", "report", "--months", "1", "--csv").splitlines()
    assert csv_lines[0] == "model,month,devices,incidents,failures,mtbf_days"
    assert csv_lines[1] == f"Acme Laser 9000,{now:%Y-%m},1,1,0,"
