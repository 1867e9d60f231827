"""Bad input found by fuzzing or by reading the flows, each pinned by a test."""

from __future__ import annotations

import pytest

from bot.flows.engine import FlowEngine
from bot.handlers.telegram.application import parse_callback
from tests.support.chat import Chat


@pytest.mark.parametrize("text", ["¹", "²³", "①", "٣"])
async def test_unicode_digits_at_a_numbered_choice_never_crash(
    flow_engine: FlowEngine, text: str
) -> None:
    chat = Chat(flow_engine)
    await chat.say("menú")
    replies = await chat.say(text)
    assert replies and not any("tuvimos un problema" in r.text for r in replies)


def test_callback_data_with_a_non_ascii_turn_is_treated_as_malformed() -> None:
    assert parse_callback("¹|pago") == (None, "¹|pago")
    assert parse_callback("12|pago") == (12, "pago")
