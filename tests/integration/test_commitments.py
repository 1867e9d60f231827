"""Commitments: staff record them in their territory; status changes reach parish subscribers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.domain.errors import InvalidTransition, NotAllowed
from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services import commitments, dialogues
from bot.services.container import Services
from bot.storage.models import Beneficiary, CommitmentUpdate, OutboxMessage
from notificaciones.jobs import materialise_commitment_reminders
from tests.support.chat import Chat
from tests.support.staff_accounts import make_scope


async def _dialogue_with_commitment(services: Services, deadline: date | None) -> int:
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        dialogue = await dialogues.open_session(
            session, calvas, parish_code="111252", title="Diálogo Tacamoros", held_on=None, now=now
        )
        row = await commitments.add_commitment(
            session,
            calvas,
            session_id=dialogue.id,
            proposal="Que se realicen eventos de información en la parroquia",
            citizen_commitment="Asistir y difundir",
            institution_commitment="Informar con anticipación de los eventos",
            deadline=deadline,
            responsible_unit="Dirección Distrital Calvas",
            now=now,
        )
        return row.id


async def test_citizen_sees_the_parish_commitments_and_gets_a_notice_on_change(
    services: Services, flow_engine: FlowEngine
) -> None:
    commitment_id = await _dialogue_with_commitment(services, None)
    chat = Chat(flow_engine, channel="telegram", address="9001")
    await chat.say("/acuerdos")
    await chat.say("Tacamoros")
    assert "Informar con anticipación de los eventos" in chat.text
    assert "Plazo: Permanente · Estado: Pendiente" in chat.text
    await chat.choose("Recibir avisos")
    assert "le avisaremos" in chat.text
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    loja = await make_scope(services, Role.DISTRICT, district_code="11D01")
    auditor = await make_scope(services, Role.AUDITOR)
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for scope in (loja, auditor):
            with pytest.raises(NotAllowed):
                await commitments.change_commitment_status(
                    session, scope, commitment_id, "en_curso", now=now
                )
        with pytest.raises(InvalidTransition):
            await commitments.change_commitment_status(
                session, calvas, commitment_id, "terminado", now=now
            )
        change = await commitments.change_commitment_status(
            session, calvas, commitment_id, "cumplido", now=now, note="Evento del 5 de diciembre"
        )
        assert change.notices == 1 and change.previous == "pendiente"
    async with services.session_factory() as session:
        [notice] = list(await session.scalars(select(OutboxMessage)))
        assert (notice.channel, notice.address, notice.kind) == ("telegram", "9001", "compromiso")
        assert "Cumplido" in notice.body
        updates = list(await session.scalars(select(CommitmentUpdate.status)))
        assert updates == ["pendiente", "cumplido"]
    await chat.say("/acuerdos")
    await chat.choose("Tacamoros")
    assert "Estado: Cumplido" in chat.text
    await chat.choose("Dejar de recibir")
    assert "ya no le enviaremos" in chat.text


async def test_dated_deadline_notice_is_queued_once(
    services: Services, flow_engine: FlowEngine
) -> None:
    today = services.clock().date()
    await _dialogue_with_commitment(services, today + timedelta(days=3))
    chat = Chat(flow_engine, channel="sms", address="+593991234500")
    await chat.say("/acuerdos")
    await chat.say("Tacamoros")
    await chat.choose("Recibir avisos")
    queued = []
    for _ in range(2):
        async with services.session_factory() as session, session.begin():
            queued.append(
                await materialise_commitment_reminders(session, services.settings, services.clock())
            )
    assert queued == [1, 0]
    async with services.session_factory() as session:
        [notice] = list(await session.scalars(select(OutboxMessage)))
        assert notice.channel == "sms" and "vence el" in notice.body
        assert notice.kind == "commitment_reminder"


async def test_deadline_reminders_are_written_in_each_recipients_language(
    services: Services, flow_engine: FlowEngine
) -> None:
    now = services.clock()  # Friday 2026-11-20 in Loja
    await _dialogue_with_commitment(services, now.date() + timedelta(days=3))
    english = Chat(flow_engine, channel="telegram", address="9002")
    await english.say("/idioma")
    await english.press("en")
    await english.say("/acuerdos")
    await english.say("Tacamoros")
    await english.press("subscribe")
    assert english.text.startswith("Done: we will let you know here when a commitment")
    async with services.session_factory() as session, session.begin():
        session.add(
            Beneficiary(
                cedula="1100000027",
                names="Persona",
                mobile="+593991234501",
                parish_code="111252",
                programme="BDH",
                status="activo",
                row_hash="x",
                updated_at=now,
            )
        )

    async with services.session_factory() as session, session.begin():
        queued = await materialise_commitment_reminders(session, services.settings, now)

    async with services.session_factory() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "commitment_reminder")
            )
        )
    bodies = {(r.channel, r.address): r.body for r in rows}
    assert queued == 2  # one day before the deadline; seven days before has passed
    assert bodies == {
        ("telegram", "9002"): (
            'MIES: the commitment "Informar con anticipación de los eventos" is due on '
            "November 23. Reply AYUDA to find out more."
        ),
        ("sms", "+593991234501"): (
            "MIES: el compromiso «Informar con anticipacion de los eventos» vence el "
            "23 de noviembre. Responda AYUDA para saber mas."
        ),
    }


async def test_staff_cannot_record_outside_their_territory(services: Services) -> None:
    loja = await make_scope(services, Role.DISTRICT, district_code="11D01")
    with pytest.raises(NotAllowed):
        async with services.session_factory() as session, session.begin():
            await dialogues.open_session(
                session,
                loja,
                parish_code="111252",
                title="x",
                held_on=None,
                now=services.clock(),
            )
