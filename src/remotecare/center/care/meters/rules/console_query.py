"""What a person asks of the meter reads page, read from its query string: which period,
which customer, which kind of read and which page. Unknown or malformed values get a
clear refusal (``ReadsQueryError``), never a guess that shows the wrong month's money.

Usage::

    query = read_reads_query({"period": "2026-10", "state": "estimated"}, latest="2026-12")
    query.period, query.state, query.page                 # "2026-10", ReadState.ESTIMATED, 1
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from remotecare.errors import OperatorError

__all__ = [
    "OLDEST_PERIOD_MONTHS",
    "PAGE_SIZE",
    "ReadState",
    "ReadsQuery",
    "ReadsQueryError",
    "month_index",
    "period_before",
    "read_reads_query",
    "row_state_matches",
]

PAGE_SIZE = 50  # rows (a device's counter each) on a page
OLDEST_PERIOD_MONTHS = 120  # how far back a period may be asked for: ten years of bills
_MAX_PAGE = 100_000
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class ReadsQueryError(OperatorError, ValueError):
    """A meter reads query that cannot be answered as asked (bad period, customer...)."""


class ReadState(enum.StrEnum):
    """Which reads to list: by how each was made, or those with a flag to look at."""

    ACTUAL = "actual"
    ESTIMATED = "estimated"
    MISSING = "missing"
    FLAGGED = "flagged"


@dataclass(frozen=True, slots=True)
class ReadsQuery:
    period: str
    customer_id: int | None
    state: ReadState | None
    page: int

    @property
    def params(self) -> dict[str, str]:
        """The query as the page's links repeat it."""
        found = {"period": self.period}
        if self.customer_id is not None:
            found["customer"] = str(self.customer_id)
        if self.state is not None:
            found["state"] = self.state.value
        return found


def month_index(period: str) -> int:
    """A period ("YYYY-MM") as a count of months, for comparing and shifting."""
    match = _PERIOD.match(period)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ReadsQueryError(f"{period!r} is not a period: write YYYY-MM")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def period_before(period: str, months: int = 1) -> str:
    index = month_index(period) - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def read_reads_query(
    params: Mapping[str, str], latest: str, newest: str | None = None
) -> ReadsQuery:
    """The query in ``params``; ``latest`` is the period running now, ``newest`` the
    newest that may be asked for (default ``latest``; one more for several customers whose
    cut-offs differ). Without a period: the one before ``latest``, the last billed."""
    newest_name = newest or latest
    period = params.get("period", "").strip() or period_before(latest)
    asked = month_index(period)
    if asked > month_index(newest_name):
        raise ReadsQueryError(f"period {period} has not begun: the newest is {newest_name}")
    if asked < month_index(latest) - OLDEST_PERIOD_MONTHS:
        oldest = period_before(latest, OLDEST_PERIOD_MONTHS)
        raise ReadsQueryError(f"period {period} is too old: the oldest is {oldest}")
    customer_text = params.get("customer", "").strip()
    customer_id = None
    if customer_text:
        if not customer_text.isascii() or not customer_text.isdigit() or len(customer_text) > 9:
            raise ReadsQueryError(f"{customer_text!r} is not a customer")
        customer_id = int(customer_text)
    state_text = params.get("state", "").strip()
    try:
        state = ReadState(state_text) if state_text else None
    except ValueError as exc:
        raise ReadsQueryError(f"{state_text!r} is not a kind of read") from exc
    page_text = params.get("page", "1").strip()
    page = int(page_text) if page_text.isascii() and page_text.isdigit() else 1
    return ReadsQuery(period, customer_id, state, min(max(page, 1), _MAX_PAGE))


def row_state_matches(state: ReadState | None, read_type: str, flags: list[str]) -> bool:
    """Whether an export row (its ``read_type`` and ``flags``) is of ``state``."""
    if state is None:
        return True
    if state is ReadState.FLAGGED:
        return bool(flags)
    return read_type == state.value
