"""Kernel: what every package of the center builds on (storage, clocks, background work)."""

__all__: list[str] = []
