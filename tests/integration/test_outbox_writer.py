"""The outbox writer queues a cycle's reports as they come, in small groups, on a real
SQLite file: one transaction per group, never a report held longer than the group time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from remotecare.agent.outbox import Outbox, OutboxWriter
from remotecare.errors import OutboxError
from remotecare.protocol.messages import Report
from tests.support.clock import FakeClock
from tests.support.reports import an_unreachable_report

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _report(n: int) -> Report:
    return an_unreachable_report(
        agent_time=START + timedelta(seconds=n), address=f"snmp://192.0.2.{n % 250 + 1}:161"
    )


def test_a_full_group_is_written_at_once_and_the_rest_when_its_time_is_up(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    clock = FakeClock(START)
    writer = OutboxWriter(outbox, group_reports=4, group_seconds=0.5, clock=clock)
    reports = [_report(n) for n in range(6)]
    for report in reports[:4]:
        writer.add(report)
    assert (outbox.count(), writer.groups) == (4, 1)
    writer.add(reports[4])
    clock.advance(seconds=0.25)
    writer.add(reports[5])
    assert writer.seconds_until_due() == 0.25
    writer.write_if_due()
    assert outbox.count() == 4  # not yet: the group's first report came 0.25 s ago
    clock.advance(seconds=0.25)
    assert writer.seconds_until_due() == 0
    writer.write_if_due()
    assert (outbox.count(), writer.groups, writer.queued) == (6, 2, 6)
    assert [q.report_id for q in outbox.peek(10)] == [str(r.report_id) for r in reports]
    assert writer.seconds_until_due() == 0.5  # nothing waits
    writer.write()  # nothing to write: no empty transaction
    assert writer.groups == 2


def test_the_bound_and_the_drop_summary_apply_across_groups(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite", max_reports=5)
    writer = OutboxWriter(outbox, group_reports=3, clock=FakeClock(START))
    reports = [_report(n) for n in range(8)]
    for report in reports:
        writer.add(report)
    writer.write()
    assert [q.report_id for q in outbox.peek(10)] == [str(r.report_id) for r in reports[3:]]
    [summary] = outbox.drop_summary()
    assert (summary.reason, summary.count) == ("outbox full", 3)
    assert (summary.first_agent_time, summary.last_agent_time) == (
        reports[0].agent_time,
        reports[2].agent_time,
    )


class RefusingOutbox(Outbox):
    """A real outbox whose disk is full for the first ``refusals`` groups."""

    def __init__(self, path: Path, refusals: int) -> None:
        super().__init__(path)
        self.refusals = refusals

    def put(self, reports: Sequence[Report]) -> None:
        if self.refusals:
            self.refusals -= 1
            raise OutboxError("the disk holding /x is full: could not queue new reports in")
        super().put(reports)


def test_a_group_the_disk_cannot_take_is_counted_and_later_groups_still_go_in(
    tmp_path: Path,
) -> None:
    outbox = RefusingOutbox(tmp_path / "outbox.sqlite", refusals=1)
    writer = OutboxWriter(outbox, group_reports=2, clock=FakeClock(START))
    reports = [_report(n) for n in range(5)]
    for report in reports:
        writer.add(report)
    writer.write()
    assert (writer.lost, writer.queued) == (2, 3)
    assert writer.error is not None
    assert "is full" in writer.error
    assert [q.report_id for q in outbox.peek(10)] == [str(r.report_id) for r in reports[2:]]
