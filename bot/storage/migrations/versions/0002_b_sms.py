"""Twilio replays and unknown send outcomes: seen inbound MessageSids, reconcile counter

Revision ID: 0002_b_sms
Revises: 0001_initial
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types


revision: str = '0002_b_sms'
down_revision: str | Sequence[str] | None = '0001_initial'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbound_sms',
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('received_at', bot.storage.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('message_sid', name=op.f('pk_inbound_sms'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reconcile_checks', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('reconcile_checks')
    op.drop_table('inbound_sms')
