"""Schema changes go through Alembic only: `upgrade head` must equal the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage import SqlStorage, create_engine_for, migrate
from storage.engine import alembic_config
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


async def test_0005_gives_existing_feeds_and_subscriptions_their_scopes(tmp_path: Path) -> None:
    """Feeds from before scopes: the config's stay the operator's, a Telegram chat's
    become that chat's; Telegram subscriptions get their chat's scope."""
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0003"))
            now = "2026-01-01 00:00:00"
            for url, added_by in (
                ("https://op.example/rss", None),
                ("https://tg.example/rss", "telegram:-100:"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO feeds (url, name, allow_private, enabled,"
                        " consecutive_failures, items_seen, added_by, created_at)"
                        " VALUES (:u, 'x', 0, 1, 0, 0, :a, :t)"
                    ),
                    {"u": url, "a": added_by, "t": now},
                )
            await conn.execute(
                text(
                    "INSERT INTO subscriptions (platform, chat_id, thread_id, topic, topic_key,"
                    " breaking_only, min_outlets, paused, created_at)"
                    " VALUES ('telegram', '-100', '', 'iraq', 'iraq', 0, 2, 0, :t)"
                ),
                {"t": now},
            )
        await migrate(engine)
        store = SqlStorage(engine)
        scopes = {f.url: f.scopes for f in await store.list_feeds()}
        assert scopes == {
            "https://op.example/rss": {"operator"},
            "https://tg.example/rss": {"telegram:-100"},
        }
        (sub,) = await store.active_subscriptions()
        assert (sub.scope, sub.only_ours, sub.ping_role) == ("telegram:-100", False, None)
        # The config's feed is retired when the config drops it; the chat's is not.
        retired = await store.retire_config_feeds([])
        assert [f.url for f in retired] == ["https://op.example/rss"]
    finally:
        await engine.dispose()
