"""Reference data: counts, the seed's district totals and forgiving place lookup."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from bot.services.container import Services
from bot.storage.models import Canton, District, Zone
from bot.storage.reference_data import DATA_DIR, count_reference_data, load_reference_data


async def test_reference_counts_are_ecuadors(services: Services) -> None:
    async with services.session_factory() as session:
        counts = await count_reference_data(session)
    assert (counts.provinces, counts.cantons, counts.parishes) == (24, 221, 1259)
    assert (counts.zones, counts.districts) == (9, 40)


async def test_loading_twice_changes_nothing(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        before = await count_reference_data(session)
        after = await load_reference_data(session)
    assert before == after


async def test_district_households_reproduce_the_seed_total(services: Services) -> None:
    async with services.session_factory() as session:
        total = await session.scalar(select(func.sum(District.af_households)))
        zone_count = await session.scalar(select(func.count()).select_from(Zone))
    assert total == 74004
    assert zone_count == 9
    zones = {
        r["code"]: int(r["af_households"]) for r in csv.DictReader((DATA_DIR / "zones.csv").open())
    }
    async with services.session_factory() as session:
        for code, expected in zones.items():
            got = await session.scalar(
                select(func.sum(District.af_households)).where(District.zone_code == code)
            )
            assert got == expected, code


async def test_sozoranga_is_served_by_calvas(services: Services) -> None:
    async with services.session_factory() as session:
        canton = await session.get(Canton, "1112")
    assert canton is not None and canton.district_code == "11D06"


@pytest.mark.parametrize("typed", ["tacamoros", "TACAMOROS", "Tacamóros", "  tacamoros "])
def test_parish_lookup_ignores_accents_and_case(services: Services, typed: str) -> None:
    match = services.territory.find(typed)
    assert [p.code for p in match.places] == ["111252"]


@pytest.mark.parametrize("typed", ["SOZORANGA", "Sozoránga", "sozoranga"])
def test_canton_lookup_ignores_accents_and_case(services: Services, typed: str) -> None:
    match = services.territory.find(typed, kinds=("canton",))
    assert [p.code for p in match.places] == ["1112"]


def test_typo_still_finds_the_parish(services: Services) -> None:
    match = services.territory.find("tacamoro")
    assert "111252" in [p.code for p in (*match.places, *match.suggestions)]


def test_unknown_name_offers_nearest_names_not_a_match(services: Services) -> None:
    match = services.territory.find("Tacamorosxyzw")
    assert match.places == () or match.places[0].code == "111252"
    nothing = services.territory.find("qqqqqqq")
    assert nothing.places == ()
