"""Conversations keep their collected data only while they are alive.

A conversation holds in `data` what its next step needs (a typed cédula, the last question);
once it times out (`expires_at` passed) nothing of it may stay. The engine clears an expired
conversation when it reads it; `purge_expired_conversations` clears the ones nobody comes back
to, from a periodic job. A purged conversation is left at the menu in the `TIMED_OUT` step, so
its next message is still told that the previous conversation closed for inactivity.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Conversation

MENU_FLOW = "menu"
TIMED_OUT = "timed_out"
# The step of a conversation handed to a person (`bot/services/handoff.py`): it waits for the
# staff member however long that takes, so it never times out; staff end it.
HELD = "held_by_person"


async def purge_expired_conversations(session: AsyncSession, now: datetime) -> int:
    """Clears the data and options of every conversation inside a flow that timed out.

    Conversations at the menu hold no collected data and are left alone, so a second run
    changes nothing; returns how many conversations were purged.
    """
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.flow != MENU_FLOW,
            Conversation.step != HELD,
            Conversation.expires_at < now,
        )
        .values(flow=MENU_FLOW, step=TIMED_OUT, data={}, options=[])
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
