"""Service rules an admin sets in the browser (opening hours, holidays, on-call, retention).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_settings",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(),
                  sa.ForeignKey("workers.id", ondelete="SET NULL"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("service_settings")
