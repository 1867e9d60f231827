"""Shared step of district-level staff flows: which district (analysts skip it).

`open_for_district` is the opening those flows share: the role is checked, a district analyst
sees their own district at once, everyone else is asked which one (`CHOOSING_DISTRICT`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.errors import N_, DomainError
from bot.domain.staff import StaffScope
from bot.flows.base import Answer, FlowContext, Outcome, Reply
from bot.flows.staff.access import require_role, resolve_target
from bot.services.authz import Action


class NoDistrict(DomainError):
    """The typed place has no district directorate."""


CHOOSING_DISTRICT = "choosing_district"


def ask_district(ctx: FlowContext, state: object | None = None) -> Outcome:
    """Asks a national or zonal staff member which district to look at."""
    return Outcome(
        [Reply(ctx.t("¿Qué distrito? Escriba su código (p. ej. 11D06) o un cantón o parroquia."))],
        step=CHOOSING_DISTRICT,
        state=state,
    )


def district_from_answer(ctx: FlowContext, answer: Answer) -> str:
    """The district code a staff member typed (code, canton or parish name)."""
    target, _ = resolve_target(ctx, answer.option or answer.text)
    if target is None or target.district_code is None:
        raise NoDistrict(
            N_("Escriba el código del distrito (p. ej. 11D06) o un lugar con distrito asignado.")
        )
    return target.district_code


def own_district(scope: StaffScope) -> str | None:
    """The district a district analyst works on (others choose one)."""
    return scope.district_code


async def open_for_district(
    ctx: FlowContext, action: Action, show: Callable[[str], Awaitable[Outcome]]
) -> Outcome:
    """Checks the role for `action`, then shows the analyst's district or asks which one."""
    scope = await require_role(ctx, action)
    district = own_district(scope)
    if district is None:
        return ask_district(ctx)
    return await show(district)
