"""summaries translated for the languages of the chats they go to

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summary_translations",
        sa.Column("story_id", sa.String(length=12), nullable=False),
        sa.Column("story_version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_by", sa.String(length=100), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "story_version", "language"),
    )


def downgrade() -> None:
    op.drop_table("summary_translations")
