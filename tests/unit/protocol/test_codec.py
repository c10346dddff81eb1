from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime

import pytest

from remotecare.errors import PayloadTooLarge, ProtocolError
from remotecare.protocol.codec import answer_fields, decode, encode, encode_batch, inflate
from remotecare.protocol.messages import AgentStatus, Counter, DropSummary, Report, ReportBatch
from tests.support.reports import a_plain_report


def test_inflate_returns_what_was_compressed() -> None:
    assert inflate(gzip.compress(b"hello" * 100)) == b"hello" * 100


def test_inflate_stops_at_the_limit_instead_of_inflating_a_bomb() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    with pytest.raises(PayloadTooLarge, match="exceeds 1024 bytes"):
        inflate(bomb, limit=1024)


def test_inflate_refuses_what_is_not_gzip() -> None:
    with pytest.raises(ProtocolError, match="not valid gzip"):
        inflate(b"plain text")


def test_inflate_refuses_a_truncated_stream() -> None:
    with pytest.raises(ProtocolError, match="truncated"):
        inflate(gzip.compress(b"x" * 1000)[:-12])


def test_a_report_survives_encoding_and_decoding() -> None:
    report = Report(
        report_id=uuid.uuid4(),
        agent_time=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        printer_address="snmp://192.0.2.1:161",
        unreachable_reason="timeout",
    )
    assert decode(Report, encode(report)) == report
    assert decode(Report, inflate(encode(report, compress=True))) == report


def test_decode_names_the_bad_field() -> None:
    with pytest.raises(ProtocolError, match=r"^agent_time: "):
        decode(
            Report,
            b'{"report_id": "5f0c3a52-7a43-4a5c-9d7e-0b8e8f0f7f11", '
            b'"agent_time": "yesterday", "printer_address": "x"}',
        )


def test_a_naive_agent_time_is_refused() -> None:
    with pytest.raises(ProtocolError, match=r"^agent_time: "):
        decode(
            Report,
            b'{"report_id": "5f0c3a52-7a43-4a5c-9d7e-0b8e8f0f7f11", '
            b'"agent_time": "2026-11-25T12:00:00", "printer_address": "x"}',
        )


def test_a_batch_of_encoded_reports_is_the_encoded_batch() -> None:
    reports = [
        Report(
            report_id=uuid.uuid4(),
            agent_time=datetime(2026, 11, 25, 12, minute, tzinfo=UTC),
            printer_address=f"snmp://192.0.2.{minute}:161",
            unreachable_reason="timeout",
        )
        for minute in (1, 2)
    ]
    status = AgentStatus(queued_reports=2, dropped=[DropSummary(reason="outbox full", count=1)])
    bodies = [encode(report) for report in reports]
    for agent_status in (None, status):
        batch = ReportBatch(reports=reports, agent_status=agent_status)
        assert encode_batch(bodies, agent_status) == encode(batch)
        assert (
            decode(ReportBatch, inflate(encode_batch(bodies, agent_status, compress=True))) == batch
        )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b'{"error": "token expired"}', {"error": "token expired"}),
        (b"<html>Bad Gateway</html>", {}),
        (b"[1, 2]", {}),
        (b"", {}),
    ],
)
def test_answer_fields_are_read_leniently(body: bytes, fields: dict[str, object]) -> None:
    assert answer_fields(body) == fields


def test_a_counter_name_only_a_newer_agent_knows_decodes() -> None:
    # The wire keeps Counter.name free text: an older center takes a newer agent's reading
    # (large_mono from this version, a3_colour_duplex from some later one) whole.
    report = a_plain_report("NEW-1").model_copy(deep=True)
    assert report.reading is not None
    report.reading.counters.extend(
        [
            Counter(name="large_mono", value=420, unit="impressions"),
            Counter(name="a3_colour_duplex", value=9, unit="impressions"),
        ]
    )
    decoded = decode(Report, encode(report))
    assert decoded.reading is not None
    assert [(c.name, c.value) for c in decoded.reading.counters][-2:] == [
        ("large_mono", 420),
        ("a3_colour_duplex", 9),
    ]
