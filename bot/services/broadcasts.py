"""Staff broadcasts, the one broadcast path: audience, preview, confirm (bulk enqueue), cancel.

The staff member's choices (a territory or national, a source, maybe a programme) become one
`notificaciones.audiences.Audience` (`staff_audience`). The preview counts its recipients per
channel, the SMS segments and cost of the text after transliteration, and stores a digest of the
exact recipient list with the draft; confirming resolves the audience again and refuses (showing
the new figures) if the list changed, so the outbox receives exactly the recipients the staff
member saw counted. The messages are queued in bulk by `notificaciones.audiences`'
`enqueue_to_recipients`, like event announcements: each one moved out of the quiet hours of its
recipient's parish time zone. The body is the staff member's own words, sent as written to every
recipient whatever their language (nothing in it comes from the catalog).

Usage (one transaction each):
    broadcast, preview = await draft_broadcast(session, scope, audience, body, now=…, settings=…)
    queued = await confirm_broadcast(session, scope, broadcast.id, now=…, settings=…)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.errors import N_, DomainError
from bot.domain.registry import PaymentStatus
from bot.domain.sms_text import estimated_cost, prepare_sms, segment_info
from bot.domain.staff import StaffScope
from bot.services.audit import record
from bot.services.authz import Action, authorize
from bot.storage.models import (
    BROADCAST_CANCELLED,
    BROADCAST_CONFIRMED,
    BROADCAST_DRAFT,
    Broadcast,
    Canton,
    Parish,
)
from notificaciones.audiences import (
    SOURCE_REGISTRY,
    SOURCE_SUBSCRIBERS,
    Audience,
    Recipient,
    audience_recipients,
    enqueue_to_recipients,
)

# The staff's source choices (the /difundir option keys) and what each reaches.
SOURCE_CHOICES = {"beneficiarios": SOURCE_REGISTRY, "suscriptores": SOURCE_SUBSCRIBERS}
_TERRITORY_KINDS = ("district", "canton", "parish")  # or "national"
MAX_BODY_CHARS = 600
KIND = "broadcast"


class BroadcastError(DomainError):
    """A broadcast that cannot be previewed or sent as asked."""


class AudienceChanged(BroadcastError):
    """The recipients changed since the preview; the draft now holds the new figures."""


@dataclass(frozen=True)
class Preview:
    """What a broadcast will reach and cost, before it is confirmed."""

    recipients: int
    sms: int
    telegram: int
    segments_per_sms: int
    encoding: str  # "GSM-7" | "UCS-2", of the SMS text
    cost_usd: Decimal
    sms_body: str  # the text as the SMS carries it (transliterated when configured)
    transliterated: bool
    opted_out_excluded: int
    digest: str  # of the exact (channel, address) list counted

    @property
    def unicode(self) -> bool:
        """True when the SMS text needs UCS-2 (70 characters per segment)."""
        return self.encoding == "UCS-2"

    @property
    def segments(self) -> int:
        """All SMS segments the broadcast costs (what `Broadcast.segments` stores)."""
        return self.segments_per_sms * self.sms


def staff_audience(
    source: str,
    territory_kind: str,
    territory_code: str | None,
    programme: str | None = None,
    payment_status: str | None = None,
) -> Audience:
    """The audience of a staff member's choices: source, territory (or national), programme.

    Registry beneficiaries are reached by SMS at their mobile on record (one programme or all,
    one registry payment status or all); subscribers on the channel they subscribed with,
    whatever their topic.
    """
    if source not in SOURCE_CHOICES:
        raise ValueError(f"unknown broadcast source {source!r}")
    registry = SOURCE_CHOICES[source] == SOURCE_REGISTRY
    national = territory_kind == "national"
    if not national and (territory_code is None or territory_kind not in _TERRITORY_KINDS):
        raise ValueError(f"unknown territory {territory_kind!r}")
    codes = (territory_code,) if territory_code is not None and not national else ()
    if payment_status is not None and payment_status not in {s.value for s in PaymentStatus}:
        raise ValueError(f"unknown payment status {payment_status!r}")
    return Audience(
        parish_codes=codes if territory_kind == "parish" else (),
        canton_codes=codes if territory_kind == "canton" else (),
        district_codes=codes if territory_kind == "district" else (),
        national=national,
        programmes=(programme,) if registry and programme else (),
        payment_statuses=(payment_status,) if registry and payment_status else (),
        sources=(SOURCE_CHOICES[source],),
        channels=("sms",) if registry else ("sms", "telegram"),
    )


async def serving_districts(session: AsyncSession, audience: Audience) -> set[str | None]:
    """The district directorates serving the audience's places (None: a place without one)."""
    districts: set[str | None] = set(audience.district_codes)
    if audience.canton_codes:
        districts |= set(
            await session.scalars(
                select(Canton.district_code).where(Canton.code.in_(audience.canton_codes))
            )
        )
    if audience.parish_codes:
        districts |= set(
            await session.scalars(
                select(Canton.district_code)
                .join(Parish, Parish.canton_code == Canton.code)
                .where(Parish.code.in_(audience.parish_codes))
            )
        )
    return districts


async def authorize_audience(
    session: AsyncSession, scope: StaffScope | None, audience: Audience, now: datetime
) -> StaffScope:
    """Authorises broadcasting to every district the audience reaches (national: admins only)."""
    districts = set() if audience.national else await serving_districts(session, audience)
    if not districts or None in districts:
        return await authorize(session, scope, Action.BROADCAST_NATIONAL, now=now)
    allowed: StaffScope | None = None
    for district in sorted(d for d in districts if d is not None):
        allowed = await authorize(session, scope, Action.BROADCAST, now=now, district_code=district)
    assert allowed is not None
    return allowed


def recipients_digest(recipients: Iterable[Recipient]) -> str:
    """A digest of the exact (channel, address) list, whatever order it was found in."""
    digest = hashlib.sha256()
    for channel, address in sorted((r.channel, r.address) for r in recipients):
        digest.update(f"{channel}:{address}\n".encode())
    return digest.hexdigest()


def preview_of(
    recipients: list[Recipient], excluded: int, body: str, settings: Settings
) -> Preview:
    """Counts recipients per channel, SMS segments (after transliteration) and the cost."""
    sms = sum(1 for r in recipients if r.channel == "sms")
    sms_body = prepare_sms(body, transliterate_accents=settings.sms_transliterate)
    info = segment_info(sms_body)
    return Preview(
        recipients=len(recipients),
        sms=sms,
        telegram=len(recipients) - sms,
        segments_per_sms=info.segments,
        encoding=info.encoding,
        cost_usd=estimated_cost(info.segments, sms, settings.sms_cost_per_segment_usd),
        sms_body=sms_body,
        transliterated=sms_body != prepare_sms(body, transliterate_accents=False),
        opted_out_excluded=excluded,
        digest=recipients_digest(recipients),
    )


def _store_figures(broadcast: Broadcast, audience: Audience, preview: Preview) -> None:
    broadcast.audience = {**audience.to_json(), "digest": preview.digest}
    broadcast.recipients = preview.recipients
    broadcast.segments = preview.segments
    broadcast.estimated_cost_usd = preview.cost_usd


async def draft_broadcast(
    session: AsyncSession,
    scope: StaffScope | None,
    audience: Audience,
    body: str,
    *,
    now: datetime,
    settings: Settings,
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
    found, excluded = await audience_recipients(session, audience)
    preview = preview_of(found, excluded, text, settings)
    broadcast = Broadcast(
        staff_id=allowed.staff_id, body=text, status=BROADCAST_DRAFT, created_at=now
    )
    _store_figures(broadcast, audience, preview)
    session.add(broadcast)
    await session.flush()
    return broadcast, preview


async def _pending(session: AsyncSession, broadcast_id: int, *, lock: bool) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=lock)
    if broadcast is None or broadcast.status != BROADCAST_DRAFT:
        raise BroadcastError(N_("Esa difusión ya no está pendiente de confirmación."))
    return broadcast


async def confirm_broadcast(
    session: AsyncSession,
    scope: StaffScope | None,
    broadcast_id: int,
    *,
    now: datetime,
    settings: Settings,
) -> int:
    """Queues a previewed draft's messages in bulk; returns how many were queued.

    Raises `AudienceChanged` (and refreshes the draft's figures) if the recipients differ from
    the preview, so nobody unseen is messaged.
    """
    broadcast = await _pending(session, broadcast_id, lock=True)
    audience = Audience.from_json(broadcast.audience)
    allowed = await authorize_audience(session, scope, audience, now)
    found, excluded = await audience_recipients(session, audience)
    preview = preview_of(found, excluded, broadcast.body, settings)
    if preview.digest != broadcast.audience.get("digest"):
        _store_figures(broadcast, audience, preview)
        raise AudienceChanged(
            N_(
                "Los destinatarios cambiaron desde la vista previa: ahora son {count}. "
                "Revise la nueva vista previa y confirme otra vez."
            ),
            count=preview.recipients,
        )
    queued = await enqueue_to_recipients(
        session,
        found,
        body=broadcast.body,
        kind=KIND,
        key_prefix=f"broadcast:{broadcast.id}",
        due_at=now,
        now=now,
        settings=settings,
        broadcast_id=broadcast.id,
    )
    broadcast.status = BROADCAST_CONFIRMED
    broadcast.confirmed_at = now
    districts = sorted(d for d in await serving_districts(session, audience) if d)
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="broadcast.confirmed",
        target=f"broadcast:{broadcast.id}",
        outcome="queued",
        detail={
            "recipients": queued,
            "district": ",".join(districts) or None,  # None: national
        },
    )
    return queued


async def cancel_broadcast(
    session: AsyncSession, scope: StaffScope | None, broadcast_id: int, *, now: datetime
) -> None:
    """Cancels a draft before it is sent; nothing reaches the outbox."""
    broadcast = await _pending(session, broadcast_id, lock=False)
    await authorize_audience(session, scope, Audience.from_json(broadcast.audience), now)
    broadcast.status = BROADCAST_CANCELLED
