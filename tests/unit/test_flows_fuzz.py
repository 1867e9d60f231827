"""Random text, unicode, media and button data at every step of every flow: always a reply."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Settings
from bot.domain.identity import complete_cedula
from bot.flows.base import Incoming
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.runtime.composition import build_services
from bot.storage.conversation_retention import HELD
from bot.storage.demo_data import load_demo_data
from bot.storage.models import Conversation
from tests.support.clock import FakeClock
from tests.support.database import fresh_database

CEDULA = complete_cedula("110000001")
# Input scripts that reach each step of each flow: ("say", text) or ("press", option key).
PATHS: list[list[tuple[str, str]]] = [
    [],
    [("say", "hola")],
    [("say", "/califico")],
    [("say", "/califico"), ("say", "40")],
    [("say", "/califico"), ("say", "40"), ("press", "extrema_pobreza")],
    [("say", "/califico"), ("say", "40"), ("press", "extrema_pobreza"), ("press", "ninguna")],
    [("say", "/califico"), ("say", "40"), ("say", "20"), ("press", "ninguna"), ("say", "1")],
    [("say", "/califico"), ("say", "70"), ("press", "pobreza"), ("press", "ninguna")],
    [("say", "/califico"), ("say", "70"), ("say", "5"), ("press", "ninguna"), ("press", "si")],
    [("say", "/califico"), ("say", "70"), ("say", "5"), ("press", "ninguna"), ("press", "no")],
    [
        ("say", "/califico"),
        ("say", "70"),
        ("say", "5"),
        ("press", "ninguna"),
        ("press", "no"),
        ("press", "fisica"),
    ],
    [("say", "/pago")],
    [("say", "/pago"), ("say", CEDULA)],
    [("say", "/pago"), ("say", CEDULA), ("say", "01/01/1901")],
    [("say", "/pago"), ("say", CEDULA), ("say", "01/01/1901"), ("press", "caso")],
    [("say", "/oficina")],
    [("say", "/oficina"), ("say", "tacamoro")],
    [("say", "/idioma")],
    [("say", "/borrar_mis_datos")],
    [("say", "/mis_datos")],
    [("say", "/ayuda")],
    [("say", "/privacidad")],
    [("say", "/eventos tacamoros")],
    [("say", "/eventos tacamoros"), ("press", "sub_sms")],
    [("say", "/eventos tacamoros"), ("press", "sub_sms"), ("say", "0991234567")],
    [
        ("say", "/eventos tacamoros"),
        ("press", "sub_sms"),
        ("say", "0991234567"),
        ("press", "accept"),
    ],
    [("say", "/eventos"), ("say", "takamorros")],
    [("say", "/baja_eventos")],
]
# Every flow's first step, whoever wrote it.
PATHS += [[("say", f.commands[0])] for f in build_flows() if f.commands]
KEYS = ["si", "no", "caso", "extrema_pobreza", "ninguna", "intelectual", "oficina", "pago", "en"]
KEYS += ["sub_sms", "sub_telegram", "accept", "decline", "unsubscribe", "known_phone", "all"]
inputs = st.one_of(
    st.tuples(st.just("say"), st.text(max_size=60)),
    st.tuples(st.just("say"), st.text(alphabet="0123456789/-. ", max_size=12)),
    st.tuples(st.just("say"), st.sampled_from(["", " ", "🙂👍", "ñÑáÉ", "x" * 5000, "300", "%"])),
    st.tuples(st.just("press"), st.one_of(st.sampled_from(KEYS), st.text(max_size=20))),
    st.tuples(st.just("stale"), st.sampled_from(KEYS)),
    st.tuples(st.just("media"), st.sampled_from(["photo", "voice", "sticker", "location"])),
)
addresses = itertools.count()


async def _held(engine: FlowEngine, address: str) -> bool:
    async with engine.services.session_factory() as session:
        step = await session.scalar(
            select(Conversation.step).where(Conversation.address == address)
        )
    return step == HELD


async def _exercise(
    engine: FlowEngine, path: list[tuple[str, str]], extra: list[tuple[str, str]]
) -> None:
    address = f"fuzz-{next(addresses)}"
    turn = 0
    for kind, value in [*path, *extra]:
        if kind == "say":
            incoming = Incoming("console", address, text=value)
        elif kind == "media":
            incoming = Incoming("telegram", address, media=value)
        else:
            used = turn if kind == "press" else max(turn - 1, 0)
            incoming = Incoming("console", address, option_key=value, turn=used)
        delivery = await engine.handle(incoming)
        turn = delivery.turn
        if not delivery.replies:  # only a chat handed to a person is quiet: the inbox has it
            assert await _held(engine, address), f"no reply to {kind} {value!r}"
            continue
        assert all(r.text.strip() for r in delivery.replies)
        assert not any("tuvimos un problema" in r.text for r in delivery.replies), (kind, value)


def test_random_input_at_every_step_never_fails_and_always_answers(
    template_url: str, tmp_path: Path
) -> None:
    loop = asyncio.new_event_loop()
    try:
        url = loop.run_until_complete(fresh_database(template_url, tmp_path))
        config = Settings(_env_file=None, database_url=url, verification_max_failures=1000)  # type: ignore[call-arg]
        clock = FakeClock()
        services = loop.run_until_complete(build_services(config, clock=clock))

        async def demo() -> None:
            async with services.session_factory() as session, session.begin():
                await load_demo_data(session, clock())

        loop.run_until_complete(demo())
        engine = FlowEngine(services, build_flows())

        @hsettings(
            max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(path=st.sampled_from(PATHS), extra=st.lists(inputs, min_size=1, max_size=4))
        def run(path: list[tuple[str, str]], extra: list[tuple[str, str]]) -> None:
            loop.run_until_complete(_exercise(engine, path, extra))

        run()
        loop.run_until_complete(services.close())
    finally:
        loop.close()
