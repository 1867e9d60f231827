"""staff inbox: conversations handed to a person and their messages

Revision ID: 0009_handoff
Revises: 0008_channels
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UtcDateTime

revision: str = "0009_handoff"
down_revision: str | Sequence[str] | None = "0008_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("contact_id", BigId, nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("parish_code", sa.String(length=6), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("taken_by", BigId, nullable=True),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("taken_at", UtcDateTime(), nullable=True),
        sa.Column("first_answer_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"],
            name=op.f("fk_handoffs_contact_id_contacts"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_code"], ["districts.code"], name=op.f("fk_handoffs_district_code_districts")
        ),
        sa.ForeignKeyConstraint(
            ["parish_code"], ["parishes.code"], name=op.f("fk_handoffs_parish_code_parishes")
        ),
        sa.ForeignKeyConstraint(["taken_by"], ["staff.id"], name=op.f("fk_handoffs_taken_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoffs_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_handoffs_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_handoffs_status"), ["status"], unique=False)
    op.create_table(
        "handoff_messages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("handoff_id", BigId, nullable=False),
        sa.Column("author", sa.String(length=8), nullable=False),
        sa.Column("staff_id", BigId, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"],
            name=op.f("fk_handoff_messages_handoff_id_handoffs"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_handoff_messages_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    with op.batch_alter_table("handoff_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_messages_handoff_id"), ["handoff_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("handoff_messages")
    op.drop_table("handoffs")
