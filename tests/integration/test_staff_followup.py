"""«/casos» and «/compromisos» on Telegram: status changes with a note, authorised by territory."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services.cases import open_case
from bot.services.container import Services
from bot.services.staff import create_staff
from bot.storage.models import (
    AuditEntry,
    Case,
    CaseUpdate,
    Commitment,
    CommitmentUpdate,
    Contact,
    OutboxMessage,
    Subscription,
)
from tests.support.chat import Chat

TACAMOROS, LOJA_CENTRO = "111252", "110101"  # districts 11D06 and 11D01


async def _staff(services: Services, role: Role, user_id: int, district: str | None = None) -> None:
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(
            session, name=f"P{user_id}", role=role, now=services.clock(), district_code=district
        )
        staff.telegram_user_id = user_id


async def _cases(services: Services) -> tuple[str, str]:
    """One case in 11D06 (reported by a Telegram citizen who consented), one in 11D01."""
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        reporter = Contact(channel="telegram", address="4242", created_at=now, last_seen_at=now)
        session.add(reporter)
        await session.flush()
        own = await open_case(
            session,
            kind="excluido",
            now=now,
            district_code="11D06",
            parish_code=TACAMOROS,
            description="Adulta mayor sin bono",
            reporter_contact_id=reporter.id,
            reporter_consent=True,
        )
        other = await open_case(
            session,
            kind="excluido",
            now=now,
            district_code="11D01",
            parish_code=LOJA_CENTRO,
            description="Otra persona",
        )
        return own.number, other.number


def _chat(engine: FlowEngine, user_id: int) -> Chat:
    return Chat(engine, channel="telegram", address=str(user_id))


async def _denials(services: Services) -> list[str]:
    async with services.session_factory() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "staff.denied").order_by(AuditEntry.id)
        )
        return [r.detail["action"] for r in rows]


async def test_an_analyst_moves_a_case_of_their_district_with_a_note(
    services: Services, flow_engine: FlowEngine
) -> None:
    own, _other = await _cases(services)
    await _staff(services, Role.DISTRICT, 9101, "11D06")
    chat = _chat(flow_engine, 9101)
    await chat.say("/casos")
    assert own in chat.text and "Nuevo" in chat.text
    await chat.press(f"case:{own}")
    assert "¿A qué estado pasa?" in chat.text
    await chat.choose("En verificación")
    await chat.say("Visita programada para el lunes")
    assert f"Caso {own}: «Nuevo» → «En verificación»" in chat.text
    assert "Se avisó a la persona" in chat.text
    async with services.session_factory() as session:
        case = await session.scalar(select(Case).where(Case.number == own))
        assert case is not None and case.status == "en_verificacion"
        notes = list(
            await session.scalars(select(CaseUpdate.note).where(CaseUpdate.case_id == case.id))
        )
        notice = await session.scalar(select(OutboxMessage).where(OutboxMessage.address == "4242"))
        audited = await session.scalar(select(AuditEntry).where(AuditEntry.action == "case_status"))
    assert "Visita programada para el lunes" in notes
    assert notice is not None and "En verificación" in notice.body
    assert audited is not None and audited.target == own

    # A closed case offers no further change.
    await chat.say(f"/casos {own}")
    await chat.choose("No califica")
    await chat.choose("Sin nota")
    await chat.say(f"/casos {own}")
    assert "está cerrado" in chat.text


async def test_an_analyst_cannot_change_a_case_of_another_district(
    services: Services, flow_engine: FlowEngine
) -> None:
    _own, other = await _cases(services)
    await _staff(services, Role.DISTRICT, 9102, "11D06")
    chat = _chat(flow_engine, 9102)
    await chat.say("/casos")
    assert other not in chat.text  # not even listed
    await chat.say(other)
    assert "solo puede actuar sobre su territorio" in chat.text
    await chat.say(f"/casos {other}")
    assert "solo puede actuar sobre su territorio" in chat.text
    assert await _denials(services) == ["actualizar_caso", "actualizar_caso"]
    async with services.session_factory() as session:
        case = await session.scalar(select(Case).where(Case.number == other))
    assert case is not None and case.status == "nuevo"


async def test_an_auditor_reads_cases_but_never_changes_them(
    services: Services, flow_engine: FlowEngine
) -> None:
    own, _ = await _cases(services)
    await _staff(services, Role.AUDITOR, 9103)
    chat = _chat(flow_engine, 9103)
    await chat.say("/casos")
    await chat.say("11D06")
    assert own in chat.text and "Para cambiar el estado" not in chat.text
    await chat.say(f"/casos {own}")
    assert "solo lectura" in chat.text
    assert await _denials(services) == ["actualizar_caso"]


async def _commitments(services: Services) -> tuple[int, int]:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        rows = []
        for parish in (TACAMOROS, LOJA_CENTRO):
            row = Commitment(
                parish_code=parish,
                proposal="Arreglar el acceso al centro de cuidado",
                citizen_commitment="Minga comunitaria",
                institution_commitment="Gestionar materiales",
                deadline=date(2027, 3, 1),
                permanent=False,
                responsible_unit="Unidad distrital",
                status="pendiente",
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            rows.append(row)
        contact = Contact(channel="telegram", address="777", created_at=now, last_seen_at=now)
        session.add(contact)
        await session.flush()
        session.add(
            Subscription(
                contact_id=contact.id,
                parish_code=TACAMOROS,
                channel="telegram",
                address="777",
                topic="compromisos",
                consent_at=now,
                created_at=now,
            )
        )
        return rows[0].id, rows[1].id


async def test_an_analyst_updates_a_district_commitment_and_subscribers_hear_of_it(
    services: Services, flow_engine: FlowEngine
) -> None:
    own, other = await _commitments(services)
    await _staff(services, Role.DISTRICT, 9104, "11D06")
    chat = _chat(flow_engine, 9104)
    await chat.say("/compromisos")
    assert f"#{own}" in chat.text and f"#{other}" not in chat.text
    assert "Tacamoros" in chat.text and "Pendiente" in chat.text
    await chat.press(f"commitment:{own}")
    await chat.choose("En curso")
    await chat.say("Materiales solicitados")
    assert "«Pendiente» → «En curso»" in chat.text and "cola: 1" in chat.text
    async with services.session_factory() as session:
        row = await session.get(Commitment, own)
        notes = list(
            await session.scalars(
                select(CommitmentUpdate.note).where(CommitmentUpdate.commitment_id == own)
            )
        )
    assert row is not None and row.status == "en_curso"
    assert notes == ["Materiales solicitados"]

    await chat.say("/compromisos")
    await chat.say(str(other))
    assert "solo puede actuar sobre su territorio" in chat.text
    assert await _denials(services) == ["actualizar_compromiso"]


async def test_an_auditor_cannot_change_commitments_and_citizens_get_their_flow(
    services: Services, flow_engine: FlowEngine
) -> None:
    own, _ = await _commitments(services)
    await _staff(services, Role.AUDITOR, 9105)
    auditor = _chat(flow_engine, 9105)
    await auditor.say("/compromisos")
    await auditor.say("11D06")
    assert f"#{own}" in auditor.text
    assert "Para cambiar el estado" not in auditor.text
    citizen = _chat(flow_engine, 9106)
    await citizen.say("/compromisos")
    assert "parroquia" in citizen.text.lower()


async def _two_mobiles(services: Services) -> None:
    from decimal import Decimal

    from bot.storage.models import Beneficiary
    from bot.storage.registry_sample import sample_cedula

    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for n in range(2):
            session.add(
                Beneficiary(
                    cedula=sample_cedula(n),
                    names=f"P {n}",
                    programme="BDH",
                    status="activo",
                    parish_code=TACAMOROS,
                    mobile=f"+59399200000{n}",
                    amount=Decimal(55),
                    row_hash=str(n),
                    updated_at=now,
                )
            )


ACCENTED = (
    "Reunión informativa del MIES en la casa comunal de Tacamoros: traiga su cédula, "
    "atención de 9 a 13."
)  # 99 characters: UCS-2 with accents (2 segments), GSM-7 without (1 segment)


async def test_broadcast_preview_counts_segments_after_transliteration(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _two_mobiles(services)
    await _staff(services, Role.DISTRICT, 9107, "11D06")
    chat = _chat(flow_engine, 9107)
    await chat.say("/difundir")
    await chat.press("beneficiarios")
    await chat.press("district:11D06")
    await chat.press("todos")
    await chat.say(ACCENTED)
    assert services.settings.sms_transliterate
    assert "Por SMS irá sin tildes: «Reunion informativa" in chat.text
    assert "1 segmento(s) (sin tildes" in chat.text and "USD 0.10" in chat.text
    await chat.press("confirmar")
    async with services.session_factory() as session:
        bodies = {m.body for m in await session.scalars(select(OutboxMessage))}
        segments = {m.segments for m in await session.scalars(select(OutboxMessage))}
    assert bodies == {ACCENTED.replace("ó", "o")} and segments == {1}


async def test_without_transliteration_accents_cost_two_segments(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _two_mobiles(services)
    await _staff(services, Role.DISTRICT, 9108, "11D06")
    services.settings.sms_transliterate = False
    chat = _chat(flow_engine, 9108)
    await chat.say("/difundir")
    await chat.press("beneficiarios")
    await chat.press("district:11D06")
    await chat.press("todos")
    await chat.say(ACCENTED)
    assert "sin tildes: «" not in chat.text
    assert "2 segmento(s) (con tildes" in chat.text and "USD 0.20" in chat.text
