"""The audit log names the account an admin acted on (added, deactivated, new password …).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("target_worker_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_audit_log_target_worker", "workers",
                                 ["target_worker_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint("fk_audit_log_target_worker", type_="foreignkey")
        batch.drop_column("target_worker_id")
