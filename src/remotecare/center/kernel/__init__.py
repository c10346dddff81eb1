"""Kernel: clock, storage, transactions, group commit, schema and migrations."""
