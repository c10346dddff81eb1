"""The supplies' pure rules: cartridges from the compact history (``cartridges``), the
customer's working days (``calendar``), days to empty (``forecast``) and what to order
(``orders``). Values in, decisions out: no database, no clock, no files."""

__all__: list[str] = []
