"""story search index, chat settings, digests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# An external-content FTS5 table over story_search.body, kept in step by triggers. Porter
# stems English words (plants ~ plant); unicode61 folds case and diacritics everywhere.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE story_search_fts USING fts5(body, content='story_search', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER story_search_ai AFTER INSERT ON story_search BEGIN "
    "INSERT INTO story_search_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER story_search_ad AFTER DELETE ON story_search BEGIN "
    "INSERT INTO story_search_fts(story_search_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER story_search_au AFTER UPDATE OF body ON story_search BEGIN "
    "INSERT INTO story_search_fts(story_search_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO story_search_fts(rowid, body) VALUES (new.id, new.body); END",
)


def upgrade() -> None:
    op.create_table(
        "story_search",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("story_id", sa.String(length=12), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("story_id"),
    )
    op.create_index("ix_story_search_updated_at", "story_search", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE story_search ADD COLUMN tsv tsvector")
        op.execute("CREATE INDEX ix_story_search_tsv ON story_search USING gin (tsv)")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)
    op.create_table(
        "chat_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("catchup_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caught_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "thread_id", name="uq_chat_settings_dest"),
    )
    op.create_table(
        "digests",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(length=40), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("covers_from", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_index("ix_digests_next_due_at", "digests", ["next_due_at"])
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("covers_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("covers_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("story_ids", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "due_at", name="uq_digest_runs_due"),
    )
    op.create_index("ix_digest_runs_subscription_id", "digest_runs", ["subscription_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_runs_subscription_id", table_name="digest_runs")
    op.drop_table("digest_runs")
    op.drop_index("ix_digests_next_due_at", table_name="digests")
    op.drop_table("digests")
    op.drop_table("chat_settings")
    if op.get_bind().dialect.name != "postgresql":
        for name in ("story_search_ai", "story_search_ad", "story_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS story_search_fts")
    op.drop_index("ix_story_search_updated_at", table_name="story_search")
    op.drop_table("story_search")
