"""registry: drop ix_beneficiaries_cedula (the unique (cedula, programme) index serves cédula lookups)

Revision ID: 0011_registry_index
Revises: 0010_turns
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_registry_index"
down_revision: str | Sequence[str] | None = "0010_turns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A lookup by cédula alone uses the leading column of uq_beneficiaries_cedula; the second
    # index only cost every registry import a second entry per row.
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beneficiaries_cedula"))


def downgrade() -> None:
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_beneficiaries_cedula"), ["cedula"], unique=False)
