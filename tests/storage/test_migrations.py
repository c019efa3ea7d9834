"""Schema changes go through Alembic only: `upgrade head` must equal the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage import create_engine_for, migrate
from storage.models import Base
from storage.search import include_object


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_head_on_an_empty_database_matches_the_models(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        await migrate(engine)
        await migrate(engine)  # idempotent: a second run changes nothing
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()
