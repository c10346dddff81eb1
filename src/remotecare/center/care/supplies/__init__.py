"""Supplies: each cartridge's days to empty forecast from its level history and the
printer's page rate, and a shipment ordered in time, once per cartridge (issue 12).

This step holds the pure rules (``rules/``); the tables, the service fed by the compact
history and the pages come later.
"""

__all__: list[str] = []
