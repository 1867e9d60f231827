"""The WhatsApp gateway port (Twilio's Messages API with `whatsapp:` addresses) and console adapter.

WhatsApp allows a free-form message only within 24 hours of the person's last message (the
customer-service window); outside it, only a template Meta approved, named by its Twilio Content
SID, with variables. The dispatcher decides which (`notificaciones.dispatcher`); the adapter
only sends. Outcomes are the SMS port's `SendOutcome`, with the same retry and crash rules.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from notificaciones.gateways.sms import SendOutcome, SendResult

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template (Twilio Content SID) and its variables ({"1": "…"})."""

    content_sid: str
    variables: dict[str, str]


class WhatsAppGateway(Protocol):
    """Sends WhatsApp messages: free-form text, or an approved template."""

    async def send(
        self, to: str, body: str, *, reference: str, template: Template | None = None
    ) -> SendOutcome:
        """Sends to the E.164 phone `to`; `template` replaces the free-form body."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...


@dataclass
class ConsoleWhatsAppGateway:
    """Prints WhatsApp messages (masked number) and records them, for the console and tests."""

    write: Callable[[str], None] = print
    sent: list[tuple[str, str, Template | None]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(
        self, to: str, body: str, *, reference: str, template: Template | None = None
    ) -> SendOutcome:
        """Records and prints the message; always accepted."""
        self.sent.append((to, body, template))
        shown = f"[plantilla {template.content_sid}] {body}" if template else body
        self.write(f"[WhatsApp a {to[:5]}****{to[-3:]}] {shown}")
        return SendOutcome(
            SendResult.ACCEPTED,
            provider_sid=f"WACONSOLE{next(self._ids):08d}",
            provider_status="sent",
        )

    async def close(self) -> None:
        """Nothing to release."""
