"""«¿Dónde queda mi oficina?» told truthfully: homonyms asked back, parish-level offices in Quito,
honest answers where no source names an office, the staff office CSV and the data check."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.services.offices_import import import_offices
from bot.services.territory import TerritoryDirectory
from bot.storage.db import create_engine
from bot.storage.models import District
from bot.storage.reference_data import load_reference_data
from tests.support.chat import Chat

CARCELEN = "170120"  # an urban parish of Quito


@pytest.fixture
async def restored(services: Services) -> AsyncIterator[Services]:
    """Undoes staff office edits afterwards (districts are reference data, kept between tests)."""
    yield services
    async with services.session_factory() as session, session.begin():
        await session.execute(
            update(District).values(
                address=None,
                hours=None,
                phone=None,
                services=None,
                checked_on=None,
                staff_edited=False,
            )
        )
        await load_reference_data(session)


async def _reload(services: Services) -> None:
    async with services.session_factory() as session:
        services.territory = await TerritoryDirectory.load(session)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "oficinas.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "code,name,zone_code,address,hours,phone,services,source,checked_on,serves,confidence\n"


async def test_banos_is_asked_back_with_canton_and_province(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("/oficina Baños")
    labels = [o.label for o in chat.last.replies[-1].options]  # type: ignore[union-attr]
    assert "Hay varios lugares con ese nombre" in chat.text
    assert "Baños (Cuenca, Azuay)" in labels
    assert "Baños de Agua Santa (Baños de Agua Santa, Tungurahua)" in labels
    await chat.choose("Tungurahua")
    assert "18D01 – Ambato" in chat.text


async def test_santa_rosa_of_el_oro_is_found_by_adding_the_canton(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("/oficina Santa Rosa")
    assert len(chat.last.replies[-1].options) > 2  # type: ignore[union-attr]
    await chat.say("Santa Rosa, El Oro")
    assert "Su lugar: Santa Rosa (Santa Rosa, El Oro)." in chat.text


def test_cariamanga_is_offered_once(services: Services) -> None:
    match = services.territory.find("Cariamanga")
    assert [p.label for p in match.places] == ["Cariamanga (Calvas, Loja)"]


async def test_a_parish_with_no_known_office_gets_its_zone_and_the_call_centre(
    flow_engine: FlowEngine,
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/oficina Catamayo")  # Loja has two offices; no source says which serves it
    assert "Todavía no sabemos qué oficina atiende a su lugar." in chat.text
    assert "Zona Planificación 7" in chat.text
    assert "1800-002-002" in chat.text
    assert "Dirección Distrital" not in chat.text


async def test_a_quito_parish_is_not_sent_to_a_guessed_office(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("/oficina Carcelén")
    assert "Todavía no sabemos qué oficina atiende a su lugar." in chat.text
    for office in ("17D02 Quito Norte", "17D05 Quito Centro", "17D08 Quito Sur"):
        assert office in chat.text
    assert "17D11" not in chat.text  # Rumiñahui serves its own canton, not Quito
    assert "Zona Planificación Quito" in chat.text


async def test_a_quito_parish_is_answered_with_its_own_office_once_staff_import_it(
    restored: Services, flow_engine: FlowEngine, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        HEADER + f"17D02,,,Av. Ejemplo N1-23 y Calle B,Lunes a viernes 08:00-16:30,02 000 0000,"
        f"Balcón de Servicios; BDH,Directorio LOTAIP,2026-11-01,{CARCELEN},V\n",
    )
    engine = create_engine(restored.settings.database_url)
    summary = await import_offices(engine, path, now=restored.clock())
    await engine.dispose()
    assert (summary.rows_changed, summary.rows_failed) == (1, 0)
    await _reload(restored)
    chat = Chat(flow_engine)
    await chat.say("/oficina Carcelén")
    assert "Le atiende la Dirección Distrital 17D02 – Quito Norte." in chat.text
    assert "Dirección: Av. Ejemplo N1-23 y Calle B" in chat.text
    assert "Horario: Lunes a viernes 08:00-16:30" in chat.text
    assert "no está confirmado" not in chat.text
    await chat.say("/oficina Chillogallo")  # still unmapped: still honest
    assert "Todavía no sabemos" in chat.text


async def test_the_office_csv_reports_each_broken_row_by_its_line(
    restored: Services, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        HEADER + '11D06,,,"Calle Principal\ny Bolívar",08:00-16:30,07 268 0000,,Directorio LOTAIP,'
        "2026-11-01,,\n"  # lines 2-3: an address on two lines is valid
        + "99X01,,,,,,,fuente,2026-11-01,,\n"  # line 4: bad code
        + "11D01,,,,,abc,,fuente,2030-01-01,,\n"  # line 5: bad phone and a future date
        + "11D01,,,,,,,,2026-11-01,999999,V\n"  # line 6: no source, unknown parish
        + "11D01,,,,,,,fuente,2026-11-01\n"  # line 7: too few columns
        + "11D06,,,,,,,fuente,2026-11-01,,\n"  # line 8: repeated office
        + '11D01,,,"unterminated,,,fuente,2026-11-01,,\n01D01,,,,,,,f,2026-11-01,,\n',
    )
    engine = create_engine(restored.settings.database_url)
    summary = await import_offices(engine, path, now=restored.clock())
    again = await import_offices(engine, path, now=restored.clock())
    await engine.dispose()
    errors = sorted((e.line, e.column) for e in summary.errors)
    assert errors == [
        (4, "code"),
        (5, "checked_on"),
        (5, "phone"),
        (6, "serves"),
        (6, "source"),
        (7, "-"),
        (8, "code"),
        (9, "-"),
    ]
    assert "línea 10" in next(e.reason for e in summary.errors if e.line == 9)
    assert (summary.rows_valid, summary.rows_changed) == (1, 1)
    assert (again.rows_valid, again.rows_changed) == (1, 0)  # re-import is a no-op
    await _reload(restored)
    office = restored.territory.office("11D06")
    assert office is not None and office.address == "Calle Principal\ny Bolívar"


async def test_dry_run_changes_nothing(restored: Services, tmp_path: Path) -> None:
    path = _csv(tmp_path, HEADER + "11D06,,,Calle 1,,,,fuente,2026-11-01,,\n")
    engine = create_engine(restored.settings.database_url)
    summary = await import_offices(engine, path, now=restored.clock(), dry_run=True)
    await engine.dispose()
    await _reload(restored)
    office = restored.territory.office("11D06")
    assert summary.rows_changed == 1 and office is not None and office.address is None


def test_the_data_check_prints_the_coverage(database_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "data", "check"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Parroquias con oficina conocida: 813 de 1259 (65 %)" in out
    assert "Parroquias con dirección de su oficina: 0 de 1259" in out
    assert "reciben su coordinación zonal y la línea gratuita: 446" in out
    assert "Programas con fuente:" in out
    assert "Motivos de pago con fuente pública: 35 de 39 (90 %) · sin confirmar (U): 4" in out
    assert "Datos aún sin confirmar" in out
