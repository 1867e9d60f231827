"""The inbox and the reports in the panel: a district analyst takes a citizen's conversation and
answers it; another district is refused and audited; charts render as SVG with their tables."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.models import AuditEntry, Contact, OutboxMessage
from tests.support.chat import Chat
from tests.support.panel import signed_in, staff_account

TACAMOROS = "111252"  # district 11D06


async def _citizen_asking(services: Services, engine: FlowEngine, address: str = "900") -> Chat:
    chat = Chat(engine, channel="telegram", address=address)
    await chat.say("hola")
    async with services.session_factory() as session, session.begin():
        contact = await session.scalar(select(Contact).where(Contact.address == address))
        assert contact is not None
        contact.parish_code = TACAMOROS
    await chat.say("/persona")
    await chat.say("Necesito que alguien me ayude con el bono de mi mamá")
    return chat


async def test_an_analyst_takes_the_conversation_answers_it_and_the_citizen_gets_it(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat = await _citizen_asking(services, flow_engine)
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with signed_in(services, analyst) as visitor:
        listing = await visitor.get("/panel/bandeja")
        assert "bono de mi mamá" in listing.text
        number = listing.text.split('href="/panel/bandeja/')[1].split('"')[0]
        detail = await visitor.get(f"/panel/bandeja/{number}")
        assert "Tomar la conversación" in detail.text
        taken = await visitor.post(f"/panel/bandeja/{number}/tomar", {})
        answered = await visitor.post(
            f"/panel/bandeja/{number}/responder", {"texto": "Hola, soy Rosa. ¿Cuál es su cédula?"}
        )
        empty = await visitor.post(f"/panel/bandeja/{number}/responder", {"texto": "  "})
        after = await visitor.get(f"/panel/bandeja/{number}")
    assert taken.status_code == answered.status_code == 303
    assert "Escriba la respuesta antes de enviarla." in empty.text
    assert "Hola, soy Rosa." in after.text
    async with services.session_factory() as session:
        bodies = list(
            await session.scalars(select(OutboxMessage.body).where(OutboxMessage.address == "900"))
        )
    assert any("le va a responder" in b for b in bodies)
    assert "Hola, soy Rosa. ¿Cuál es su cédula?" in bodies
    assert await chat.say("1712345678") == []  # the bot stays quiet while a person answers


async def test_another_district_cannot_open_or_answer_it(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _citizen_asking(services, flow_engine)
    stranger = await staff_account(services, Role.DISTRICT, district_code="11D01")
    admin = await staff_account(services, Role.ADMIN)
    async with signed_in(services, admin) as visitor:
        number = (await visitor.get("/panel/bandeja")).text.split('href="/panel/bandeja/')[1]
        number = number.split('"')[0]
    async with signed_in(services, stranger) as visitor:
        listing = await visitor.get("/panel/bandeja")
        seen = await visitor.get(f"/panel/bandeja/{number}")
        answered = await visitor.post(f"/panel/bandeja/{number}/responder", {"texto": "hola"})
    assert "bono de mi mamá" not in listing.text
    assert seen.status_code == answered.status_code == 403
    async with services.session_factory() as session:
        denied = list(
            await session.scalars(
                select(AuditEntry.target).where(AuditEntry.action == "staff.denied")
            )
        )
    assert f"/panel/bandeja/{number}/responder" in denied


async def test_the_reports_page_shows_every_chart_and_its_tables(services: Services) -> None:
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with signed_in(services, analyst) as visitor:
        page = await visitor.get("/panel/informes?dias=90")
        chart = await visitor.get("/panel/informes/casos.svg?dias=90")
        csv = await visitor.get("/panel/informes/mensajes.csv")
        xlsx = await visitor.get("/panel/informes/dialogo.xlsx")
        unknown = await visitor.get("/panel/informes/nada.svg")
    assert page.status_code == 200 and page.text.count("<img") == 5
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in chart.text
    assert csv.text.lstrip("\ufeff").startswith("Día,")
    assert xlsx.content[:2] == b"PK"
    assert unknown.status_code == 404
