"""exactly-once turns: inbound_turns, the conversation's last sequence, reply buttons in the outbox

Revision ID: 0010_turns
Revises: 0009_handoff
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0010_turns"
down_revision: str | Sequence[str] | None = "0009_handoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_turns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=True),
        sa.Column("received_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.Column("done_at", bot.storage.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_turns")),
        sa.UniqueConstraint(
            "channel", "address", "message_key", name=op.f("uq_inbound_turns_channel")
        ),
    )
    op.create_index(
        "ix_inbound_turns_chat", "inbound_turns", ["channel", "address", "status"], unique=False
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_sequence", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buttons", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("buttons")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("last_sequence")
    op.drop_index("ix_inbound_turns_chat", table_name="inbound_turns")
    op.drop_table("inbound_turns")
