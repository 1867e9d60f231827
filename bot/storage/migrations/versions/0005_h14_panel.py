"""staff web panel: sign-in credentials (argon2 password, TOTP, one-time code, lockout), sessions

Revision ID: 0005_h14_panel
Revises: 0007_acompanamiento
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0005_h14_panel"
down_revision: str | Sequence[str] | None = "0007_acompanamiento"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_credentials",
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", bot.storage.types.UtcDateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", bot.storage.types.UtcDateTime(), nullable=True),
        sa.Column("updated_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_credentials_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_credentials")),
    )
    op.create_table(
        "panel_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.Column("absolute_expires_at", bot.storage.types.UtcDateTime(), nullable=False),
        sa.Column("ended_at", bot.storage.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_panel_sessions_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_panel_sessions")),
    )
    op.create_index(op.f("ix_panel_sessions_staff_id"), "panel_sessions", ["staff_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_panel_sessions_staff_id"), table_name="panel_sessions")
    op.drop_table("panel_sessions")
    op.drop_table("staff_credentials")
