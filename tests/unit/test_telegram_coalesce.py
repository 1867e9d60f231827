"""One Telegram message per turn where it fits (`bot.flows.turn_replies.coalesce`)."""

from __future__ import annotations

from bot.flows.base import Option, Reply
from bot.flows.turn_replies import MAX_MESSAGE_CHARS, coalesce

MENU = (Option("pago", "¿Por qué no me llegó el pago?"), Option("oficina", "Mi oficina"))


def test_text_only_replies_flow_into_the_next_one_with_its_buttons() -> None:
    replies = [Reply("¡Hola!"), Reply("Aviso de privacidad: …"), Reply("¿En qué le ayudo?", MENU)]
    assert coalesce(replies) == [
        Reply("¡Hola!\n\nAviso de privacidad: …\n\n¿En qué le ayudo?", MENU)
    ]


def test_a_reply_with_buttons_ends_its_message() -> None:
    replies = [Reply("Elija:", MENU), Reply("Otra cosa"), Reply("Y otra")]
    assert coalesce(replies) == [Reply("Elija:", MENU), Reply("Otra cosa\n\nY otra")]


def test_nothing_and_one_reply_stay_as_they_are() -> None:
    assert coalesce([]) == []
    assert coalesce([Reply("solo", MENU)]) == [Reply("solo", MENU)]


def test_texts_never_grow_past_telegrams_limit_counted_in_utf16() -> None:
    long = "a" * (MAX_MESSAGE_CHARS - 10)
    assert coalesce([Reply(long), Reply("b" * 8)]) == [Reply(long + "\n\n" + "b" * 8)]
    assert coalesce([Reply(long), Reply("b" * 9)]) == [Reply(long), Reply("b" * 9)]
    # 🙂 is one code point but two UTF-16 units, as Telegram counts it: 4,094 + 4 > 4,096.
    emojis = "🙂" * (MAX_MESSAGE_CHARS // 2 - 1)
    assert coalesce([Reply(emojis), Reply("ok")]) == [Reply(emojis), Reply("ok")]
    assert coalesce([Reply(emojis[:-1]), Reply("ok")]) == [Reply(emojis[:-1] + "\n\nok")]
