"""Tables. Schema changes go through Alembic migrations (``storage/migrations``) only;
a test checks that ``upgrade head`` on an empty database matches these models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone; PostgreSQL does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; all datetimes must be aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class FeedRow(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    allow_private: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(200))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    added_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_by: Mapped[str | None] = mapped_column(String(20))
    html_url: Mapped[str | None] = mapped_column(String(2048))
    # "ok", "unhealthy" (chats were told) or "dead" (retried daily, chats were told).
    health: Mapped[str] = mapped_column(String(12), default="ok", server_default="ok")
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedScopeRow(Base):
    """Who a feed serves: the operator (everyone) or one community. A feed added by two
    servers is polled once and has two rows here."""

    __tablename__ = "feed_scopes"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    added_by: Mapped[str] = mapped_column(String(200))  # "config", "cli" or a chat's key
    category: Mapped[str] = mapped_column(String(500), default="")  # OPML folder path
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleRow(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("feed_id", "guid", name="uq_articles_feed_guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    outlet: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    guid: Mapped[str | None] = mapped_column(String(1024))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    story_id: Mapped[str | None] = mapped_column(String(12), index=True)
    language: Mapped[str] = mapped_column(String(16), default="und")
    publisher: Mapped[str] = mapped_column(String(255), default="")


class StoryRow(Base):
    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    headline: Mapped[str] = mapped_column(Text, default="")
    outlets: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, in order of report
    outlet_count: Mapped[int] = mapped_column(Integer, default=0)
    breaking_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    merged_into: Mapped[str | None] = mapped_column(String(12))


class SummaryRow(Base):
    __tablename__ = "summaries"

    story_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    story_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    written_by: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)  # JSON, see storage.codec


class SummaryTranslationRow(Base):
    """A summary version as chats of one language read it (``bot.summaries.translator``):
    made once, shared by every chat of the language, pruned with its summary."""

    __tablename__ = "summary_translations"

    story_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    story_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(35), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    written_by: Mapped[str] = mapped_column(String(100))  # the original's: the AI note
    kept: Mapped[int] = mapped_column(Integer, default=0)  # texts shown translated
    total: Mapped[int] = mapped_column(Integer, default=0)  # texts of the summary
    payload: Mapped[str] = mapped_column(Text)  # JSON, see storage.codec


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "platform", "chat_id", "thread_id", "topic_key", name="uq_subscriptions_dest_topic"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), default="")  # "" = no thread
    topic: Mapped[str] = mapped_column(String(500))
    topic_key: Mapped[str] = mapped_column(String(500))
    breaking_only: Mapped[bool] = mapped_column(Boolean, default=False)
    min_outlets: Mapped[int] = mapped_column(Integer, default=2)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(String(100), default="")
    only_ours: Mapped[bool] = mapped_column(Boolean, default=False)
    ping_role: Mapped[str | None] = mapped_column(String(32))


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "story_id", name="uq_deliveries_sub_story"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[str] = mapped_column(String(12), index=True)
    story_version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(10), default="post")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Claimed rows carry a lease; a crash leaves it to expire and the row is taken again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    shown_version: Mapped[int] = mapped_column(Integer, default=0)  # what the chat shows
    # When the first request of a post went out (a nonce dedupes a resend only so long).
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[str | None] = mapped_column(Text)  # a notice's text (kind "notice")


class MuteRow(Base):
    """A chat that asked for no more updates of one story."""

    __tablename__ = "mutes"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "thread_id", "story_id", name="uq_mutes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), default="")
    story_id: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScopeUsageRow(Base):
    """LLM tokens a community's questions used, per UTC day (``/usage``, scope budgets)."""

    __tablename__ = "scope_usage"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_micro_usd: Mapped[int] = mapped_column(Integer, default=0)


class StorySearchRow(Base):
    """One search document per story: headline, summary and article titles, for /search.

    The full-text index itself is the database's own (``storage.search``): an FTS5 table
    kept in step by triggers on SQLite, a ``tsvector`` column with a GIN index on PostgreSQL.
    Neither is declared here; migration 0006 creates them.
    """

    __tablename__ = "story_search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_id: Mapped[str] = mapped_column(String(12), unique=True)
    language: Mapped[str] = mapped_column(String(16), default="und")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    body: Mapped[str] = mapped_column(Text, default="")


class ChatSettingsRow(Base):
    """Per-chat settings and the chat's place in /catchup."""

    __tablename__ = "chat_settings"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "thread_id", name="uq_chat_settings_dest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    language_hint: Mapped[str | None] = mapped_column(String(35), nullable=True)
    # The window the last /catchup showed: [catchup_from, caught_up_at); its pages reuse it.
    catchup_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    caught_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestRow(Base):
    """A subscription that gets one digest message on a schedule instead of posts."""

    __tablename__ = "digests"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    schedule: Mapped[str] = mapped_column(String(40))  # "daily 08:00", "weekly mon 08:00"
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The digest due at ``next_due_at`` covers stories from ``covers_from`` on.
    covers_from: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestRunRow(Base):
    """One digest issued: the stories it lists, owed to the chat through the outbox (the
    outbox row's ``story_id`` is ``storage.digests.digest_key`` of this row's id)."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("subscription_id", "due_at", name="uq_digest_runs_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    covers_from: Mapped[datetime] = mapped_column(UTCDateTime)
    covers_until: Mapped[datetime] = mapped_column(UTCDateTime)
    story_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, most important first
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LlmBudgetRow(Base):
    """LLM tokens reserved or used per UTC day, shared by every process."""

    __tablename__ = "llm_budget"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


# The tables themselves, for reads that only turn rows into values and for bulk writes:
# an ORM object's bookkeeping cost about as much as the rest of such a read or write,
# and processing makes them for every story a batch changes.
ARTICLES = _table(ArticleRow)
FEEDS = _table(FeedRow)
STORIES = _table(StoryRow)
SUMMARIES = _table(SummaryRow)
STORY_SEARCH = _table(StorySearchRow)
