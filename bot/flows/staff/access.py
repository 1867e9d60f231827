"""Shared helpers of the staff flows: who is writing, and resolving a territory they typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.errors import N_, DomainError
from bot.domain.staff import StaffScope
from bot.flows.base import FlowContext, Option
from bot.services.authz import PERMISSIONS, Action, authorize
from bot.services.staff import scope_of, staff_for_telegram

_DISTRICT_CODE = re.compile(r"^\s*(\d{2}[dD]\d{2})\s*$")
NATIONAL_WORDS = {"nacional", "todo el pais", "todo el país", "todos"}


async def current_scope(ctx: FlowContext) -> StaffScope | None:
    """The staff scope of the person writing (Telegram private chat id == user id), if any."""
    if ctx.channel != "telegram" or not ctx.address.lstrip("-").isdigit():
        return None
    staff = await staff_for_telegram(ctx.session, int(ctx.address))
    return None if staff is None else scope_of(staff)


async def require_role(ctx: FlowContext, action: Action) -> StaffScope:
    """Opens a staff flow: the writer must be staff with a role allowed to do `action`.

    The territory is checked later, with `authorize`, once the staff member names it.
    """
    scope = await current_scope(ctx)
    district = None
    if scope is not None and scope.role in PERMISSIONS[action].roles:
        # Opening the flow is allowed for the role; check the person's own territory.
        district = scope.district_code
        if district is None:
            return scope
    return await authorize(
        ctx.session,
        scope,
        action,
        now=ctx.now,
        district_code=district,
        actor=f"{ctx.channel}:{ctx.address}",
    )


@dataclass(frozen=True)
class Target:
    """A territory a staff member chose: its kind, code, label and serving district."""

    kind: str  # "district" | "canton" | "parish" | "national"
    code: str | None
    label: str
    district_code: str | None


def target_from_key(ctx: FlowContext, key: str) -> Target | None:
    """Rebuilds a target from an option key ('district:11D06', 'place:111252', 'national')."""
    if key == "national":
        return Target("national", None, ctx.t("todo el país"), None)
    if key.startswith("district:"):
        code = key.removeprefix("district:")
        office = ctx.services.territory.office(code)
        if office is None:
            return None
        return Target("district", code, f"{office.code} {office.name}", code)
    if key.startswith("place:"):
        place = ctx.services.territory.get(key.removeprefix("place:"))
        if place is None:
            return None
        return Target(place.kind, place.code, place.label, place.district_code)
    return None


class UnknownTarget(DomainError):
    """The typed territory matches nothing."""


def resolve_target(ctx: FlowContext, text: str) -> tuple[Target | None, tuple[Option, ...]]:
    """A district code, 'nacional', or a parish/canton name (forgiving) → target or choices."""
    match = _DISTRICT_CODE.match(text)
    if match:
        target = target_from_key(ctx, "district:" + match.group(1).upper())
        if target is None:
            raise UnknownTarget(N_("No existe la dirección distrital {code}."), code=text.strip())
        return target, ()
    if text.strip().lower() in NATIONAL_WORDS:
        return target_from_key(ctx, "national"), ()
    found = ctx.services.territory.find(text)
    if len(found.places) == 1:
        place = found.places[0]
        return Target(place.kind, place.code, place.label, place.district_code), ()
    candidates = found.places or found.suggestions
    if not candidates:
        raise UnknownTarget(
            N_(
                "No encontré ese lugar. Escriba un código de distrito (11D06), un cantón o una "
                "parroquia."
            )
        )
    return None, tuple(Option(f"place:{p.code}", p.label) for p in candidates)
