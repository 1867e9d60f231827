"""A small, fictitious demo data set for the console chat: beneficiaries, events, a dialogue.

Every person here is invented; the cédulas are valid-looking numbers made for the demo.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.corresponsabilidad import birthday
from bot.domain.identity import complete_cedula
from bot.storage.models import Beneficiary, Commitment, DialogueSession, Event

TACAMOROS = "111252"
LOJA_TZ = ZoneInfo("America/Guayaquil")


@dataclass(frozen=True)
class DemoPerson:
    """A demo beneficiary, printed in the README so anyone can try the payment-status flow."""

    cedula: str
    names: str
    birth_date: date
    programme: str
    status: str
    reason_code: str | None
    amount: Decimal


DEMO_PEOPLE = (
    DemoPerson(
        complete_cedula("110000001"),
        "María Rosa Jiménez",
        date(1988, 3, 14),
        "BDHV",
        "activo",
        None,
        Decimal("104.00"),
    ),
    DemoPerson(
        complete_cedula("110000002"),
        "Luz Elena Ordóñez",
        date(1990, 7, 2),
        "BDH",
        "suspendido",
        "corresp_matricula",
        Decimal("55.00"),
    ),
    DemoPerson(
        complete_cedula("110000003"),
        "Carmen Sarango",
        date(1985, 1, 30),
        "BDH",
        "no_habilitado",
        "rs_desactualizado",
        Decimal("55.00"),
    ),
    DemoPerson(
        complete_cedula("110000004"),
        "José Armijos",
        date(1975, 11, 9),
        "BDH",
        "dado_de_baja",
        "afiliacion_iess",
        Decimal("55.00"),
    ),
    DemoPerson(
        complete_cedula("110000005"),
        "Rosa Elvira Castillo",
        date(1950, 5, 20),
        "MMA",
        "activo",
        None,
        Decimal("100.00"),
    ),
)


def _hash(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode(), usedforsecurity=False).hexdigest()


def _household(person: DemoPerson, today: date) -> tuple[str | None, str | None]:
    """Children's birth dates and pending conditions of the demo households (for /cumplir).

    María Rosa's youngest turns 5 in 40 days with no check-up recorded; Luz Elena, suspended
    for school enrolment, has a daughter of school age.
    """
    if person.cedula == complete_cedula("110000001"):
        youngest = birthday(today, -5) + timedelta(days=40)
        return f"2017-06-01;{youngest.isoformat()}", "control_menor5"
    if person.cedula == complete_cedula("110000002"):
        return "2014-03-01", "matricula"
    return None, None


async def load_demo_data(session: AsyncSession, now: datetime) -> int:
    """Adds the demo rows unless present; returns how many rows were added."""
    added = 0
    today = now.astimezone(LOJA_TZ).date()
    for person in DEMO_PEOPLE:
        children, pending = _household(person, today)
        exists = await session.scalar(
            select(Beneficiary.id).where(
                Beneficiary.cedula == person.cedula, Beneficiary.programme == person.programme
            )
        )
        if exists:
            continue
        session.add(
            Beneficiary(
                cedula=person.cedula,
                names=person.names,
                birth_date=person.birth_date,
                fingerprint_code=None,
                mobile=None,
                parish_code=TACAMOROS,
                programme=person.programme,
                status=person.status,
                reason_code=person.reason_code,
                amount=person.amount,
                last_payment_date=today.replace(day=1) - timedelta(days=20),
                next_payment_date=None,
                collection_point="BanEcuador Sozoranga",
                children_birth_dates=children,
                pending_conditions=pending,
                row_hash=_hash(person),
                updated_at=now,
            )
        )
        added += 1
    if await session.scalar(select(Event.id).where(Event.parish_code == TACAMOROS)) is None:
        for days, kind, title, place in (
            (
                5,
                "sensibilizacion",
                "Sensibilización sobre corresponsabilidad del BDH",
                "Casa comunal de Tacamoros",
            ),
            (
                12,
                "brigada_social",
                "Brigada Social por el Nuevo Ecuador",
                "Parque central de Tacamoros",
            ),
        ):
            starts = datetime.combine(today + timedelta(days=days), time(9, 0), LOJA_TZ)
            session.add(
                Event(
                    kind=kind,
                    title=title,
                    parish_code=TACAMOROS,
                    starts_at=starts,
                    place=place,
                    description="",
                    reminder_offsets_minutes=[10080, 1440],
                    created_at=now,
                )
            )
            added += 1
    if (
        await session.scalar(
            select(DialogueSession.id).where(DialogueSession.parish_code == TACAMOROS)
        )
        is None
    ):
        dialogue = DialogueSession(
            title="Diálogo Ciudadano Tacamoros 2024-11-21",
            parish_code=TACAMOROS,
            held_on=date(2024, 11, 21),
            # The 2024 dialogue happened and closed; new answers stand open all year.
            closed_at=datetime(2024, 11, 22, 17, 0, tzinfo=LOJA_TZ),
            created_at=now,
        )
        session.add(dialogue)
        await session.flush()
        for proposal, citizens, institution in (
            (
                "Participar en los eventos que realiza el MIES, en la parroquia",
                "Predisposición para ejecutar las actividades propuestas en coordinación "
                "con el MIES",
                "Informar mediante los equipos técnicos, con anticipación de los eventos que "
                "el MIES desarrollará en la parroquia",
            ),
            (
                "Que se focalice a usuarios que no reciben los servicios del MIES, como "
                "Adultos mayores y "
                "personas con discapacidad, para ser incluidos en los mismos",
                "Dar a conocer a las autoridades locales y del Mies, de usuarios que requieren los "
                "servicios Mies",
                "Verificar cada caso identificado de posibles usuarios para acceso a los servicios",
            ),
        ):
            session.add(
                Commitment(
                    session_id=dialogue.id,
                    parish_code=TACAMOROS,
                    proposal=proposal,
                    citizen_commitment=citizens,
                    institution_commitment=institution,
                    deadline=None,
                    permanent=True,
                    responsible_unit="Dirección Distrital Calvas",
                    status="en_curso",
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
    await session.flush()
    return added
