"""Compact history: change-only samples of each printer's supplies and counters, as
numbers, fed by the care feed; what forecasts, meter reads and charts read."""

__all__: list[str] = []
