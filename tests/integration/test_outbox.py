"""The agent's outbox on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from remotecare.agent.outbox import Outbox
from tests.support.reports import an_unreachable_report


def test_reports_survive_reopening_and_leave_in_order(tmp_path: Path) -> None:
    reports = [an_unreachable_report() for _ in range(5)]
    outbox = Outbox(tmp_path / "outbox.sqlite")
    outbox.put(reports)
    outbox.close()
    reopened = Outbox(tmp_path / "outbox.sqlite")
    queued = reopened.peek(10)
    assert [q.report_id for q in queued] == [str(r.report_id) for r in reports]
    reopened.remove([q.seq for q in queued[:2]])
    assert reopened.count() == 3


def test_the_same_report_is_queued_once(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    report = an_unreachable_report()
    outbox.put([report])
    outbox.put([report])
    assert outbox.count() == 1


def test_a_full_outbox_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite", max_reports=3)
    reports = [an_unreachable_report() for _ in range(5)]
    outbox.put(reports)
    assert [q.report_id for q in outbox.peek(10)] == [str(r.report_id) for r in reports[2:]]
    assert outbox.dropped() == {"outbox full": 2}
