"""CSV for people's spreadsheets, one way for every export: UTF-8 with a byte-order mark
(Excel in Japan reads it as UTF-8 then) and no cell a spreadsheet would run as a formula.

Printers and customers supply much of what is exported (models, site names, people's
names), so a text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
written with a leading ``'`` (OWASP's advice against CSV injection). Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TextIO

__all__ = ["BOM", "cell", "write_csv"]

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One cell's text: empty for None, yes/no, ISO 8601 times, numbers as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(
    out: TextIO,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    lineterminator: str = "\r\n",
) -> int:
    """Write the BOM, ``header`` and ``rows`` to ``out`` (opened with ``newline=""``);
    how many rows."""
    out.write(BOM)
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([cell(value) for value in row])
        count += 1
    return count
