"""Citizens asking about a programme in their own words reach its information answer."""

from __future__ import annotations

import pytest

from bot.flows.intents import match_intent
from bot.flows.registry import build_flows


@pytest.mark.parametrize(
    ("message", "flow"),
    [
        ("estoy embarazada, hay bono?", "programa_b1000"),
        ("Bono 1000 días", "programa_b1000"),
        ("I am pregnant, is there a bonus?", "programa_b1000"),
        ("se quemó mi casa", "programa_cc"),
        ("hubo un incendio en mi casa", "programa_cc"),
        ("crédito de desarrollo humano", "programa_cdh"),
        ("quiero un adelanto del bono", "programa_cdh"),
        ("mataron a mi hija, hay bono para mis nietos por femicidio", "programa_bof"),
        ("quiero el bono para mi mamá", "califico"),
    ],
)
def test_a_question_about_a_programme_reaches_its_answer(message: str, flow: str) -> None:
    assert match_intent(message, build_flows()) == flow
