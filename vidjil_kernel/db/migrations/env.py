"""Alembic environment: run on the connection handed over by ``vidjil_kernel.db.migrate``.

``render_as_batch`` lets SQLite (which cannot ALTER most things) rebuild tables.
"""

from __future__ import annotations

from alembic import context

from vidjil_kernel.db import models  # noqa: F401  (registers every table)
from vidjil_kernel.db.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `vidjil db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
