"""Payment-status texts cover every status and reason; collection days by the cédula's digit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.domain.payment_status import (
    DATA_DIR,
    collection_days,
    explain,
    load_texts,
    parse_texts,
)
from bot.domain.registry import REASON_CODES, PaymentStatus


def test_every_status_and_reason_has_an_explanation_and_what_to_do() -> None:
    load_texts()
    for status, codes in REASON_CODES.items():
        for code in (None, *codes):
            explanation = explain(status.value, code)
            assert explanation.title and explanation.what_to_do
            if code is not None:
                assert explanation.reason


def test_suspension_names_the_missing_condition() -> None:
    assert explain("suspendido", "corresp_matricula").condition == (
        "la matrícula escolar de los hijos de 5 a 17 años"
    )


def test_a_file_missing_a_reason_is_rejected() -> None:
    text = (DATA_DIR / "payment_status.toml").read_text("utf-8")
    broken = text.replace("[reasons.feriado]", "[reasons.otro_motivo]")
    with pytest.raises(ValidationError, match="unknown reason codes"):
        parse_texts(broken)


@pytest.mark.parametrize(
    ("digit", "days"),
    [(0, (10, 20, 30)), (1, (1, 11, 21, 31)), (5, (5, 15, 25)), (9, (9, 19, 29))],
)
def test_collection_days_follow_the_last_digit(digit: int, days: tuple[int, ...]) -> None:
    assert collection_days(digit) == days


def test_all_statuses_are_known() -> None:
    assert set(load_texts().statuses) == set(PaymentStatus)
