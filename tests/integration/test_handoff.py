"""A citizen who asks for a person reaches their district's inbox; staff answer on the citizen's
channel; another district cannot see or answer; everything is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.answer_hours import AnswerHours
from bot.domain.errors import InvalidTransition
from bot.domain.staff import Role
from bot.services import handoff
from bot.services.authz import PermissionDenied
from bot.services.container import Services
from bot.services.dialogues import district_of_parish
from bot.storage.models import AuditEntry, Contact, District, OutboxMessage, Parish
from tests.support.staff_accounts import make_scope

HOURS = AnswerHours.parse("lun-vie 08:00-16:30")


async def _citizen(services: Services, parish_name: str | None, address: str = "777") -> int:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        parish = None
        if parish_name is not None:
            parish = await session.scalar(select(Parish.code).where(Parish.name == parish_name))
            assert parish is not None
        contact = Contact(
            channel="telegram",
            address=address,
            locale="es_EC",
            parish_code=parish,
            created_at=now,
            last_seen_at=now,
        )
        session.add(contact)
        await session.flush()
        return contact.id


async def _ask(services: Services, contact_id: int, reason: str, text: str) -> handoff.Opened:
    async with services.session_factory() as session, session.begin():
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        return await handoff.request_person(
            session,
            contact,
            reason=reason,
            text=text,
            now=services.clock(),
            hours=HOURS,
            tz=services.settings.timezone,
        )


async def _district(services: Services, parish_name: str) -> str:
    async with services.session_factory() as session:
        code = await session.scalar(select(Parish.code).where(Parish.name == parish_name))
        assert code is not None
        district = await district_of_parish(session, code)
    assert district is not None
    return district


async def _outbox(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_citizen_of_tacamoros_reaches_the_district_and_gets_the_answer_on_telegram(
    services: Services,
) -> None:
    contact_id = await _citizen(services, "Tacamoros")
    opened = await _ask(services, contact_id, "persona", "Quiero hablar con alguien por mi bono")
    assert opened.is_new
    district = await _district(services, "Tacamoros")
    analyst = await make_scope(services, Role.DISTRICT, district_code=district)
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        rows = await handoff.inbox(session, analyst, now=now + timedelta(minutes=12))
        assert [r.id for r in rows] == [opened.handoff.id]
        assert rows[0].waiting == timedelta(minutes=12)
        assert rows[0].last_text == "Quiero hablar con alguien por mi bono"
        await handoff.take(session, analyst, opened.handoff.id, now=now)
        await handoff.reply(
            session, analyst, opened.handoff.id, "Buenos días, ¿me da su cédula?", now=now
        )
    sent = await _outbox(services)
    assert [(m.channel, m.address) for m in sent] == [("telegram", "777")] * 2
    assert "le va a responder" in sent[0].body
    assert sent[1].body == "Buenos días, ¿me da su cédula?"
    async with services.session_factory() as session:
        view, lines = await handoff.view(session, analyst, opened.handoff.id, now=now)
    assert view.to_first_answer == timedelta(0)
    assert [line.author for line in lines] == ["citizen", "staff"]


async def test_another_district_cannot_see_or_answer_and_the_refusal_is_audited(
    services: Services,
) -> None:
    contact_id = await _citizen(services, "Tacamoros")
    opened = await _ask(services, contact_id, "urgente", "es urgente")
    async with services.session_factory() as session:
        codes = list(await session.scalars(select(District.code)))
    home = await _district(services, "Tacamoros")
    other = next(code for code in codes if code != home)
    stranger = await make_scope(services, Role.DISTRICT, district_code=other)
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        assert await handoff.inbox(session, stranger, now=now) == []
    async with services.session_factory() as session, session.begin():
        with pytest.raises(PermissionDenied):  # the channel answers 403; the refusal is kept
            await handoff.reply(session, stranger, opened.handoff.id, "hola", now=now)
    async with services.session_factory() as session:
        denied = await session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.denied"))
    assert denied is not None and denied.target == home


async def test_a_parish_without_district_goes_to_the_national_inbox(services: Services) -> None:
    contact_id = await _citizen(services, None)
    opened = await _ask(services, contact_id, "fraude", "me cobran 20 dolares por el bono")
    assert opened.handoff.district_code is None and opened.handoff.priority
    admin = await make_scope(services, Role.ADMIN)
    zonal = await make_scope(services, Role.ZONAL, zone_code="7")
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        assert [r.id for r in await handoff.inbox(session, admin, now=now)] == [opened.handoff.id]
        assert await handoff.inbox(session, zonal, now=now) == []


async def test_asking_twice_keeps_one_conversation_and_a_second_staff_cannot_barge_in(
    services: Services,
) -> None:
    contact_id = await _citizen(services, "Tacamoros")
    first = await _ask(services, contact_id, "persona", "hablar con una persona")
    again = await _ask(services, contact_id, "urgente", "por favor es urgente")
    assert not again.is_new and again.handoff.id == first.handoff.id
    district = await _district(services, "Tacamoros")
    one = await make_scope(services, Role.DISTRICT, district_code=district, name="Ana")
    two = await make_scope(services, Role.DISTRICT, district_code=district, name="Luis")
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        rows = await handoff.inbox(session, one, now=now)
        assert rows[0].priority  # «urgente» raised it
        await handoff.take(session, one, first.handoff.id, now=now)
    with pytest.raises(InvalidTransition):
        async with services.session_factory() as session, session.begin():
            await handoff.reply(session, two, first.handoff.id, "hola", now=now)
    async with services.session_factory() as session, session.begin():
        await handoff.hand_back(session, one, first.handoff.id, now=now, close=True)
    with pytest.raises(InvalidTransition):
        async with services.session_factory() as session, session.begin():
            await handoff.reply(session, one, first.handoff.id, "otra cosa", now=now)
    bodies = [m.body for m in await _outbox(services)]
    assert "cerró la conversación" in bodies[-1]
    async with services.session_factory() as session:
        actions = set(await session.scalars(select(AuditEntry.action)))
    assert {"handoff.requested", "handoff.taken", "handoff.closed"} <= actions


async def test_empty_and_overlong_replies_are_refused_with_a_clear_message(
    services: Services,
) -> None:
    contact_id = await _citizen(services, "Tacamoros")
    opened = await _ask(services, contact_id, "persona", "ayuda")
    district = await _district(services, "Tacamoros")
    analyst = await make_scope(services, Role.DISTRICT, district_code=district)
    now = services.clock()
    for text in ("   ", "x" * (handoff.MAX_REPLY_CHARS + 1)):
        with pytest.raises(InvalidTransition):
            async with services.session_factory() as session, session.begin():
                await handoff.reply(session, analyst, opened.handoff.id, text, now=now)
    assert await _outbox(services) == []


def test_outside_hours_the_citizen_is_told_when_a_person_is_back() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo("America/Guayaquil"))
    assert not HOURS.is_open(saturday)
    assert HOURS.next_opening(saturday).weekday() == 0
