"""WhatsApp's 24-hour customer-service window: free-form inside it, approved templates outside.

The window opens with each message the person sends (`contacts.last_inbound_at` of the WhatsApp
contact). A message due outside it can only go as the approved template of its kind
(`WHATSAPP_TEMPLATES`: notice kind → Content SID), with the notice text as variable {{1}}; a
kind with no template is not sent (the row fails with the reason), never sent free-form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.channels import ANSWER_KINDS
from bot.storage.models import Contact, OutboxMessage
from notificaciones.gateways.whatsapp import CUSTOMER_SERVICE_WINDOW, Template


@dataclass(frozen=True)
class WhatsAppPlan:
    """How one WhatsApp row goes out: free-form, through a template, or not at all."""

    template: Template | None = None
    refused: str | None = None  # why it cannot be sent (outside the window, no template)


async def whatsapp_plans(
    session: AsyncSession, settings: Settings, rows: list[tuple[int, str]], now: datetime
) -> dict[int, WhatsAppPlan]:
    """The plan of each WhatsApp outbox row (id, body), by its kind and the person's window."""
    if not rows:
        return {}
    found = await session.execute(
        select(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.created_at, Contact.last_inbound_at
        )
        .outerjoin(
            Contact,
            and_(Contact.channel == "whatsapp", Contact.address == OutboxMessage.address),
        )
        .where(OutboxMessage.id.in_([row_id for row_id, _ in rows]))
    )
    bodies = dict(rows)
    plans: dict[int, WhatsAppPlan] = {}
    for row_id, kind, created_at, last_inbound in found.all():
        if kind in ANSWER_KINDS:
            # An answer is written when the person's message arrives: its window opened then.
            last_inbound = max(last_inbound or created_at, created_at)
        if last_inbound is not None and now - last_inbound < CUSTOMER_SERVICE_WINDOW:
            plans[row_id] = WhatsAppPlan()
            continue
        content_sid = settings.whatsapp_templates.get(kind)
        if content_sid is None:
            plans[row_id] = WhatsAppPlan(refused=f"whatsapp: outside 24h, no template for {kind}")
        else:
            plans[row_id] = WhatsAppPlan(Template(content_sid, {"1": bodies[row_id]}))
    return plans
