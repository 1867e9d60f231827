"""Staff broadcasts: audience by territory/programme/subscribers, preview, confirm, cancel.

The preview stores a digest of the exact recipient list; confirming recomputes the list and
refuses (showing the new figures) if it changed, so the outbox receives exactly the recipients
the staff member saw counted. SMS text rules (segments, transliteration) are notificaciones'.
The audience stays here: `notificaciones.audiences` merges registry mobiles and subscribers in
one audience, while staff choose one source (registry or subscribers) on purpose.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, DomainError
from bot.domain.sms_text import estimated_cost, prepare_sms, segment_info
from bot.domain.staff import StaffScope
from bot.services.audit import record
from bot.services.authz import Action, authorize
from bot.storage.models import Beneficiary, Broadcast, Canton, OptOut, Parish, Subscription
from notificaciones.outbox import enqueue

SOURCES = ("beneficiarios", "suscriptores")
MAX_BODY_CHARS = 600


class BroadcastError(DomainError):
    """A broadcast that cannot be previewed or sent as asked."""


@dataclass(frozen=True)
class Audience:
    """Who receives a broadcast: a territory (or national), a source and maybe a programme."""

    source: str  # "beneficiarios" (registry mobiles, SMS) | "suscriptores" (subscriptions)
    territory_kind: str  # "district" | "canton" | "parish" | "national"
    territory_code: str | None
    district_code: str | None  # for authorisation; None for national
    programme: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored on the broadcast."""
        return asdict(self)


@dataclass(frozen=True)
class Preview:
    """What a broadcast will cost before it is confirmed."""

    recipients: int
    sms: int
    telegram: int
    segments_per_sms: int
    unicode: bool
    cost_usd: Decimal
    digest: str
    sms_body: str  # the text as the SMS carries it (transliterated when configured)
    transliterated: bool


def _parish_filter(audience: Audience) -> Any:
    if audience.territory_kind == "parish":
        return Parish.code == audience.territory_code
    if audience.territory_kind == "canton":
        return Parish.canton_code == audience.territory_code
    if audience.territory_kind == "district":
        return Parish.canton_code.in_(
            select(Canton.code).where(Canton.district_code == audience.territory_code)
        )
    return None


async def recipients(session: AsyncSession, audience: Audience) -> list[tuple[str, str]]:
    """The (channel, address) pairs the audience reaches today, sorted, opted-out phones removed."""
    parish_codes = select(Parish.code)
    where = _parish_filter(audience)
    if where is not None:
        parish_codes = parish_codes.where(where)
    opted_out = select(OptOut.phone)
    if audience.source == "beneficiarios":
        query = select(Beneficiary.mobile).where(
            Beneficiary.mobile.is_not(None), Beneficiary.mobile.not_in(opted_out)
        )
        if audience.territory_kind != "national":
            query = query.where(Beneficiary.parish_code.in_(parish_codes))
        if audience.programme:
            query = query.where(Beneficiary.programme == audience.programme)
        phones = {str(p) for p in await session.scalars(query.distinct())}
        return sorted(("sms", p) for p in phones)
    subs = select(Subscription.channel, Subscription.address)
    if audience.territory_kind != "national":
        subs = subs.where(Subscription.parish_code.in_(parish_codes))
    pairs: set[tuple[str, str]] = set()
    blocked = set(await session.scalars(opted_out))
    for channel, address in await session.execute(subs.distinct()):
        if channel == "sms" and address in blocked:
            continue
        pairs.add((str(channel), str(address)))
    return sorted(pairs)


def _digest(pairs: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for channel, address in pairs:
        digest.update(f"{channel}:{address}\n".encode())
    return digest.hexdigest()


def preview_of(
    pairs: list[tuple[str, str]], body: str, cost_per_segment: float, *, transliterate: bool
) -> Preview:
    """Counts recipients per channel, SMS segments (after transliteration) and the cost."""
    sms = sum(1 for channel, _ in pairs if channel == "sms")
    sms_body = prepare_sms(body, transliterate_accents=transliterate)
    info = segment_info(sms_body)
    return Preview(
        recipients=len(pairs),
        sms=sms,
        telegram=len(pairs) - sms,
        segments_per_sms=info.segments,
        unicode=info.encoding == "UCS-2",
        cost_usd=estimated_cost(info.segments, sms, cost_per_segment),
        digest=_digest(pairs),
        sms_body=sms_body,
        transliterated=sms_body != prepare_sms(body, transliterate_accents=False),
    )


async def authorize_audience(
    session: AsyncSession, scope: StaffScope | None, audience: Audience, now: datetime
) -> StaffScope:
    """Authorises broadcasting to the audience's territory (national: administrators only)."""
    if audience.territory_kind == "national" or audience.district_code is None:
        return await authorize(session, scope, Action.BROADCAST_NATIONAL, now=now)
    return await authorize(
        session, scope, Action.BROADCAST, now=now, district_code=audience.district_code
    )


async def draft_broadcast(
    session: AsyncSession,
    scope: StaffScope | None,
    audience: Audience,
    body: str,
    *,
    now: datetime,
    cost_per_segment: float,
    transliterate: bool,
) -> tuple[Broadcast, Preview]:
    """Authorises, counts the audience and stores a draft; returns it with its preview."""
    allowed = await authorize_audience(session, scope, audience, now)
    text = body.strip()
    if not text:
        raise BroadcastError(N_("El mensaje está vacío. Escriba el texto a difundir."))
    if len(text) > MAX_BODY_CHARS:
        raise BroadcastError(
            N_("El mensaje tiene {count} caracteres; el máximo es {limit}. Acórtelo, por favor."),
            count=len(text),
            limit=MAX_BODY_CHARS,
        )
    pairs = await recipients(session, audience)
    preview = preview_of(pairs, text, cost_per_segment, transliterate=transliterate)
    broadcast = Broadcast(
        staff_id=allowed.staff_id,
        audience={**audience.as_dict(), "digest": preview.digest},
        body=text,
        recipients=preview.recipients,
        segments=preview.segments_per_sms * preview.sms,
        estimated_cost_usd=preview.cost_usd,
        status="borrador",
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast, preview


def _audience_of(broadcast: Broadcast) -> Audience:
    data = broadcast.audience
    return Audience(
        source=data["source"],
        territory_kind=data["territory_kind"],
        territory_code=data["territory_code"],
        district_code=data["district_code"],
        programme=data.get("programme"),
    )


class AudienceChanged(BroadcastError):
    """The recipients changed since the preview; the draft now holds the new figures."""


async def confirm_broadcast(
    session: AsyncSession,
    scope: StaffScope | None,
    broadcast_id: int,
    *,
    now: datetime,
    cost_per_segment: float,
    transliterate: bool,
) -> int:
    """Sends a previewed draft to the outbox; returns how many messages were queued.

    Raises `AudienceChanged` (and refreshes the draft's figures) if the recipients differ from
    the preview, so nobody unseen is messaged.
    """
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status != "borrador":
        raise BroadcastError(N_("Esa difusión ya no está pendiente de confirmación."))
    audience = _audience_of(broadcast)
    allowed = await authorize_audience(session, scope, audience, now)
    pairs = await recipients(session, audience)
    preview = preview_of(pairs, broadcast.body, cost_per_segment, transliterate=transliterate)
    if preview.digest != broadcast.audience.get("digest"):
        broadcast.audience = {**audience.as_dict(), "digest": preview.digest}
        broadcast.recipients = preview.recipients
        broadcast.segments = preview.segments_per_sms * preview.sms
        broadcast.estimated_cost_usd = preview.cost_usd
        raise AudienceChanged(
            N_(
                "Los destinatarios cambiaron desde la vista previa: ahora son {count}. "
                "Revise la nueva vista previa y confirme otra vez."
            ),
            count=preview.recipients,
        )
    queued = 0
    for channel, address in pairs:
        message = await enqueue(
            session,
            channel=channel,
            address=address,
            body=preview.sms_body if channel == "sms" else broadcast.body,
            kind="broadcast",
            dedupe_key=f"broadcast:{broadcast.id}:{channel}:{address}",
            due_at=now,
            now=now,
            segments=preview.segments_per_sms if channel == "sms" else 1,
            broadcast_id=broadcast.id,
        )
        queued += message is not None
    broadcast.status = "confirmada"
    broadcast.confirmed_at = now
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="broadcast.confirmed",
        target=f"broadcast:{broadcast.id}",
        outcome="queued",
        detail={"recipients": queued, "district": audience.district_code},
    )
    return queued


async def cancel_broadcast(
    session: AsyncSession, scope: StaffScope | None, broadcast_id: int, *, now: datetime
) -> None:
    """Cancels a draft before it is sent; nothing reaches the outbox."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status != "borrador":
        raise BroadcastError(N_("Esa difusión ya no está pendiente de confirmación."))
    await authorize_audience(session, scope, _audience_of(broadcast), now)
    broadcast.status = "cancelada"
