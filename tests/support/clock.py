"""One fake clock for every test: the center's ``Clock`` protocol (``now()``, UTC-aware; mypy
checks it wherever a center object takes one) and the agent's clock (a call giving seconds).

clock = FakeClock(T0)                 # stands still at T0 (UTC-aware)
clock.advance(seconds=30)             # now() is T0 + 30 s
clock.set(T0 + timedelta(hours=1))
running = FakeClock()                 # follows the real time...
running.offset = timedelta(days=-1)   # ...a day behind it
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["FakeClock"]


class FakeClock:
    """``now()`` is ``start`` (or, without one, the real time) plus ``offset``; calling the
    clock gives the same moment in seconds, as the agent's ``OutboxWriter`` expects."""

    def __init__(self, start: datetime | None = None, *, offset: timedelta = timedelta(0)) -> None:
        if start is not None and start.utcoffset() is None:
            raise ValueError("a fake clock starts at a UTC-aware moment")
        self._start = start
        self.offset = offset

    def now(self) -> datetime:
        base = datetime.now(UTC) if self._start is None else self._start
        return base + self.offset

    def __call__(self) -> float:
        return self.now().timestamp()

    def advance(self, *, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        """Stand still at ``moment`` from now on."""
        self._start, self.offset = moment, timedelta(0)
