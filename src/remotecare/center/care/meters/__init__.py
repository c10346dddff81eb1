"""Meter reads for billing (issue 13): one trustworthy read per device, counter and
billing period, honest about how it was made; periods closed once, corrected only with a
reason, exported for the dealer's billing system.

``rules/`` holds the pure decisions (periods, screening, the read at cut-off, usage,
validation); ``service.py`` runs them on the compact history; ``tables.py`` keeps reads,
closings and corrections.
"""

__all__: list[str] = []
