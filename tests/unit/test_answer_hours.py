"""The inbox's hours: a citizen outside them is told when a person will be there."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.answer_hours import AnswerHours

GYE = ZoneInfo("America/Guayaquil")
HOURS = AnswerHours.parse("Lun-Vie 08:00-16:30")


def test_open_on_a_weekday_morning() -> None:
    tuesday = datetime(2026, 12, 1, 9, 15, tzinfo=GYE)
    assert HOURS.is_open(tuesday)
    assert HOURS.next_opening(tuesday) == tuesday


def test_friday_evening_waits_for_monday_morning() -> None:
    friday = datetime(2026, 12, 4, 18, 0, tzinfo=GYE)
    assert not HOURS.is_open(friday)
    assert HOURS.next_opening(friday) == datetime(2026, 12, 7, 8, 0, tzinfo=GYE)


def test_before_opening_waits_for_the_same_day() -> None:
    early = datetime(2026, 12, 2, 6, 30, tzinfo=GYE)
    assert HOURS.next_opening(early) == datetime(2026, 12, 2, 8, 0, tzinfo=GYE)


def test_closing_time_itself_is_closed() -> None:
    assert not HOURS.is_open(datetime(2026, 12, 2, 16, 30, tzinfo=GYE))


@pytest.mark.parametrize("spec", ["", "lunes a viernes", "lun-vie 17:00-08:00", "xyz 08:00-10:00"])
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        AnswerHours.parse(spec)


def test_one_day_and_a_wrapping_week() -> None:
    assert AnswerHours.parse("sab 09:00-12:00").days == frozenset({5})
    assert AnswerHours.parse("vie-lun 09:00-12:00").days == frozenset({4, 5, 6, 0})
