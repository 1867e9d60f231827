"""outbox: an index on a chat's replies by status, for the reply lane's claims

Revision ID: 0013_outbox_chat_replies
Revises: 0012_registry_parish_check
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_outbox_chat_replies"
down_revision: str | Sequence[str] | None = "0012_registry_parish_check"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The reply lane claims the oldest pending reply of each chat and looks for one held by
    # another sender or pending after it (notificaciones/outbox_states.py). Through the address
    # index, each of those read the chat's whole history of sent replies: the claim's cost grew
    # with every turn of the conversation (docs/benchmarks.md).
    op.create_index(
        "ix_outbox_chat_replies", "outbox", ["channel", "address", "kind", "status", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_replies", table_name="outbox")
