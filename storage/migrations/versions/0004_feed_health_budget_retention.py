"""feed health, Discord send times, notices, the shared LLM budget, retention indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("health", sa.String(length=12), nullable=False, server_default="ok")
        )
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    op.create_table(
        "llm_budget",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_index("ix_articles_fetched_at", "articles", ["fetched_at"])
    op.create_index("ix_summaries_created_at", "summaries", ["created_at"])
    op.create_index("ix_deliveries_updated_at", "deliveries", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_updated_at", table_name="deliveries")
    op.drop_index("ix_summaries_created_at", table_name="summaries")
    op.drop_index("ix_articles_fetched_at", table_name="articles")
    op.drop_table("llm_budget")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("body")
        batch_op.drop_column("send_started_at")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
        batch_op.drop_column("health")
