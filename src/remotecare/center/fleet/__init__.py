"""Fleet: the printers, their reports and how long the raw reports are kept."""

__all__: list[str] = []
