"""The channels a citizen talks to the bot on, and which of them are addressed by phone."""

from __future__ import annotations

CHANNELS = ("telegram", "sms", "whatsapp", "console")
# Channels whose address is the citizen's own phone in E.164 (+593…): SMS and WhatsApp. The
# phone is then a fact about the sender, which identity checks may count as a factor.
PHONE_CHANNELS = ("sms", "whatsapp")

# Outbox kinds of the bot's answers to a person's own message (not notices): a conversation
# reply, the notice that a reply limit was reached, the confirmation of a BAJA. They are priced
# and capped as conversation spend, never held back by quiet hours, and on WhatsApp they fall
# inside the 24-hour window the person's message opened.
REPLY = "reply"
REPLY_LIMIT = "reply_limit"
OPT_OUT_CONFIRMATION = "opt_out_confirmation"
ANSWER_KINDS = frozenset({REPLY, REPLY_LIMIT, OPT_OUT_CONFIRMATION})
