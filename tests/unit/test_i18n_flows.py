"""Every flow speaks English to an English-speaking user: no Spanish text leaks through.

Complements the catalog test (which sees only msgids the extractor finds): here each flow is
started by its commands in English, its first options are pressed and a bad answer is typed, and
the replies must not contain the Spanish words of the bot's own texts. Data (parish names, event
titles, programme names) may stay in Spanish.
"""

from __future__ import annotations

import re

import pytest

from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.services.container import Services
from bot.storage.demo_data import load_demo_data
from tests.support.chat import Chat

SPANISH = re.compile(
    r"[¿¡]|\b(usted|Elija|Escriba|Listo|Responda|Disculpe|puede|su|sus|por favor|aquí)\b",
    re.IGNORECASE,
)
COMMANDS = sorted({command for flow in build_flows() for command in flow.commands})


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


def _check(chat: Chat, what: str) -> None:
    assert chat.last is not None and chat.last.replies, f"{what}: no reply"
    for reply in chat.last.replies:
        texts = [reply.text, *(option.label for option in reply.options)]
        for text in texts:
            leaked = SPANISH.findall(text)
            assert not leaked, f"{what}: Spanish {leaked} in an English reply:\n{text}"


@pytest.mark.parametrize("command", COMMANDS)
async def test_each_command_answers_in_english(flow_engine: FlowEngine, command: str) -> None:
    chat = Chat(flow_engine, address=f"en-{command}", locale="en")
    await chat.say(command)
    _check(chat, command)
    first = chat.last.replies[-1].options if chat.last else ()
    for option in first:
        if option.key == "es_EC":  # /idioma → Español rightly answers in Spanish
            continue
        chat_option = Chat(flow_engine, address=f"en-{command}-{option.key}", locale="en")
        await chat_option.say(command)
        await chat_option.press(option.key)
        _check(chat_option, f"{command} → {option.label}")
    if command == "/persona":
        return  # handed to a person: the next message goes to the inbox and the bot is quiet
    await chat.say("zzz 999 %%%")
    _check(chat, f"{command} then nonsense")
