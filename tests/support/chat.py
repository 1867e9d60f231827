"""A scripted chat against the flow engine, for flow tests on any channel."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.flows.base import Incoming, Reply
from bot.flows.engine import Delivery, FlowEngine


@dataclass
class Chat:
    """Sends messages as one user and keeps the last delivery for assertions."""

    engine: FlowEngine
    channel: str = "console"
    address: str = "tester"
    locale: str | None = None
    last: Delivery | None = None
    history: list[Reply] = field(default_factory=list)

    async def say(self, text: str) -> list[Reply]:
        """Sends free text; returns the replies."""
        return await self._send(Incoming(self.channel, self.address, text=text, locale=self.locale))

    async def press(self, key: str, *, turn: int | None = None) -> list[Reply]:
        """Presses the button with option `key` of the last reply (or of an older `turn`)."""
        current = self.last.turn if self.last else 0
        return await self._send(
            Incoming(
                self.channel,
                self.address,
                option_key=key,
                turn=current if turn is None else turn,
                locale=self.locale,
            )
        )

    async def choose(self, label_part: str) -> list[Reply]:
        """Presses the button whose label contains `label_part` (case-insensitive)."""
        assert self.last is not None and self.last.replies, "nothing to choose from"
        options = self.last.replies[-1].options
        for option in options:
            if label_part.lower() in option.label.lower():
                return await self.press(option.key)
        raise AssertionError(f"no option like {label_part!r} in {[o.label for o in options]}")

    async def _send(self, incoming: Incoming) -> list[Reply]:
        self.last = await self.engine.handle(incoming)
        self.history.extend(self.last.replies)
        return self.last.replies

    @property
    def text(self) -> str:
        """All text of the last replies, joined."""
        return "\n".join(r.text for r in (self.last.replies if self.last else []))
