"""Messaging platforms: channel outbox, media and delivery status on messages.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("media", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("platform_message_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("delivery_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("delivery_error", sa.String(64), nullable=True))
    op.create_index("ix_messages_platform_message_id", "messages", ["platform_message_id"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("delivery_problem", sa.String(32), nullable=True))
    op.create_table(
        "channel_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(36),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_channel_outbox_conversation_id", "channel_outbox", ["conversation_id"])
    op.create_index("ix_channel_outbox_next_attempt_at", "channel_outbox", ["next_attempt_at"])
    op.create_index("ix_channel_outbox_status", "channel_outbox", ["status"])


def downgrade() -> None:
    op.drop_table("channel_outbox")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("delivery_problem")
    op.drop_index("ix_messages_platform_message_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("delivery_error")
        batch.drop_column("delivery_status")
        batch.drop_column("platform_message_id")
        batch.drop_column("media")
