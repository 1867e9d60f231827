"""Babel formats dates, money and numbers for the chosen locale; language codes are normalised."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import (
    DATE_STYLES,
    SOURCE_LOCALE,
    SUPPORTED_LOCALES,
    Translator,
    normalise_locale,
    translator,
)

GUAYAQUIL = ZoneInfo("America/Guayaquil")


def _spaces(text: str) -> str:
    """CLDR uses no-break spaces in some patterns; compare them as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("EN", "en"),
        ("es", "es_EC"),
        ("es-419", "es_EC"),
        ("es_EC", "es_EC"),
        ("pt-BR", "es_EC"),
        ("", "es_EC"),
        (None, "es_EC"),
    ],
)
def test_language_codes_map_to_a_supported_locale(code: str | None, expected: str) -> None:
    assert normalise_locale(code) == expected
    assert translator(code).locale == expected


def test_money_is_us_dollars_in_each_locale() -> None:
    assert Translator("en").money(Decimal("1234.5")) == "$1,234.50"
    assert _spaces(Translator("es_EC").money(Decimal("1234.5"))) == "$1.234,50"
    assert Translator("en").money(55) == "$55.00"


def test_numbers_use_the_locale_separators() -> None:
    assert Translator("en").number(Decimal("29.77")) == "29.77"
    assert Translator("es_EC").number(Decimal("29.77")) == "29,77"
    assert Translator("en").number(1234567) == "1,234,567"
    assert Translator("es_EC").number(1234567) == "1.234.567"


def test_dates_are_written_in_the_locale() -> None:
    day = date(2025, 8, 1)
    assert Translator("en").date(day) == "Friday, August 1, 2025"
    assert Translator("es_EC").date(day) == "viernes, 1 de agosto de 2025"
    assert Translator("en").date(day, "long") == "August 1, 2025"
    assert Translator("es_EC").date(day, "long") == "1 de agosto de 2025"


def test_local_times_of_events_are_written_in_the_locale() -> None:
    moment = datetime(2025, 11, 25, 14, 5, tzinfo=GUAYAQUIL)
    assert _spaces(Translator("en").datetime(moment)) == "Tuesday, November 25, 2:05 PM"
    assert Translator("es_EC").datetime(moment) == "martes 25 de noviembre, 14:05"


def test_english_texts_come_from_the_compiled_catalog_and_keep_their_parameters() -> None:
    english = Translator("en")
    assert english.t("Su pago está activo.") == "Your payment is active."
    assert english.t("Monto: {amount} al mes.", amount=english.money(100)) == (
        "Amount: $100.00 a month."
    )
    spanish = Translator(SOURCE_LOCALE)
    assert spanish.t("Monto: {amount} al mes.", amount=spanish.money(100)) == (
        "Monto: $100,00 al mes."
    )


def test_an_unknown_msgid_falls_back_to_the_spanish_source() -> None:
    assert Translator("en").t("Texto sin traducir {x}", x=1) == "Texto sin traducir 1"


def test_every_date_style_has_a_pattern_for_every_supported_locale() -> None:
    for style, patterns in DATE_STYLES.items():
        assert set(patterns) == set(SUPPORTED_LOCALES), style


def test_date_styles_keep_the_spanish_texts_and_drop_the_spanish_de_in_english() -> None:
    moment = datetime(2025, 11, 25, 14, 5, tzinfo=GUAYAQUIL)
    spanish, english = Translator("es_EC"), Translator("en")

    assert spanish.datetime(moment, spanish.pattern("weekday_date_time")) == (
        "martes 25 de noviembre, 14:05"
    )
    assert spanish.date(moment.date(), spanish.pattern("day_month")) == "25 de noviembre"
    assert spanish.datetime(moment, spanish.pattern("compact_date_time")) == "25/11 14:05"
    # Plain spaces, not CLDR's U+202F before PM: the texts stay GSM-7 when sent by SMS.
    assert english.datetime(moment, english.pattern("weekday_date_time")) == (
        "Tuesday, November 25, 2:05 PM"
    )
    assert english.date(moment.date(), english.pattern("day_month")) == "November 25"
    assert english.datetime(moment, english.pattern("compact_date_time")) == "Nov 25, 2:05 PM"
    assert spanish.datetime(moment, spanish.pattern("weekday_date_year_time")) == (
        "martes 25 de noviembre de 2025, 14:05"
    )
    assert english.datetime(moment, english.pattern("weekday_date_year_time")) == (
        "Tuesday, November 25, 2025, 2:05 PM"
    )


def test_money_is_formatted_per_locale_and_remembered() -> None:
    from bot.i18n import _money

    _money.cache_clear()
    spanish, english = Translator("es_EC"), Translator("en")
    assert [spanish.money(Decimal("104")), english.money(Decimal("104"))] == ["$104,00", "$104.00"]
    assert spanish.money(Decimal("104")) == "$104,00"
    assert _money.cache_info().hits == 1  # the second Spanish one came from the cache
