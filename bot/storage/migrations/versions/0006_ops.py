"""operations: dispatcher leases (heartbeats) and shared send budgets (token buckets)

Revision ID: 0006_ops
Revises: 0004_h_offices
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0006_ops"
down_revision: str | Sequence[str] | None = "0004_h_offices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatcher_leases",
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("started_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.Column("heartbeat_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("holder", name=op.f("pk_dispatcher_leases")),
    )
    with op.batch_alter_table("dispatcher_leases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatcher_leases_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "send_budgets",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Float(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_send_budgets")),
    )


def downgrade() -> None:
    op.drop_table("send_budgets")
    with op.batch_alter_table("dispatcher_leases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatcher_leases_expires_at"))
    op.drop_table("dispatcher_leases")
