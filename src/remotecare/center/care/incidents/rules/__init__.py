"""The incident rules: pure values in, decisions out (no I/O)."""
