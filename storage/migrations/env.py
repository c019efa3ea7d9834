"""Alembic environment: migrations run on a connection handed over by ``storage.engine``."""

from __future__ import annotations

from alembic import context

from storage.models import Base
from storage.search import include_object

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `newsbot db upgrade`, not the alembic CLI")
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
