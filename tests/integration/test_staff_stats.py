"""«/estadisticas» counts the payment-status lookups citizens really made."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.services.registry_import import import_registry
from bot.services.staff_queries import district_stats
from bot.storage.models import Canton, Parish
from bot.storage.registry_sample import sample_cedula, sample_row, write_csv
from tests.support.chat import Chat
from tests.support.staff_accounts import make_scope


async def _district_of(services: Services, parish_code: str) -> str:
    async with services.session_factory() as session:
        district = await session.scalar(
            select(Canton.district_code)
            .join(Parish, Parish.canton_code == Canton.code)
            .where(Parish.code == parish_code)
        )
    assert district is not None
    return district


async def _ask_payment(engine: FlowEngine, address: str, n: int, birth_date: str) -> None:
    chat = Chat(engine, address=address)
    await chat.say("/pago")
    await chat.say(sample_cedula(n))
    await chat.say(birth_date)


async def test_payment_lookups_of_a_districts_beneficiaries_show_in_its_statistics(
    services: Services, flow_engine: FlowEngine, tmp_path: Path
) -> None:
    path = tmp_path / "registro.csv"
    write_csv(path, (sample_row(n) for n in range(2)))
    await import_registry(services.engine, path, now=services.clock())
    home = await _district_of(services, sample_row(0)["parish_code"])
    other = await _district_of(services, sample_row(1)["parish_code"])
    assert home != other

    await _ask_payment(flow_engine, "a", 0, "01/01/1950")  # sample_row(0)'s birth date
    await _ask_payment(flow_engine, "b", 0, "02/02/1960")  # a wrong one: still a lookup
    await _ask_payment(flow_engine, "c", 1, "02/02/1951")  # someone of the other district

    admin = await make_scope(services, Role.ADMIN)
    async with services.session_factory() as session, session.begin():
        here = await district_stats(session, admin, home, now=services.clock())
        there = await district_stats(session, admin, other, now=services.clock())
    assert (here.lookups, there.lookups) == (2, 1)
