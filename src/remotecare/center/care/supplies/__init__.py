"""Supplies: each cartridge's days to empty forecast from its level history and the
printer's page rate, and a shipment ordered in time, once per cartridge (issue 12).

- ``rules/``: the pure rules (cartridges, working days, usage, forecast, orders, lifecycle);
- ``tables.py``: cartridges, forecasts, order policies and supply orders;
- ``forecasting.py``: the care feed's consumer that keeps them up to date;
- ``policies.py``: customers' order policies; ``service.py``: orders as people work them;
- ``api_routes.py``: the JSON API for dealers' systems.
"""

__all__: list[str] = []
