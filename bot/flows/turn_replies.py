"""A turn's replies as the channel sends them: joined for Telegram, with their buttons stored.

The engine writes a turn's replies to the outbox in the turn's own transaction, so they must
already have the shape the channel sends: on Telegram, text-only replies flow into the next one
(`coalesce`), and a reply's options travel with the row (`buttons`) so that a reply sent again
after a crash keeps its inline keyboard and its turn.
"""

from __future__ import annotations

from typing import Any

from bot.flows.base import Option, Reply
from notificaciones.outbox import TurnReply

MAX_MESSAGE_CHARS = 4096  # Telegram's limit for one message's text


def coalesce(replies: list[Reply], limit: int = MAX_MESSAGE_CHARS) -> list[Reply]:
    """Joins the replies of one turn into as few Telegram messages as fit.

    A reply without buttons flows into the next one (a blank line between them), so a greeting,
    the privacy notice and the menu arrive as one message with the menu's buttons: one
    notification for the citizen, one Bot API call instead of three. Texts never grow past
    Telegram's limit; a reply with buttons always ends its message.
    """
    merged: list[Reply] = []
    for reply in replies:
        last = merged[-1] if merged else None
        if last is not None and not last.options:
            text = f"{last.text}\n\n{reply.text}" if last.text else reply.text
            if _utf16_length(text) <= limit:
                merged[-1] = Reply(text, reply.options)
                continue
        merged.append(reply)
    return merged


def _utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji may count twice)."""
    return len(text.encode("utf-16-le")) // 2


def outbox_replies(channel: str, replies: list[Reply], turn: int) -> list[TurnReply]:
    """The outbox rows of one turn's replies on `channel` (Telegram's coalesced)."""
    shaped = coalesce(replies) if channel == "telegram" else replies
    return [TurnReply(reply.text, buttons_of(reply, turn)) for reply in shaped]


def buttons_of(reply: Reply, turn: int) -> dict[str, Any] | None:
    """The stored form of a reply's options: the turn they belong to and [key, label] pairs."""
    if not reply.options:
        return None
    return {"turn": turn, "options": [[o.key, o.label] for o in reply.options]}


def reply_of(body: str, buttons: dict[str, Any] | None) -> tuple[Reply, int]:
    """A stored reply back as a `Reply` and the turn its buttons belong to (0 without)."""
    if not buttons:
        return Reply(body), 0
    options = tuple(Option(str(key), str(label)) for key, label in buttons.get("options", []))
    return Reply(body, options), int(buttons.get("turn", 0))
