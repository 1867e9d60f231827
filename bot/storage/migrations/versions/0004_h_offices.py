"""office directory: services, source, last check; parish-level jurisdiction; zone coverage

Revision ID: 0004_h_offices
Revises: 0003_a_verification
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_h_offices"
down_revision: str | Sequence[str] | None = "0003_a_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("serves", sa.String(length=200), nullable=True))
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("services", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("checked_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("staff_edited", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.alter_column("staff_edited", server_default=None)
    with op.batch_alter_table("cantons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_confidence", sa.String(length=1), nullable=True))
    op.create_table(
        "parish_districts",
        sa.Column("parish_code", sa.String(length=6), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("confidence", sa.String(length=1), nullable=False),
        sa.Column("staff_edited", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_parish_districts_district_code_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["parish_code"],
            ["parishes.code"],
            name=op.f("fk_parish_districts_parish_code_parishes"),
        ),
        sa.PrimaryKeyConstraint("parish_code", name=op.f("pk_parish_districts")),
    )
    with op.batch_alter_table("parish_districts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parish_districts_district_code"), ["district_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("parish_districts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parish_districts_district_code"))
    op.drop_table("parish_districts")
    with op.batch_alter_table("cantons", schema=None) as batch_op:
        batch_op.drop_column("district_confidence")
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.drop_column("staff_edited")
        batch_op.drop_column("checked_on")
        batch_op.drop_column("source")
        batch_op.drop_column("services")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_column("serves")
