"""The meters' pure rules: billing periods (``periods``), which readings to trust
(``screening``), the read at cut-off (``reads``), usage across resets and swaps and its
validation (``usage``). Values in, decisions out: no database, no clock, no files."""

__all__: list[str] = []
