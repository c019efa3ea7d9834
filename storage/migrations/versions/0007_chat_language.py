"""a chat's language and the platform's hint for it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_settings") as batch:
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))
        batch.add_column(sa.Column("language_hint", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_settings") as batch:
        batch.drop_column("language_hint")
        batch.drop_column("language")
