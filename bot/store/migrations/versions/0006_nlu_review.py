"""NLU review: messages the bot did not understand well, for admins to label.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nlu_review",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(36),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("predicted_intent", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("example_text", sa.Text(), nullable=True),
        sa.Column("labelled_by", sa.Integer(), sa.ForeignKey("workers.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("message_id", name="uq_nlu_review_message"),
    )
    op.create_index("ix_nlu_review_conversation_id", "nlu_review", ["conversation_id"])
    op.create_index("ix_nlu_review_status", "nlu_review", ["status"])


def downgrade() -> None:
    op.drop_table("nlu_review")
