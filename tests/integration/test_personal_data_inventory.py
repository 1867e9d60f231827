"""The privacy notice, /mis_datos and erasure match what the tables store, kind by kind.

The list of personal-data columns is derived from the SQLAlchemy tables: any column that holds a
chat id, a phone or a cédula, or points to a contact, must be declared in
`bot.services.personal_data.PERSONAL_COLUMNS` with its kind and its fate on erasure.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Table, select

from bot.domain.answer_hours import AnswerHours
from bot.domain.identity import complete_cedula
from bot.flows.engine import FlowEngine
from bot.i18n import Translator
from bot.services.container import Services
from bot.services.handoff import request_person
from bot.services.personal_data import KIND_KEYS, KINDS, PERSONAL_COLUMNS, Fate
from bot.storage.models import Base, Contact, OptOut
from tests.support.chat import Chat
from tests.support.reminders import subscribe

CHAT, PHONE = "5550001", "+593991234567"
CEDULA = complete_cedula("110999999")
# Names that say a column holds a chat id, a phone, a cédula or who someone is.
PERSONAL_NAME = re.compile(
    r"cedula|phone|mobile|address|chat|telegram|contact|actor_ref|^names$|birth|fingerprint"
)


def _suspect_columns() -> set[str]:
    found = set()
    for table in Base.metadata.tables.values():
        for column in table.columns:
            points_to_contact = any(
                fk.column.table.name == "contacts" for fk in column.foreign_keys
            )
            if points_to_contact or PERSONAL_NAME.search(column.name):
                found.add(f"{table.name}.{column.name}")
    return found


def test_every_column_holding_a_chat_phone_or_cedula_is_declared() -> None:
    existing = {f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns}
    undeclared = _suspect_columns() - set(PERSONAL_COLUMNS)
    assert not undeclared, f"declare these in bot/services/personal_data.py: {sorted(undeclared)}"
    assert set(PERSONAL_COLUMNS) <= existing, "declared columns that no table has"
    for name, column in PERSONAL_COLUMNS.items():
        assert (column.kind is None) == (column.fate is Fate.NOT_CITIZEN), name
        assert column.kind is None or column.kind in KIND_KEYS, name


def test_the_notice_names_every_kind_and_what_stays_after_erasure() -> None:
    kinds = {k.key: k for k in KINDS}
    used = {c.kind for c in PERSONAL_COLUMNS.values() if c.kind is not None}
    assert used == KIND_KEYS, "a kind with no column, or a column of an unknown kind"
    for name, column in PERSONAL_COLUMNS.items():
        if column.fate is Fate.KEPT and column.kind is not None:
            kind = kinds[column.kind]
            assert kind.after_erase or kind.transient, f"{name} stays: say why in the notice"


async def test_the_privacy_notice_mentions_every_kind(flow_engine: FlowEngine) -> None:
    notice = "\n".join(r.text for r in await Chat(flow_engine).say("/privacidad"))
    es = Translator("es_EC")
    for kind in KINDS:
        assert es.t(kind.stored) in notice, kind.key
        if kind.after_erase:
            assert es.t(kind.after_erase) in notice, kind.key
    assert notice.index("Después de borrar queda solo") < notice.index(es.t(KINDS[0].after_erase))


async def _citizen_with_everything(services: Services, engine: FlowEngine) -> Chat:
    """A Telegram citizen with a parish, reminders, a case, dialogue answers, a BAJA, a lock."""
    chat = await subscribe(engine, CHAT, PHONE)
    await chat.say("/pago")
    await chat.say(CEDULA)
    await chat.say("01/01/1980")  # no record: counts as a failed verification
    await chat.press("caso")
    await chat.say("Tacamoros")
    await chat.say("/dialogo")
    await chat.say("Tacamoros")
    await chat.say("Falta transporte para llegar al Balcón de Servicios")
    for _ in range(3):
        await chat.choose("Omitir")
    await chat.choose("Enviar")
    assert "Gracias" in chat.text
    async with services.session_factory() as session, session.begin():
        session.add(OptOut(phone=PHONE, opted_out_at=services.clock(), source="sms_keyword"))
        contact = await session.scalar(select(Contact).where(Contact.address == CHAT))
        assert contact is not None
        await request_person(
            session,
            contact,
            reason="persona",
            text="Quiero hablar con una persona",
            now=services.clock(),
            hours=AnswerHours.parse("lun-vie 08:00-16:30"),
            tz=services.settings.timezone,
        )
    return chat


async def test_my_data_shows_every_kind_for_a_citizen_who_has_them_all(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat = await _citizen_with_everything(services, flow_engine)
    text = "\n".join(r.text for r in await chat.say("/mis_datos"))
    shown = {
        "chat": ["Canal: telegram; idioma: es_EC.", "Primer mensaje:"],
        "conversation": ["Durante una consulta guardamos lo que escribe"],
        "parish": ["Parroquia: Tacamoros"],
        "reminders": [
            "Consentimiento: 20 de noviembre de 2026",
            "Celular: +59399****567",
            "Suscripciones: Tacamoros",
        ],
        "dialogue": ["Respuestas al Diálogo Ciudadano: «Falta transporte"],
        "cases": ["Casos abiertos: 11D06-2026-", f"(cédula *******{CEDULA[-3:]})"],
        "person": ["Conversaciones con una persona del equipo: 1."],
        "messages": ["Mensajes: "],
        "opt_out": ["Su celular está en la lista de no envío (BAJA)."],
        "security": ["los intentos fallidos de verificación"],
    }
    assert set(shown) == KIND_KEYS, "say what /mis_datos shows of each kind"
    for kind, parts in shown.items():
        for part in parts:
            assert part in text, f"{kind}: {part!r} not in /mis_datos:\n{text}"


async def test_erase_empties_every_erased_and_unlinked_column(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat = await _citizen_with_everything(services, flow_engine)
    async with services.session_factory() as session:
        contact = await session.scalar(select(Contact).where(Contact.address == CHAT))
        assert contact is not None
        before = await _linked_rows(session, contact.id)
    assert {t for t, _pk in before} >= {
        "contacts",
        "subscriptions",
        "dialogue_answers",
        "cases",
        "outbox",
        "opt_outs",
        "handoffs",
    }

    await chat.say("/borrar_mis_datos")
    await chat.press("si")

    async with services.session_factory() as session:
        for (table_name, pk), _row in before.items():
            table: Table = Base.metadata.tables[table_name]
            row = (await session.execute(select(table).where(_pk_clause(table, pk)))).first()
            if row is None:
                continue  # deleted
            for name, column in PERSONAL_COLUMNS.items():
                t, c = name.split(".")
                if t == table_name and column.fate in (Fate.ERASED, Fate.UNLINKED):
                    assert row._mapping[c] in (None, "", False, {}), f"{name} kept: {row}"


def _pk_clause(table: Table, pk: tuple[Any, ...]) -> Any:
    from sqlalchemy import and_

    return and_(*(col == value for col, value in zip(table.primary_key.columns, pk, strict=True)))


async def _linked_rows(session: Any, contact_id: int) -> dict[tuple[str, tuple[Any, ...]], Any]:
    """Every row of a declared table that holds the citizen's contact id, chat, phone or cédula."""
    values = {CHAT, PHONE, CEDULA}
    found: dict[tuple[str, tuple[Any, ...]], Any] = {}
    for table_name in {name.split(".")[0] for name in PERSONAL_COLUMNS}:
        table: Table = Base.metadata.tables[table_name]
        columns = [n.split(".")[1] for n in PERSONAL_COLUMNS if n.split(".")[0] == table_name]
        for row in (await session.execute(select(table))).all():
            mapping = row._mapping
            pk = tuple(mapping[c.name] for c in table.primary_key.columns)
            points = any(
                mapping[c] == contact_id
                for c in columns
                if any(fk.column.table.name == "contacts" for fk in table.c[c].foreign_keys)
            )
            holds = any(str(mapping[c]) in values for c in columns if mapping[c] is not None)
            if points or holds or (table_name == "contacts" and mapping["id"] == contact_id):
                found[(table_name, pk)] = row
    return found
