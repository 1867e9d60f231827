"""verification locks grow and offer a one-time SMS code; menu conversations keep no data

Revision ID: 0003_a_verification
Revises: 0002_b_sms
Create Date: 2026-11-22 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0003_a_verification"
down_revision: str | Sequence[str] | None = "0002_b_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lock_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("code_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("code_expires_at", bot.storage.types.UtcDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("code_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("codes_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("codes_window_started_at", bot.storage.types.UtcDateTime(), nullable=True)
        )
    # Conversations at the menu kept the last reply of the flow they ended (a payment status
    # among them): the menu needs none of it.
    op.execute("UPDATE conversations SET data = '{}' WHERE flow = 'menu'")


def downgrade() -> None:
    with op.batch_alter_table("verification_locks", schema=None) as batch_op:
        batch_op.drop_column("codes_window_started_at")
        batch_op.drop_column("codes_sent")
        batch_op.drop_column("code_attempts")
        batch_op.drop_column("code_expires_at")
        batch_op.drop_column("code_hash")
        batch_op.drop_column("lock_count")
