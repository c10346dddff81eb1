"""Every CSV export's cells: a spreadsheet runs nothing it reads, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from remotecare.center.kernel.spreadsheet import BOM, cell, write_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+81 3 1234 5678", "'+81 3 1234 5678"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("Ricoh IM C3000", "Ricoh IM C3000"),
        ("東京都千代田区", "東京都千代田区"),
        (-5, "-5"),
        (2.5, "2.5"),
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (datetime(2026, 12, 4, 9, 30, tzinfo=UTC), "2026-12-04T09:30:00+00:00"),
    ],
)
def test_a_cell_is_text_a_spreadsheet_will_not_run(value: object, written: str) -> None:
    assert cell(value) == written


def test_the_file_starts_with_a_bom_and_reads_back_row_by_row() -> None:
    out = io.StringIO(newline="")
    count = write_csv(out, ["model", "pages"], [["=cmd|' /C calc'!A0", 12], ["MX-3570N", None]])
    text = out.getvalue()
    assert count == 2
    assert text.startswith(BOM + "model,pages\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert rows == [["model", "pages"], ["'=cmd|' /C calc'!A0", "12"], ["MX-3570N", ""]]
