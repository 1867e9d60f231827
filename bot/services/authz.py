"""Staff authorisation in one place: which roles may do each action, and on which territory.

Every staff command (Telegram flows and CLI) calls `authorize` before acting. A denial is
audited (`staff.denied`) and raised as `PermissionDenied`, whose Spanish message is polite and
says what the person may do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, DomainError
from bot.domain.staff import Role, StaffScope
from bot.services.audit import record
from bot.storage.models import District


class Action(StrEnum):
    """Everything staff can do; each has one row in `PERMISSIONS`."""

    VIEW_STATS = "ver_estadisticas"
    VIEW_CASES = "ver_casos"
    UPDATE_CASE = "actualizar_caso"
    VIEW_COMMITMENTS = "ver_compromisos"
    UPDATE_COMMITMENT = "actualizar_compromiso"
    VIEW_DIALOGUES = "ver_dialogos"
    EDIT_DIALOGUE = "editar_dialogo"
    CREATE_EVENT = "crear_evento"
    BROADCAST = "difundir"
    BROADCAST_NATIONAL = "difundir_nacional"
    MANAGE_STAFF = "gestionar_personal"
    IMPORT_REGISTRY = "importar_registro"
    EXPORT_REPORTS = "exportar_reportes"
    EXPORT_CONTACTS = "exportar_contactos_completos"
    # Acompañamiento Familiar (a technician also needs the parish or family assigned)
    VIEW_FAMILIES = "ver_familias"
    PRINT_FIELD_LIST = "imprimir_lista_de_campo"
    RECORD_IN_PERSON = "registrar_informado_en_persona"
    PLAN_VISIT = "planificar_visita"
    ASSIGN_FAMILIES = "asignar_familias"
    RECORD_ATTENDANCE = "registrar_asistencia"


class Territory(StrEnum):
    """How an action's territory is checked."""

    NONE = "none"  # national by nature: only roles listed may do it, anywhere
    DISTRICT = "district"  # must name a district inside the person's scope


@dataclass(frozen=True)
class Permission:
    """The roles allowed to do an action and whether its district must be in their scope."""

    roles: frozenset[Role]
    territory: Territory


_READERS = frozenset({Role.ADMIN, Role.ZONAL, Role.DISTRICT, Role.AUDITOR})
_WRITERS = frozenset({Role.ADMIN, Role.ZONAL, Role.DISTRICT})
_ADMIN = frozenset({Role.ADMIN})
_FIELD = frozenset({Role.ADMIN, Role.ZONAL, Role.DISTRICT, Role.TECHNICIAN})

# Reads: a refusal names the role, never "read-only".
READ_ACTIONS = frozenset(
    {
        Action.VIEW_STATS,
        Action.VIEW_CASES,
        Action.VIEW_COMMITMENTS,
        Action.VIEW_DIALOGUES,
        Action.EXPORT_REPORTS,
        Action.EXPORT_CONTACTS,
        Action.VIEW_FAMILIES,
        Action.PRINT_FIELD_LIST,
    }
)

PERMISSIONS: dict[Action, Permission] = {
    Action.VIEW_STATS: Permission(_READERS, Territory.DISTRICT),
    Action.VIEW_CASES: Permission(_READERS, Territory.DISTRICT),
    Action.UPDATE_CASE: Permission(_WRITERS, Territory.DISTRICT),
    Action.VIEW_COMMITMENTS: Permission(_READERS, Territory.DISTRICT),
    Action.UPDATE_COMMITMENT: Permission(_WRITERS, Territory.DISTRICT),
    Action.VIEW_DIALOGUES: Permission(_READERS, Territory.DISTRICT),
    Action.EDIT_DIALOGUE: Permission(_WRITERS, Territory.DISTRICT),
    Action.CREATE_EVENT: Permission(_WRITERS, Territory.DISTRICT),
    Action.BROADCAST: Permission(_WRITERS, Territory.DISTRICT),
    Action.BROADCAST_NATIONAL: Permission(_ADMIN, Territory.NONE),
    Action.MANAGE_STAFF: Permission(_ADMIN, Territory.NONE),
    Action.IMPORT_REGISTRY: Permission(_ADMIN, Territory.NONE),
    Action.EXPORT_REPORTS: Permission(frozenset({Role.ADMIN, Role.AUDITOR}), Territory.NONE),
    Action.EXPORT_CONTACTS: Permission(_ADMIN, Territory.NONE),
    Action.VIEW_FAMILIES: Permission(_FIELD | {Role.AUDITOR}, Territory.DISTRICT),
    Action.PRINT_FIELD_LIST: Permission(_FIELD, Territory.DISTRICT),
    Action.RECORD_IN_PERSON: Permission(_FIELD, Territory.DISTRICT),
    Action.PLAN_VISIT: Permission(_FIELD, Territory.DISTRICT),
    Action.ASSIGN_FAMILIES: Permission(_WRITERS, Territory.DISTRICT),
    Action.RECORD_ATTENDANCE: Permission(_FIELD, Territory.DISTRICT),
}


class PermissionDenied(DomainError):
    """A staff member (or someone who is not staff) asked for something outside their role."""

    def __init__(self, template: str, reason: str, **params: object) -> None:
        super().__init__(template, **params)
        self.reason = reason


NOT_STAFF = N_(
    "Este comando es solo para el personal del ministerio. Si usted es funcionario, pida un "
    "código a su administrador y escriba /vincular para enlazar su cuenta."
)
_ROLE_DENIED = N_(
    "Disculpe, su perfil ({role}) no permite esta acción. Si la necesita, pídala a un "
    "administrador nacional."
)
_READ_ONLY = N_(
    "Disculpe, su perfil de auditoría es de solo lectura: puede consultar, pero no cambiar nada."
)
_TERRITORY_DENIED = N_(
    "Disculpe, solo puede actuar sobre su territorio ({scope}); {target} está fuera de él."
)
_UNKNOWN_DISTRICT = N_(
    "Disculpe, ese lugar aún no tiene una dirección distrital asignada; solo un administrador "
    "nacional puede actuar sobre él."
)

ROLE_LABELS = {
    Role.ADMIN: N_("administración nacional"),
    Role.ZONAL: N_("coordinación zonal"),
    Role.DISTRICT: N_("análisis distrital"),
    Role.AUDITOR: N_("auditoría"),
    Role.TECHNICIAN: N_("técnico de acompañamiento familiar"),
}


def scope_label(scope: StaffScope) -> str:
    """The territory a scope covers, as staff read it ('distrito 11D06', 'zona 7', 'nacional')."""
    if scope.role in (Role.DISTRICT, Role.TECHNICIAN):
        return f"distrito {scope.district_code}"
    if scope.role is Role.ZONAL:
        return f"zona {scope.zone_code}"
    return "nacional"


def sees_national_queue(scope: StaffScope) -> bool:
    """Whether `scope` covers the national queue (cases of places without a district)."""
    return scope.role in (Role.ADMIN, Role.AUDITOR)


async def district_in_scope(session: AsyncSession, scope: StaffScope, district_code: str) -> bool:
    """True when `district_code` lies inside the territory of `scope`."""
    if scope.role in (Role.ADMIN, Role.AUDITOR):
        return True
    if scope.role in (Role.DISTRICT, Role.TECHNICIAN):
        return district_code == scope.district_code
    district = await session.get(District, district_code)
    return district is not None and district.zone_code == scope.zone_code


async def authorize(
    session: AsyncSession,
    scope: StaffScope | None,
    action: Action,
    *,
    now: datetime,
    district_code: str | None = None,
    actor: str = "",
) -> StaffScope:
    """Returns the scope when `action` is allowed on `district_code`; else audits and raises.

    `actor` identifies a caller who is not staff (e.g. 'telegram:123') for the audit entry.
    """
    permission = PERMISSIONS[action]
    reason: str | None = None
    error: PermissionDenied | None = None
    if scope is None:
        reason, error = "not_staff", PermissionDenied(NOT_STAFF, "not_staff")
    elif scope.role not in permission.roles:
        # "Read-only" explains a refused change; a refused read names the role instead.
        read_only = scope.read_only and action not in READ_ACTIONS
        reason = "read_only" if read_only else "role"
        template = _READ_ONLY if read_only else _ROLE_DENIED
        error = PermissionDenied(template, reason, role=ROLE_LABELS[scope.role])
    elif permission.territory is Territory.DISTRICT:
        if district_code is None:
            if scope.role not in (Role.ADMIN, Role.AUDITOR):
                reason = "territory"
                error = PermissionDenied(_UNKNOWN_DISTRICT, reason)
        elif not await district_in_scope(session, scope, district_code):
            reason = "territory"
            error = PermissionDenied(
                _TERRITORY_DENIED, reason, scope=scope_label(scope), target=district_code
            )
    if error is None and scope is not None:
        return scope
    await record(
        session,
        at=now,
        actor_kind="staff" if scope is not None else "anonimo",
        actor=f"staff:{scope.staff_id}" if scope is not None else actor,
        action="staff.denied",
        target=district_code,
        outcome=reason,
        detail={"action": action.value, "role": scope.role.value if scope else None},
    )
    assert error is not None
    raise error


async def authorize_listing(
    session: AsyncSession, scope: StaffScope | None, action: Action, *, now: datetime
) -> StaffScope:
    """Allows a list page of `action` when the role may do it somewhere; else audits and raises.

    The rows of the list are then filtered to the scope's territory (`bot.services.cases.
    districts_in_scope`), so a list never needs one district to be named.
    """
    if scope is not None and scope.role in PERMISSIONS[action].roles:
        return scope
    return await authorize(session, scope, action, now=now)
