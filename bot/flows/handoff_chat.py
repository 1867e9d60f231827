"""The chat side of a conversation handed to a person (`bot/services/handoff.py`).

While the conversation is held, the engine hands every message here instead of to a flow: it is
added to the staff inbox and the bot stays quiet, except for a short reminder now and then while
nobody has taken it yet.
"""

from __future__ import annotations

from bot.flows.base import FlowContext, Reply
from bot.services import handoff


async def handoff_replies(ctx: FlowContext, text: str) -> list[Reply] | None:
    """Adds the message to the held conversation; None when it is no longer held."""
    held = await handoff.open_handoff_of(ctx.session, ctx.contact.id)
    if held is None:
        return None
    await handoff.add_citizen_message(ctx.session, held, text, ctx.now)
    if handoff.should_acknowledge(held, ctx.now):
        return [
            Reply(
                ctx.t(
                    "Su mensaje quedó guardado para la persona que le va a atender. Para volver "
                    "al asistente automático escriba «menú»."
                )
            )
        ]
    return []
