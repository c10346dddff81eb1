"""Care: what downstream services make of the readings ingest stored (the care feed and
the compact history fed by it)."""

__all__: list[str] = []
