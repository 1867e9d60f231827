"""Cédula and phone validation give the specific Spanish reason for each failure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import InvalidCedula, InvalidPhone
from bot.domain.identity import complete_cedula, parse_cedula, parse_phone


def test_valid_cedula_is_accepted_with_separators() -> None:
    assert parse_cedula("171430710-3").value == "1714307103"


@pytest.mark.parametrize(
    ("raw", "reason", "fragment"),
    [
        ("", "empty", "10 dígitos"),
        ("17143A7103", "format", "solo lleva números"),
        ("11¹0000000", "format", "solo lleva números"),
        ("171430710", "length", "usted escribió 9"),
        ("9914307103", "province", "99 no corresponde"),
        ("1784307103", "type", "tercer dígito"),
        ("1714307104", "checksum", "dígito verificador"),
    ],
)
def test_invalid_cedula_names_its_reason(raw: str, reason: str, fragment: str) -> None:
    with pytest.raises(InvalidCedula) as caught:
        parse_cedula(raw)
    assert caught.value.reason == reason
    assert fragment in caught.value.message


@given(st.from_regex(r"(0[1-9]|1[0-9]|2[0-4])[0-5][0-9]{6}", fullmatch=True))
def test_completed_cedulas_always_validate(first_nine: str) -> None:
    assert parse_cedula(complete_cedula(first_nine)).value.startswith(first_nine)


@given(st.text(max_size=40))
def test_cedula_parser_only_raises_invalid_cedula(raw: str) -> None:
    try:
        parse_cedula(raw)
    except InvalidCedula as error:
        assert error.message


def test_mobile_phone_becomes_e164() -> None:
    assert parse_phone("099 123 4567", require_mobile=True).e164 == "+593991234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("", "empty"), ("09912a4567", "format"), ("0991", "invalid"), ("072345678", "not_mobile")],
)
def test_invalid_phone_names_its_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        parse_phone(raw, require_mobile=True)
    assert caught.value.reason == reason


def test_masked_values_hide_personal_digits() -> None:
    assert parse_cedula("1714307103").masked == "*******103"
    assert "1234" not in parse_phone("0991234567").masked


def test_registry_mobile_fast_path_agrees_with_parse_phone() -> None:
    from bot.domain.errors import InvalidPhone
    from bot.domain.registry_rows import mobile_e164

    for raw in (
        "0991234567",
        "+593991234567",
        "593981234567",
        "0964012345",
        "0964312345",
        "0912345678",
        "0721234567",
        "09912345",
        "+5939912345678",
    ):
        try:
            expected: str | None = parse_phone(raw, require_mobile=True).e164
        except InvalidPhone:
            expected = None
        try:
            got: str | None = mobile_e164(raw)
        except InvalidPhone:
            got = None
        assert got == expected, raw
