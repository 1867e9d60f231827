"""The seed's Diálogo Ciudadano of Tacamoros (21 Nov 2024) recreated through the bot and exported.

Two citizens answer the four generating questions through the flow engine, staff record the two
commitments, and the exported matrices (CSV and XLSX, parsed back) hold exactly the seed's rows
in the seed's columns.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services import commitments, dialogues, reports
from bot.services.container import Services
from bot.storage.models import DialogueAnswer
from tests.support.chat import Chat
from tests.support.staff_accounts import make_scope

SEED = Path(__file__).parent.parent / "data" / "seed_000_matrices.txt"
TACAMOROS = "111252"


def seed_tables() -> tuple[list[list[str]], list[list[str]]]:
    """The seed's alerts and commitments matrices as rows of cells."""
    lines = [
        line
        for line in SEED.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    start_alerts = lines.index("MATRIZ DE ALERTAS Y SUGERENCIAS") + 1
    start_commitments = lines.index("MATRIZ DE COMPROMISOS:")
    alerts = [line.split("\t") for line in lines[start_alerts:start_commitments]]
    commits = [line.split("\t") for line in lines[start_commitments + 1 :]]
    return alerts, commits


SEED_ALERTS, SEED_COMMITMENTS = seed_tables()
ANSWER_1 = SEED_ALERTS[1][1].removeprefix("1. ")
ANSWER_2 = SEED_ALERTS[3][1].removeprefix("1. ")
ANSWER_3 = SEED_ALERTS[5][1].removeprefix("1. ")


async def _first_citizen(engine: FlowEngine) -> None:
    """Answers the alert and the suggestion; skips the need and the channel."""
    chat = Chat(engine, channel="telegram", address="5001")
    await chat.say("/dialogo")
    replies = await chat.say("tacamoros")
    assert "Diálogo Ciudadano Tacamoros 2024-11-21" in replies[0].text
    await chat.say(ANSWER_1)
    await chat.choose("Omitir")
    await chat.say(ANSWER_3)
    await chat.choose("Omitir")
    assert "¿Las envío?" in chat.text
    await chat.choose("Enviar")
    assert "Guardamos sus 2 respuestas" in chat.text


async def _second_citizen(engine: FlowEngine) -> None:
    """Answers the need and the channel (the technicians, with its reason), by SMS."""
    chat = Chat(engine, channel="sms", address="+593991234567")
    await chat.say("dialogo ciudadano")
    await chat.say("Tacamoros")
    await chat.say("1")  # "Omitir" is option 1 on SMS
    await chat.say(ANSWER_2)
    await chat.choose("Omitir")
    await chat.choose("técnicos que visitan")
    await chat.say("en la parroquia no se cuenta con buena conectividad de telefonía.")
    await chat.choose("Enviar")
    assert "Guardamos sus 2 respuestas" in chat.text


async def test_tacamoros_dialogue_is_recreated_and_exported_as_in_the_seed(
    services: Services, flow_engine: FlowEngine, tmp_path: Path
) -> None:
    analyst = await make_scope(services, Role.DISTRICT, district_code="11D06")
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        dialogue = await dialogues.open_session(
            session,
            analyst,
            parish_code=TACAMOROS,
            title="Diálogo Ciudadano Tacamoros 2024-11-21",
            held_on=date(2024, 11, 21),
            now=now,
        )

    await _first_citizen(flow_engine)
    await _second_citizen(flow_engine)

    async with services.session_factory() as session, session.begin():
        for row in SEED_COMMITMENTS[3:]:
            proposal, citizens, institution, deadline = row
            assert deadline == "Permanente"
            await commitments.add_commitment(
                session,
                analyst,
                session_id=dialogue.id,
                proposal=proposal,
                citizen_commitment=citizens,
                institution_commitment=institution,
                deadline=None,
                responsible_unit="Dirección Distrital Calvas",
                now=now,
            )
        data = await reports.dialogue_report(session, analyst, dialogue.id)
        stored = list(await session.scalars(select(DialogueAnswer)))
    assert {a.session_id for a in stored} == {dialogue.id}
    assert len({a.contact_id for a in stored}) == 2

    csv_paths = reports.export(data, tmp_path, "tacamoros", "csv", "MIES")
    [xlsx_path] = reports.export(data, tmp_path, "tacamoros", "xlsx", "MIES")

    def read_csv(path: Path) -> list[list[str]]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle))

    alerts_csv, commitments_csv, summary_csv = (read_csv(p) for p in csv_paths)
    workbook = load_workbook(xlsx_path)

    def read_sheet(name: str) -> list[list[str]]:
        sheet = workbook[name]
        return [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]

    for alerts in (alerts_csv, read_sheet("Alertas y sugerencias")):
        assert alerts == SEED_ALERTS
    for matrix in (commitments_csv, read_sheet("Compromisos")):
        assert [row[:4] for row in matrix] == SEED_COMMITMENTS
        assert matrix[2][4:] == ["Unidad responsable", "Estado"]
        assert [row[4:] for row in matrix[3:]] == [["Dirección Distrital Calvas", "Pendiente"]] * 2
    for summary in (summary_csv, read_sheet("Resumen")):
        assert summary[1] == [
            "Tacamoros",
            TACAMOROS,
            "Sozoranga",
            "Loja",
            "1",
            "1",
            "1",
            "1",
            "4",
            "2",
            "2",
        ]
        assert summary[-1][0] == "TOTAL"
