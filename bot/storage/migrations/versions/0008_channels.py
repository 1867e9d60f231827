"""SMS and WhatsApp conversations: reply cost, inbound outcome, last inbound, unreachable chats

Revision ID: 0008_channels
Revises: 0005_h14_panel
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0008_channels"
down_revision: str | Sequence[str] | None = "0005_h14_panel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_inbound_at", bot.storage.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("unreachable_at", bot.storage.types.UtcDateTime(), nullable=True))
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost_usd", sa.Numeric(10, 4), nullable=True))
        batch_op.create_index("ix_outbox_address_created", ["address", "created_at"], unique=False)
        batch_op.create_index("ix_outbox_kind_created", ["kind", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_kind_created")
        batch_op.drop_index("ix_outbox_address_created")
        batch_op.drop_column("cost_usd")
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.drop_column("outcome")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("unreachable_at")
        batch_op.drop_column("last_inbound_at")
