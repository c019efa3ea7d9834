"""Persistence: SQLAlchemy 2.0 async on SQLite (default) or PostgreSQL.

``open_storage(url)`` connects, applies Alembic migrations up to head and returns a
``SqlStorage``, which implements every consumer's storage port (``bot.feeds.ports``,
``bot.stories.ports``, ``bot.delivery.ports``, ``bot.commands.ports``, ``bot.app.ports``).
"""

from __future__ import annotations

from storage.engine import create_engine_for, migrate, open_storage
from storage.sql import SqlStorage

__all__ = ["SqlStorage", "create_engine_for", "migrate", "open_storage"]
