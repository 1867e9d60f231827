"""Console turns are keyed like Telegram's: recorded once, replies printed from the outbox."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.handlers.console import run_console
from bot.services.container import Services
from bot.storage.models import InboundTurn, OutboxMessage
from notificaciones.outbox_states import PENDING, SENT


def _reader(lines: list[str | None]) -> object:
    items: Iterator[str | None] = iter(lines)

    async def read() -> str | None:
        return next(items)

    return read


async def test_each_console_line_is_a_recorded_turn_with_its_replies_sent(
    flow_engine: FlowEngine, services: Services
) -> None:
    out: list[str] = []
    await run_console(flow_engine, _reader(["hola", "/pago", "salir"]), out.append)  # type: ignore[arg-type]
    async with services.session_factory() as session:
        turns = list(await session.scalars(select(InboundTurn).order_by(InboundTurn.sequence)))
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [t.channel for t in turns] == ["console", "console"]
    assert all(t.status == "done" and t.payload == {} for t in turns)
    assert turns[0].sequence < turns[1].sequence
    assert rows and {r.status for r in rows} == {SENT} and {r.kind for r in rows} == {"reply"}
    shown = [line for line in out if line.startswith("bot> ")]
    assert len(shown) == len(rows)  # each reply printed once
    assert shown[0].startswith("bot> ¡Hola!")
    assert any("¿En qué le puedo ayudar?" in line and "  1. " in line for line in shown)


async def test_a_reply_a_crash_left_unprinted_is_shown_when_the_chat_starts_again(
    flow_engine: FlowEngine, services: Services
) -> None:
    async def crashed_before_printing(self: object, address: str) -> int:
        return 0  # the process died between the turn's commit and the printing

    out: list[str] = []
    from notificaciones import reply_lane

    original = reply_lane.ReplyLane.send_pending
    reply_lane.ReplyLane.send_pending = crashed_before_printing  # type: ignore[method-assign,assignment]
    try:
        await run_console(flow_engine, _reader(["hola", None]), out.append)  # type: ignore[arg-type]
    finally:
        reply_lane.ReplyLane.send_pending = original  # type: ignore[method-assign]
    assert not any(line.startswith("bot> ") for line in out)
    async with services.session_factory() as session:
        assert {r.status for r in await session.scalars(select(OutboxMessage))} == {PENDING}

    again: list[str] = []
    await run_console(flow_engine, _reader([None]), again.append)  # type: ignore[arg-type]
    shown = [line for line in again if line.startswith("bot> ")]
    async with services.session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    assert shown and shown[0].startswith("bot> ¡Hola!") and len(shown) == len(rows)
    assert {r.status for r in rows} == {SENT}
