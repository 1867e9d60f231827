"""The engine's per-message database work stays small (what the load benchmark relies on)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from bot.flows.engine import LAST_SEEN_RESOLUTION, FlowEngine
from bot.services.container import Services
from bot.storage.models import Contact, Conversation
from tests.support.chat import Chat
from tests.support.clock import FakeClock


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """Collects the SQL statements sent while the block runs."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(services.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", record)


async def test_a_message_in_a_known_conversation_costs_two_statements(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    with statements(services) as sent:
        replies = await chat.say("menú")
    assert replies and replies[-1].options
    # One SELECT for the conversation (locked) and its contact, one UPDATE of the conversation.
    assert len(sent) == 2, sent
    assert sent[0].lstrip().upper().startswith("SELECT")
    assert "contacts" in sent[0] and "conversations" in sent[0]
    assert sent[1].lstrip().upper().startswith("UPDATE conversations".upper())


async def test_first_message_creates_both_rows(flow_engine: FlowEngine, services: Services) -> None:
    await Chat(flow_engine, address="new-user").say("hola")
    async with services.session_factory() as session:
        contact = await session.scalar(select(Contact).where(Contact.address == "new-user"))
        conv = await session.scalar(select(Conversation).where(Conversation.address == "new-user"))
    assert contact is not None and conv is not None
    assert conv.turn == 1


async def test_last_seen_is_kept_to_the_resolution(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    chat = Chat(flow_engine, address="seen")
    await chat.say("hola")
    first = clock()

    async def last_seen() -> Any:
        async with services.session_factory() as session:
            return await session.scalar(
                select(Contact.last_seen_at).where(Contact.address == "seen")
            )

    clock.advance(seconds=LAST_SEEN_RESOLUTION.total_seconds() - 1)
    await chat.say("menú")
    assert await last_seen() == first  # within the resolution: not rewritten
    clock.advance(seconds=2)
    await chat.say("menú")
    assert await last_seen() == clock()  # older than the resolution: now


async def test_a_first_message_needs_no_savepoint(
    flow_engine: FlowEngine, services: Services
) -> None:
    with statements(services) as sent:
        replies = await Chat(flow_engine, address="first").say("hola")
    assert replies
    assert not [s for s in sent if "SAVEPOINT" in s.upper()], sent
    # SELECT (missing), INSERT contact, INSERT conversation (both «unless present»), SELECT, UPDATE.
    assert len(sent) <= 5, sent


async def test_a_known_contact_without_conversation_keeps_its_data(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    earlier = clock()
    async with services.session_factory() as session, session.begin():
        session.add(
            Contact(
                channel="console",
                address="subscriber",
                locale="en",
                created_at=earlier,
                last_seen_at=earlier,
            )
        )
    clock.advance(days=1)
    await Chat(flow_engine, address="subscriber").say("hola")
    async with services.session_factory() as session:
        contact = await session.scalar(select(Contact).where(Contact.address == "subscriber"))
        conv = await session.scalar(
            select(Conversation).where(Conversation.address == "subscriber")
        )
    assert contact is not None and conv is not None
    assert contact.locale == "en" and contact.created_at == earlier
    assert contact.last_seen_at == clock()
    assert conv.turn == 1
