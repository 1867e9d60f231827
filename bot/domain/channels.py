"""The channels a citizen talks to the bot on, and which of them are addressed by phone."""

from __future__ import annotations

CHANNELS = ("telegram", "sms", "whatsapp", "console")
# Channels whose address is the citizen's own phone in E.164 (+593…): SMS and WhatsApp. The
# phone is then a fact about the sender, which identity checks may count as a factor.
PHONE_CHANNELS = ("sms", "whatsapp")
