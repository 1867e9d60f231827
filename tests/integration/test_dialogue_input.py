"""Bad input in the dialogue: long answers are refused with their limit, never cut; formulas
export as text; without an open session the dialogue stands open all year."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.dialogue import MAX_ANSWER_CHARS
from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services import reports
from bot.services.container import Services
from bot.storage.models import DialogueAnswer
from tests.support.chat import Chat
from tests.support.staff_accounts import make_scope


async def _at_first_question(engine: FlowEngine, address: str) -> Chat:
    chat = Chat(engine, channel="telegram", address=address)
    await chat.say("/dialogo")
    await chat.say("Tacamoros")
    assert "1. ¿Cuáles son los problemas" in chat.text
    return chat


async def _answers(services: Services) -> list[DialogueAnswer]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(DialogueAnswer).order_by(DialogueAnswer.id)))


async def test_an_overlong_answer_is_kept_up_to_the_limit_and_the_citizen_told(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat = await _at_first_question(flow_engine, "8001")
    words = "no hay transporte para ir a la oficina y la tecnica no viene "
    replies = await chat.say((words * 90)[:5000])  # 5,000 characters: over the engine's 4,000
    assert len(replies) >= 2
    assert "Su mensaje era muy largo (5000 caracteres)" in replies[0].text
    assert f"Guardé los primeros {MAX_ANSWER_CHARS}" in replies[0].text  # told once, the limit
    assert "2. ¿Qué necesidad" in replies[-1].text  # and the dialogue goes on
    exact = "z" * MAX_ANSWER_CHARS
    await chat.say(exact)
    for _ in range(2):
        await chat.choose("Omitir")
    await chat.choose("Enviar")
    first, second = await _answers(services)
    assert first.answer_text == (words * 90)[:5000][: len(first.answer_text)]
    assert MAX_ANSWER_CHARS - 40 <= len(first.answer_text) <= MAX_ANSWER_CHARS
    assert second.answer_text == exact
    assert first.session_id is None  # no open session: standing open all year


async def test_without_an_open_session_the_dialogue_is_open_all_year(
    flow_engine: FlowEngine,
) -> None:
    chat = Chat(flow_engine, channel="telegram", address="8002")
    await chat.say("/dialogo")
    replies = await chat.say("Tacamoros")
    assert "está abierto todo el año" in replies[0].text


async def test_discarded_answers_are_not_stored(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat = await _at_first_question(flow_engine, "8003")
    await chat.say("No hay transporte")
    for _ in range(2):
        await chat.choose("Omitir")
    await chat.say("Por la radio comunitaria")  # own channel, typed
    assert "4. Por la radio comunitaria" in chat.text
    await chat.choose("No enviar")
    assert await _answers(services) == []


async def test_a_formula_answer_exports_as_text(
    services: Services, flow_engine: FlowEngine, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://malo.example","clic")'
    chat = await _at_first_question(flow_engine, "8004")
    await chat.say(formula)
    for _ in range(3):
        await chat.choose("Omitir")
    await chat.choose("Enviar")
    admin = await make_scope(services, Role.ADMIN)
    async with services.session_factory() as session:
        today = services.clock().date()
        data = await reports.period_report(
            session,
            admin,
            since=today,
            until=today,
            territory_code="11D06",
            tz=services.settings.timezone,
        )
    [alerts_csv, _, _] = reports.export(data, tmp_path, "p", "csv", "MIES")
    [xlsx] = reports.export(data, tmp_path, "p", "xlsx", "MIES")
    with alerts_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][1] == "1. " + formula  # numbered, so it cannot start a formula
    sheet = load_workbook(xlsx)["Alertas y sugerencias"]
    assert sheet.cell(row=2, column=2).value == "1. " + formula
    # A cell that itself begins with "=" (an observation) is neutralised in both formats.
    data.answers[0] = reports.AnswerRow("111252", 1, "ok", formula, None)
    table = reports.alerts_matrix(data)
    assert table[1][2] == formula
    assert (
        reports.to_csv(table)
        .splitlines()[1]
        .endswith('\'=HYPERLINK(""http://malo.example"",""clic"")"')
    )
    reports.write_xlsx({"a": table}, tmp_path / "o.xlsx")
    cell = load_workbook(tmp_path / "o.xlsx")["a"].cell(row=2, column=3)
    assert cell.data_type == "s" and cell.value == formula
