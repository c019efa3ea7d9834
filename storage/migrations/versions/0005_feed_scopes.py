"""feed scopes, subscription scopes and pings, per-scope LLM usage

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _scope_of(added_by: str | None) -> str:
    """Feeds from before scopes: the operator's stay the operator's; a feed a Telegram or
    console chat added belongs to that chat. A Discord channel's key does not say its
    server, so those keep serving everyone (the operator can remove them)."""
    if added_by is None:
        return "operator"
    platform, chat_id, _thread = [*added_by.split(":", 2), "", ""][:3]
    if platform in ("telegram", "console") and chat_id:
        return f"{platform}:{chat_id}"
    return "operator"


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_by", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("html_url", sa.String(length=2048), nullable=True))
    op.create_table(
        "feed_scopes",
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feed_id", "scope"),
    )
    with op.batch_alter_table("feed_scopes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_scopes_scope"), ["scope"], unique=False)
    with op.batch_alter_table("feed_scopes", schema=None) as batch_op:
        batch_op.alter_column("category", server_default=None)
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("only_ours", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("ping_role", sa.String(length=32), nullable=True))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.alter_column("scope", server_default=None)
        batch_op.alter_column("only_ours", server_default=None)
    op.create_table(
        "scope_usage",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("cost_micro_usd", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "day"),
    )
    bind = op.get_bind()
    feeds = bind.execute(sa.text("SELECT id, added_by FROM feeds")).fetchall()
    for feed_id, added_by in feeds:
        # created_at is copied in SQL: its stored form differs by dialect.
        bind.execute(
            sa.text(
                "INSERT INTO feed_scopes (feed_id, scope, added_by, category, created_at) "
                "SELECT id, :scope, :added_by, '', created_at FROM feeds WHERE id = :id"
            ),
            # Feeds from before were the config's unless a chat added them.
            {"id": feed_id, "scope": _scope_of(added_by), "added_by": added_by or "config"},
        )
    # Telegram and console subscriptions belong to their chat's scope.
    bind.execute(
        sa.text(
            "UPDATE subscriptions SET scope = platform || ':' || chat_id "
            "WHERE platform IN ('telegram', 'console')"
        )
    )


def downgrade() -> None:
    op.drop_table("scope_usage")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("ping_role")
        batch_op.drop_column("only_ours")
        batch_op.drop_column("scope")
    with op.batch_alter_table("feed_scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_scopes_scope"))
    op.drop_table("feed_scopes")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("html_url")
        batch_op.drop_column("disabled_by")
