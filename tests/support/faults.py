"""Fault recordings for end-to-end tests: where they are, a printer recovered from its
fault, and a bounded asynchronous wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["FIXTURES", "recovered", "until"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "snmp"


def recovered(text: str) -> str:
    """The paper-jam printer after the jam is cleared: no alert, no error bit, running."""
    lines = []
    for line in text.splitlines():
        if line.startswith("1.3.6.1.2.1.43.18.1.1."):
            continue
        if line.startswith("1.3.6.1.2.1.25.3.5.1.2.1|"):
            line = "1.3.6.1.2.1.25.3.5.1.2.1|4x|0000"
        if line.startswith("1.3.6.1.2.1.25.3.2.1.5.1|"):
            line = "1.3.6.1.2.1.25.3.2.1.5.1|2|2"
        lines.append(line)
    return "\n".join(lines) + "\n"


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.2)
