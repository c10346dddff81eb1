"""Alembic environment: run against the connection the center hands in."""

from __future__ import annotations

from alembic import context

import remotecare.center.care.history.tables
import remotecare.center.care.tables  # noqa: F401  (their tables join the metadata)
from remotecare.center.adapters.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
