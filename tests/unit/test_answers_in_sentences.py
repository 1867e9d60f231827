"""Answers inside sentences: numbers, yes/no, dates, places, greetings and case numbers as
citizens write them (bot/domain)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.case_reference import case_reference
from bot.domain.dates import InvalidDate, looks_like_date, parse_birth_date
from bot.domain.greetings import is_goodbye, split_greeting
from bot.domain.numbers_in_text import AGE_UNITS, PERCENT_UNITS, find_number, read_number
from bot.domain.place_text import PlaceReading, place_readings
from bot.domain.yes_no import YesNo, read_yes_no

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("text", "units", "expected"),
    [
        ("72 añitos", AGE_UNITS, 72),
        ("tiene 80", AGE_UNITS, 80),
        ("mi mamá tiene 80 años", AGE_UNITS, 80),
        ("el 45 por ciento", PERCENT_UNITS, 45),
        ("45%", PERCENT_UNITS, 45),
        ("dice 65 % en el carnet", PERCENT_UNITS, 65),
        ("setenta y dos", AGE_UNITS, 72),
        ("tengo 3 hijos y 72 años", AGE_UNITS, 72),
        ("una hija de 8", AGE_UNITS, 8),
        ("tiene ochenta y cinco años", AGE_UNITS, 85),
        ("cien", AGE_UNITS, 100),
        ("no se", AGE_UNITS, None),
        ("una", AGE_UNITS, None),
    ],
)
def test_a_number_is_read_with_the_words_around_it(
    text: str, units: tuple[str, ...], expected: int | None
) -> None:
    assert find_number(text, units) == expected


@given(
    st.integers(min_value=0, max_value=130),
    st.sampled_from(["tiene {n}", "{n} años", "{n} añitos", "como {n} anos", "ya tiene {n}"]),
)
def test_any_age_written_with_words_reads_back(value: int, template: str) -> None:
    assert find_number(template.format(n=value), AGE_UNITS) == value


def test_a_value_out_of_range_is_read_and_marked_for_confirmation() -> None:
    reading = read_number("tiene 150 años", low=0, high=120, units=AGE_UNITS)
    assert reading is not None and reading.value == 150 and not reading.in_range
    assert read_number("72", low=0, high=120) == read_number("72 años", low=0, high=120)


@pytest.mark.parametrize(
    "text",
    ["si", "sí", "Sí.", "SI", "siii", "claro", "ya", "simon", "dale", "sí, tiene carnet", "ari"],
)
def test_everyday_yes(text: str) -> None:
    assert read_yes_no(text) is YesNo.YES


@pytest.mark.parametrize("text", ["no", "No.", "nop", "nel", "claro que no", "para nada", "nooo"])
def test_everyday_no(text: str) -> None:
    assert read_yes_no(text) is YesNo.NO


@pytest.mark.parametrize("text", ["no sé", "nose", "ni idea", "no me acuerdo", "tal vez"])
def test_everyday_dont_know(text: str) -> None:
    assert read_yes_no(text) is YesNo.UNKNOWN


@pytest.mark.parametrize("text", ["donde queda la oficina", "Tacamoros", "", "1100000015"])
def test_what_is_not_a_yes_or_no_is_none(text: str) -> None:
    assert read_yes_no(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "14 de marzo del 88",
        "14-3-1988",
        "14/03/88",
        "14/03/1988",
        "14.03.1988",
        "14 03 1988",
        "14 marzo 1988",
        "nací el 14 de marzo de 1988",
        "marzo 14 de 1988",
        "14 de mar. de 1988",
    ],
)
def test_birth_dates_in_the_forms_people_write(text: str) -> None:
    assert looks_like_date(text)
    assert parse_birth_date(text, TODAY) == date(1988, 3, 14)


@given(st.dates(min_value=date(1910, 1, 1), max_value=TODAY))
def test_every_date_written_day_month_year_reads_back(value: date) -> None:
    assert parse_birth_date(f"{value.day}/{value.month}/{value.year}", TODAY) == value
    assert parse_birth_date(f"{value.day:02d}-{value.month:02d}-{value.year}", TODAY) == value


def test_a_two_digit_year_is_the_latest_one_not_in_the_future() -> None:
    assert parse_birth_date("01/01/05", TODAY) == date(2005, 1, 1)
    assert parse_birth_date("01/01/27", TODAY) == date(1927, 1, 1)


@pytest.mark.parametrize("text", ["31/02/1980", "14/13/1988", "01/01/2030"])
def test_impossible_birth_dates_are_explained(text: str) -> None:
    with pytest.raises(InvalidDate):
        parse_birth_date(text, TODAY)


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("Tacamoros Sozoranga", PlaceReading("tacamoros", "sozoranga")),
        ("San José de Chambo", PlaceReading("san jose", "chambo")),
        ("vivo en Tacamoros, cantón Sozoranga", PlaceReading("tacamoros", "sozoranga")),
        ("Tacamoros (Sozoranga)", PlaceReading("tacamoros", "sozoranga")),
        ("la parroquia Tacamoros del cantón Sozoranga", PlaceReading("tacamoros", "sozoranga")),
    ],
)
def test_a_parish_with_its_canton_after_it(text: str, reading: PlaceReading) -> None:
    assert reading in place_readings(text)


def test_the_whole_name_is_tried_first() -> None:
    assert place_readings("San José de Chambo")[0] == PlaceReading("san jose de chambo")


@pytest.mark.parametrize(
    ("text", "rest", "kichwa"),
    [
        ("hola buenas tardes, no me llegó el bono", "no me llegó el bono", False),
        ("Buenas mija q paso con mi pago", "q paso con mi pago", False),
        ("alli puncha mashi, imanalla", "", True),
        ("Hola 👋", "", False),
        ("hello, when do I get paid?", "when do I get paid?", False),
    ],
)
def test_a_greeting_is_split_from_the_question(text: str, rest: str, kichwa: bool) -> None:
    greeting = split_greeting(text)
    assert greeting is not None
    assert (greeting.rest, greeting.kichwa) == (rest, kichwa)


@pytest.mark.parametrize("text", ["holanda", "no me llego el bono", "ola de frio"])
def test_words_that_only_look_like_greetings(text: str) -> None:
    greeting = split_greeting(text)
    assert greeting is None or greeting.rest


def test_goodbye_or_thanks() -> None:
    assert is_goodbye("chao gracias") and is_goodbye("hasta luego mija")
    assert not is_goodbye("muchas gracias") and not is_goodbye("ok")


@pytest.mark.parametrize(
    ("text", "serial", "number"),
    [
        ("mi caso 123", 123, None),
        ("caso 11D06-2026-00042", 42, "11D06-2026-00042"),
        ("como va el caso nac-2026-7", 7, "NAC-2026-00007"),
        ("tengo el caso 00042", 42, None),
    ],
)
def test_a_case_named_in_a_message(text: str, serial: int, number: str | None) -> None:
    reference = case_reference(text)
    assert reference is not None and (reference.serial, reference.number) == (serial, number)


def test_no_number_no_case() -> None:
    assert case_reference("como va mi caso") is None
