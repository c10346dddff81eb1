"""Contracts (terms, article 3): customers and whether their service runs."""
