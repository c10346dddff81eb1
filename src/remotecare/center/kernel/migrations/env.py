"""Alembic environment: run against the connection the center hands in."""

from __future__ import annotations

from alembic import context

from remotecare.center.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
