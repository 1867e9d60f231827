"""registry: beneficiaries.parish_code without a foreign key (the import checks it)

Revision ID: 0012_registry_parish_check
Revises: 0011_registry_index
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_registry_parish_check"
down_revision: str | Sequence[str] | None = "0011_registry_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_beneficiaries_parish_code_parishes"


def upgrade() -> None:
    # The registry import is the table's only writer and refuses, row by row, a parish code
    # that is not in `parishes` (bot.domain.registry_rows); parishes are reference data that is
    # upserted, never deleted. The foreign key checked every row again, one lookup and one row
    # lock each: a third of PostgreSQL's work in a 1,000,000-row import (docs/benchmarks.md).
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.create_foreign_key(_FK, "parishes", ["parish_code"], ["code"])
