"""Replies written for a phone: options as numbers, no buttons, SMS kept to a few segments.

One turn of the flow engine becomes one message. By SMS the text is GSM-7 only (accents
transliterated, no emoji: a single one would switch the whole message to UCS-2 and more than
double its price) and at most `SMS_MAX_SEGMENTS`; a longer answer is shortened, never cut in the
middle of a word: first each reply's `brief` wording (what matters most), then the end of a
sentence. The options come last, as «1 Pago 2 Califico…», and survive the shortening; when even
they do not fit, the person is told to reply MENU. WhatsApp keeps accents and emoji and only
the provider's length limit applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.sms_text import fits, gsm_only, shorten
from bot.flows.base import Option, Reply
from bot.i18n import Translator

SMS_MAX_SEGMENTS = 3
WHATSAPP_MAX_CHARS = 1600  # Twilio's limit for one WhatsApp message body


@dataclass(frozen=True)
class PhoneStyle:
    """How a phone channel's messages are written."""

    gsm_only: bool
    max_segments: int | None  # SMS: segments; None: `max_chars` applies
    max_chars: int


SMS_STYLE = PhoneStyle(gsm_only=True, max_segments=SMS_MAX_SEGMENTS, max_chars=160 * 10)
WHATSAPP_STYLE = PhoneStyle(gsm_only=False, max_segments=None, max_chars=WHATSAPP_MAX_CHARS)


def style_for(channel: str) -> PhoneStyle:
    """The style of `channel` ("sms" or "whatsapp")."""
    return WHATSAPP_STYLE if channel == "whatsapp" else SMS_STYLE


def options_line(options: tuple[Option, ...], *, short: bool = False) -> str:
    """«1 Mi pago 2 Califico …»: the number to reply, then the (short) label."""
    labels = [(o.short or o.label) if short else o.label for o in options]
    return " ".join(f"{number} {label}" for number, label in enumerate(labels, start=1))


def render(replies: list[Reply], tr: Translator, channel: str) -> str:
    """The one message a phone receives for a turn's replies."""
    style = style_for(channel)
    options = replies[-1].options if replies else ()

    def clean(text: str) -> str:
        return (
            gsm_only(text)
            if style.gsm_only
            else "\n".join(
                " ".join(line.split()) for line in text.strip().split("\n") if line.strip()
            )
        )

    def fit(text: str) -> bool:
        if style.max_segments is not None:
            return fits(text, style.max_segments) and len(text) <= style.max_chars
        return len(text) <= style.max_chars

    full = clean("\n".join(r.text for r in replies if r.text))
    brief = clean("\n".join((r.brief or r.text) for r in replies if r.text))
    tails = [""]
    if options:
        # SMS: the short labels always (each character is paid); WhatsApp: the full ones first.
        first = options_line(options, short=style.gsm_only)
        tails = [
            "\n" + clean(first),
            "\n" + clean(options_line(options, short=True)),
            "\n" + clean(tr.t("Responda MENU para ver las opciones.")),
        ]
    for tail in tails[:2]:
        for body in (full, brief):
            if fit(body + tail):
                return body + tail
    # The options matter more than the detail: the brief wording, shortened, then the options
    # (or, when even the short ones take too much room, the word that shows them).
    tail = tails[-1]
    if len(tails) > 1 and len(tails[1]) <= style.max_chars // 10:
        tail = tails[1]
    if style.max_segments is not None:
        return shorten(brief, style.max_segments, suffix=tail)
    room = style.max_chars - len(tail) - 3
    cut = brief[:room].rsplit(" ", 1)[0] if len(brief) > room else brief
    return cut + "..." + tail
