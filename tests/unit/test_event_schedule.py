"""Event dates, times and reminder offsets as staff type them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.event_schedule import (
    InvalidEventTime,
    InvalidOffsets,
    kind_from_text,
    parse_event_start,
    parse_offsets,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 10:00 in Guayaquil, 09:00 in Galápagos
MAINLAND = ZoneInfo("America/Guayaquil")
GALAPAGOS = ZoneInfo("Pacific/Galapagos")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/12/2026 10:00", datetime(2026, 12, 15, 15, 0, tzinfo=UTC)),
        ("15-12-2026 10h30", datetime(2026, 12, 15, 15, 30, tzinfo=UTC)),
        ("2026-12-15 09:05", datetime(2026, 12, 15, 14, 5, tzinfo=UTC)),
        ("15/12/26 3 pm", datetime(2026, 12, 15, 20, 0, tzinfo=UTC)),
        ("15/12/2026 a las 8:00", datetime(2026, 12, 15, 13, 0, tzinfo=UTC)),
        ("mañana 9:30", datetime(2026, 11, 21, 14, 30, tzinfo=UTC)),
        ("Pasado mañana 18:00", datetime(2026, 11, 22, 23, 0, tzinfo=UTC)),
        ("hoy 16:00", datetime(2026, 11, 20, 21, 0, tzinfo=UTC)),
    ],
)
def test_event_start_is_read_in_local_time(text: str, expected: datetime) -> None:
    assert parse_event_start(text, NOW, MAINLAND) == expected


def test_galapagos_is_an_hour_behind_the_mainland() -> None:
    mainland = parse_event_start("15/12/2026 10:00", NOW, MAINLAND)
    islands = parse_event_start("15/12/2026 10:00", NOW, GALAPAGOS)
    assert (islands - mainland).total_seconds() == 3600


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("31/02/2027 10:00", "no existe: ese mes tiene 28 días"),
        ("29/02/2027 10:00", "ese mes tiene 28 días"),
        ("10/13/2027 10:00", "El mes va de 1 a 12"),
        ("ayer", "ya pasó"),
        ("ayer 10:00", "ya pasó"),
        ("19/11/2026 10:00", "ya pasó"),
        ("hoy 09:00", "ya pasó"),
        ("15/12/2026", "Falta la hora"),
        ("15/12/2026 25:00", "va de 00:00 a 23:59"),
        ("15/12/2026 10:75", "va de 00:00 a 23:59"),
        ("15/12/2026 a media tarde", "No entendí la hora"),
        ("el próximo jueves", "No entendí la fecha"),
        ("", "No entendí la fecha"),
        ("15/12/2030 10:00", "más de un año"),
    ],
)
def test_bad_event_dates_get_their_own_message(text: str, words: str) -> None:
    with pytest.raises(InvalidEventTime) as error:
        parse_event_start(text, NOW, MAINLAND)
    assert words in error.value.message


def test_a_leap_day_is_a_real_date() -> None:
    assert parse_event_start("29/02/2028 10:00", datetime(2027, 6, 1, tzinfo=UTC), MAINLAND)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("7 días, 1 día", (10080, 1440)),
        ("3d 2h", (4320, 120)),
        ("7, 1", (10080, 1440)),
        ("1 semana y 30 minutos", (10080, 30)),
        ("2 horas; 2 horas", (120,)),
    ],
)
def test_reminder_offsets_are_read_in_minutes(text: str, minutes: tuple[int, ...]) -> None:
    assert parse_offsets(text) == minutes


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Escriba cuándo avisar"),
        ("pronto", "No entendí «pronto»"),
        ("0 horas", "antes del evento"),
        ("45 días", "hasta 30 días"),
        ("1,2,3,4,5,6", "demasiados"),
    ],
)
def test_bad_reminder_offsets_are_explained(text: str, words: str) -> None:
    with pytest.raises(InvalidOffsets) as error:
        parse_offsets(text)
    assert words in error.value.message


def test_event_kinds_are_recognised_from_free_text() -> None:
    assert kind_from_text("Feria") == "feria"
    assert kind_from_text("brigada") == "brigada_social"
    assert kind_from_text("diálogo ciudadano") == "dialogo_ciudadano"
    assert kind_from_text("concierto") is None
