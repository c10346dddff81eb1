"""The fleet (terms, articles 1, 5, 6(3), 7): ingest, printers, connectivity, commands,
agent status, diagnostic bundles."""
