"""Translations (gettext catalogs compiled by `pybabel`) and locale-aware formatting (Babel)."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SUPPORTED_LOCALES = ("es_EC", "en")
SOURCE_LOCALE = "es_EC"

DateStyle = Literal["weekday_date_time", "weekday_date_year_time", "day_month", "compact_date_time"]
# Named date shapes for short texts (SMS, notices), one Babel pattern per supported locale: a
# Spanish pattern quotes its "de", which must not leak into English. Literal spaces only (CLDR's
# own patterns put a U+202F before AM/PM, which is not GSM-7 and would make an SMS UCS-2).
DATE_STYLES: dict[DateStyle, dict[str, str]] = {
    # martes 25 de noviembre, 14:05 / Tuesday, November 25, 2:05 PM
    "weekday_date_time": {"es_EC": "EEEE d 'de' MMMM, HH:mm", "en": "EEEE, MMMM d, h:mm a"},
    # martes 25 de noviembre de 2026, 14:05 / Tuesday, November 25, 2026, 2:05 PM
    "weekday_date_year_time": {
        "es_EC": "EEEE d 'de' MMMM 'de' y, HH:mm",
        "en": "EEEE, MMMM d, y, h:mm a",
    },
    # 5 de diciembre / December 5
    "day_month": {"es_EC": "d 'de' MMMM", "en": "MMMM d"},
    # 25/11 14:05 / Nov 25, 2:05 PM
    "compact_date_time": {"es_EC": "d/MM HH:mm", "en": "MMM d, h:mm a"},
}


def normalise_locale(code: str | None) -> str:
    """Maps any language code (e.g. Telegram's 'en-US', 'es') to a supported locale."""
    if not code:
        return SOURCE_LOCALE
    lang = code.replace("-", "_").split("_")[0].lower()
    return "en" if lang == "en" else SOURCE_LOCALE


@cache
def _catalog(locale: str) -> gettext.NullTranslations:
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


@dataclass(frozen=True)
class Translator:
    """Translates Spanish source strings and formats values for one locale."""

    locale: str

    def t(self, message: str, **params: object) -> str:
        """Translates `message` and fills `{name}` parameters."""
        text = _catalog(self.locale).gettext(message)
        return text.format(**params) if params else text

    def tn(self, singular: str, plural: str, n: int, **params: object) -> str:
        """Translates with plural forms; `{n}` is available in the text."""
        text = _catalog(self.locale).ngettext(singular, plural, n)
        return text.format(n=n, **params)

    @property
    def babel_locale(self) -> Locale:
        """The Babel `Locale` for formatting."""
        return Locale.parse(self.locale)

    def date(self, value: date, fmt: str = "full") -> str:
        """Formats a date, e.g. 'jueves, 21 de noviembre de 2024'."""
        return format_date(value, format=fmt, locale=self.locale)

    def datetime(self, value: datetime, fmt: str = "EEEE d 'de' MMMM, HH:mm") -> str:
        """Formats a local datetime; the default pattern suits a short message."""
        if self.locale == "en":
            fmt = "EEEE, MMMM d, h:mm a" if fmt == "EEEE d 'de' MMMM, HH:mm" else fmt
        return format_datetime(value, format=fmt, locale=self.locale, tzinfo=value.tzinfo)

    def pattern(self, style: DateStyle) -> str:
        """The locale's Babel pattern for a named date shape, for `date` or `datetime`."""
        patterns = DATE_STYLES[style]
        return patterns.get(self.locale, patterns[SOURCE_LOCALE])

    def money(self, amount: Decimal | float | int) -> str:
        """Formats US dollars, Ecuador's currency."""
        return _money(amount, self.locale)

    def number(self, value: Decimal | float | int) -> str:
        """Formats a number with the locale's separators."""
        return format_decimal(value, locale=self.locale)


@lru_cache(maxsize=4096)
def _money(amount: Decimal | float | int, locale: str) -> str:
    # Babel parses the locale's currency pattern on every call (≈ 0.1 ms, a third of an
    # eligibility verdict's CPU in the load profile); the programmes' amounts are few.
    return format_currency(amount, "USD", locale=locale)


def translator(locale: str | None) -> Translator:
    """Returns the translator for `locale` (normalised to a supported one)."""
    return Translator(normalise_locale(locale))
