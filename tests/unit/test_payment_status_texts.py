"""Payment-status texts cover every status and reason, each with steps, source, date and confidence.

Also: the suspension ladder is in seed 003's order, collection days follow the cédula's digit only
as an orientation, and a file with a missing reason or an unknown source is rejected.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.domain.payment_status import (
    DATA_DIR,
    collection_days,
    explain,
    load_texts,
    parse_texts,
    reason_coverage,
)
from bot.domain.registry import REASON_CODES, PaymentStatus


def test_every_status_and_reason_has_an_explanation_and_what_to_do() -> None:
    for status, codes in REASON_CODES.items():
        for code in (None, *codes):
            explanation = explain(status.value, code)
            assert explanation.title and explanation.steps
            if code is not None:
                assert explanation.reason


def test_every_entry_names_a_known_source_a_date_and_a_confidence() -> None:
    texts = load_texts()
    entries = [*texts.statuses.values(), *texts.reasons.values(), texts.collection_days]
    for entry in entries:
        assert texts.source_title(entry.source)
        assert entry.as_of.year >= 2017
        assert entry.tag in "VPDU"


def test_suspension_names_the_missing_condition() -> None:
    assert explain("suspendido", "corresp_matricula").condition == (
        "la matrícula escolar de los hijos de 5 a 17 años"
    )


@pytest.mark.parametrize("code", REASON_CODES[PaymentStatus.SUSPENDED])
def test_every_suspension_puts_the_missing_condition_before_the_justification_and_the_session(
    code: str,
) -> None:
    steps = explain("suspendido", code).steps
    first = next(i for i, s in enumerate(steps) if s.startswith("Primero"))
    justify = next(i for i, s in enumerate(steps) if "justificar" in s)
    session = next(i for i, s in enumerate(steps) if "sesión de sensibilización" in s)
    not_alone = next(i for i, s in enumerate(steps) if "sesión sola no devuelve" in s)
    assert first == 0 < justify < session < not_alone


def test_a_reason_of_another_status_is_not_explained() -> None:
    assert explain("activo", "corresp_matricula").reason is None


def test_unsourced_reasons_are_flagged_and_counted() -> None:
    assert explain("retenido", "credito_cdh").unconfirmed
    assert not explain("activo", "monto_hijo_cumplio_5").unconfirmed
    coverage = reason_coverage(load_texts())
    assert "credito_cdh" in coverage.unconfirmed
    assert coverage.sourced + len(coverage.unconfirmed) == coverage.reasons


def test_a_file_missing_a_reason_is_rejected() -> None:
    text = (DATA_DIR / "payment_status.toml").read_text("utf-8")
    broken = text.replace("[reasons.feriado]", "[reasons.otro_motivo]")
    with pytest.raises(ValidationError, match="unknown reason codes"):
        parse_texts(broken)


def test_a_file_citing_an_unknown_source_is_rejected() -> None:
    text = (DATA_DIR / "payment_status.toml").read_text("utf-8")
    broken = text.replace('source = "DE253"', 'source = "DE999"', 1)
    with pytest.raises(ValidationError, match="unknown source"):
        parse_texts(broken)


@pytest.mark.parametrize(
    ("digit", "days"),
    [(0, (10, 20, 30)), (1, (1, 11, 21, 31)), (5, (5, 15, 25)), (9, (9, 19, 29))],
)
def test_collection_days_follow_the_last_digit(digit: int, days: tuple[int, ...]) -> None:
    assert collection_days(digit) == days


def test_all_statuses_are_known() -> None:
    assert set(load_texts().statuses) == set(PaymentStatus)
