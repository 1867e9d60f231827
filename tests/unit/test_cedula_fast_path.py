"""The registry import's fast cédula check agrees with `parse_cedula` on every input."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.errors import InvalidCedula
from bot.domain.identity import parse_cedula
from bot.domain.registry_rows import cedula_value
from bot.storage.registry_sample import sample_cedula


def _outcome(check: object, raw: str) -> tuple[str, str]:
    try:
        return "ok", check(raw)  # type: ignore[operator]
    except InvalidCedula as error:
        return "error", error.reason


def _stdnum(raw: str) -> str:
    return parse_cedula(raw).value


ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
near_valid = st.builds(
    lambda province, third, rest: f"{province:02d}{third}{rest}",
    st.integers(0, 99),
    st.integers(0, 9),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)
anything = st.text(alphabet=st.characters(codec="utf-8"), max_size=14)


@settings(max_examples=3000)
@given(st.one_of(ten_digits, near_valid, anything))
@example("1714307103")
@example("1714307104")
@example("3014307103")
@example("2514307103")
@example("1764307103")
@example("17-1430710-3")
@example("١٧١٤٣٠٧١٠٣")  # Arabic-Indic digits: not a cédula
def test_fast_cedula_check_equals_parse_cedula(raw: str) -> None:
    assert _outcome(cedula_value, raw) == _outcome(_stdnum, raw)


def test_fast_cedula_check_accepts_every_generated_registry_cedula() -> None:
    for n in range(2000):
        assert cedula_value(sample_cedula(n)) == parse_cedula(sample_cedula(n)).value
