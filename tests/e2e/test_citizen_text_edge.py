"""Citizen text at the edge: control characters never reach the database; staff read it safely."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.handlers.console import run_console
from bot.services.cases import open_case
from bot.services.container import Services
from bot.services.staff import create_staff
from bot.storage.models import Case, DialogueAnswer
from tests.support.fake_bot_api import FakeBotApi, TelegramUser

PHISHING = "Cobre su bono aquí: https://mies-pagos.com/bono \u202egnp.exe\u200b y www.bono.ec"


async def test_a_dialogue_answer_with_a_nul_character_is_saved_without_it(
    services: Services, citizen: TelegramUser
) -> None:
    await citizen.say("/dialogo")
    await citizen.say("Tacamoros")
    await citizen.say("No hay\x00 agua\x1b potable\r\nen el barrio")
    for _ in range(3):
        await citizen.press("Omitir")
    await citizen.press("Enviar")
    async with services.session_factory() as session:
        [answer] = await session.scalars(select(DialogueAnswer))
    assert answer.answer_text == "No hay agua potable\nen el barrio"


async def test_a_left_out_report_typed_on_the_console_with_a_nul_is_saved(
    services: Services, flow_engine: FlowEngine
) -> None:
    lines = iter(["/excluido", "1", "Tacamoros", "Don\x00 Segundo, 82 años", "El Limo\x07", "1"])

    async def read() -> str | None:
        return next(lines, None)

    shown: list[str] = []
    await run_console(flow_engine, read, shown.append)
    async with services.session_factory() as session:
        [case] = await session.scalars(select(Case))
    assert (case.description, case.contact_info) == ("Don Segundo, 82 años", "El Limo")


async def test_staff_read_a_phishing_description_marked_defanged_and_without_a_preview(
    services: Services, citizen: TelegramUser, bot_api: FakeBotApi
) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(
            session, name="Analista", role=Role.DISTRICT, now=now, district_code="11D06"
        )
        staff.telegram_user_id = citizen.chat_id
        case = await open_case(
            session,
            kind="excluido",
            now=now,
            district_code="11D06",
            parish_code="111252",
            description=PHISHING,
        )
        number = case.number
    text = "\n".join(await citizen.say(f"/casos {number}"))
    assert "Texto del ciudadano: «Cobre su bono aquí: hxxps[://]mies-pagos[.]com/bono" in text
    assert "gnp[.]exe y www[.]bono[.]ec»" in text
    assert "\u202e" not in text and "\u200b" not in text and "https://" not in text
    sent = bot_api.sent(citizen.chat_id)[-1].params
    options = sent["link_preview_options"]
    options = json.loads(options) if isinstance(options, str) else options
    assert options["is_disabled"] is True
