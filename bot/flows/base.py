"""What flows receive and return: inputs, replies with options, outcomes and the context.

A flow declares its steps once, in `Flow.steps()`: a table from step name to `StepHandler`.
Each flow also names its `state_type`, a frozen dataclass with a default for every field, that
holds what the next step needs; the engine saves it (`bot/flows/saved_state.py`) and hands it
back, validated, to the next step. A step returns a new state (`dataclasses.replace`), never
edits the one it got. See docs/flows.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.channels import CHANNELS as CHANNELS  # re-exported for flows and handlers
from bot.domain.channels import PHONE_CHANNELS as PHONE_CHANNELS
from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services.container import Services
    from bot.storage.models import Contact

MAX_TEXT_CHARS = 4000


@dataclass(frozen=True)
class Option:
    """A choice offered to the user: a stable key and the label they read.

    `short` is a label of a word or two for channels that pay by length (SMS: «1 Mi pago»).
    """

    key: str
    label: str
    short: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message to the user, with the options that may be chosen after it.

    `brief` is an optional shorter wording of `text` for channels that pay per segment (SMS):
    what matters most, in a few lines. A renderer that must shorten uses it before cutting.
    """

    text: str
    options: tuple[Option, ...] = ()
    brief: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One user input, whatever the channel.

    `option_key` is set when a button was pressed; `turn` is the conversation turn that button
    belonged to (stale buttons are detected with it). `media` names a non-text message
    ("photo", "voice", "sticker", "location", "document", "video"...).
    `message_key` is the channel's own id of the message (Telegram update_id, console
    sequence) and `sequence` its order: with a key, the message runs exactly once
    (`bot.flows.turns`) and its replies go through the outbox.
    """

    channel: str
    address: str
    text: str = ""
    option_key: str | None = None
    turn: int | None = None
    media: str | None = None
    locale: str | None = None
    message_key: str | None = None
    sequence: int | None = None


@dataclass(frozen=True)
class Answer:
    """What a flow step receives: the free text and/or the chosen option key."""

    text: str
    option: str | None = None
    original_length: int | None = None  # set when the engine kept only the first characters

    @property
    def value(self) -> str:
        """The option key when one was chosen, else the stripped text."""
        return self.option if self.option is not None else self.text.strip()


@dataclass(frozen=True)
class NoState:
    """The state of a flow that keeps nothing between its steps."""


@dataclass(frozen=True)
class Opening:
    """What opens a flow: the text after its command («/oficina Tacamoros»), or the engine.

    `after_flow` is set when the engine shows the menu because another flow just ended.
    """

    args: str = ""
    after_flow: bool = False


@dataclass
class Outcome:
    """What a flow step returns.

    `step` is the next step of this flow (a key of its `steps()`); `None` ends the flow (the
    user goes back to the menu). `state` is the flow's new state, an instance of its
    `state_type` (`None`: the type's defaults). `switch_to` starts another flow by name after
    these replies.
    """

    replies: list[Reply]
    step: str | None = None
    state: object | None = None
    switch_to: str | None = None
    switch_args: str = ""  # the started flow's `Opening.args` (the citizen's words, say)


@dataclass
class FlowContext:
    """Everything a flow step may use; one context per incoming message (one DB transaction)."""

    session: AsyncSession
    services: Services
    contact: Contact
    tr: Translator
    now: datetime
    channel: str
    address: str
    text: str = ""  # the message being handled, as the citizen wrote it
    # Set when a step told the citizen that only part of their long answer was kept, so the
    # engine does not say it a second time.
    told_kept: bool = False

    @property
    def settings(self) -> Settings:
        """The product settings."""
        return self.services.settings

    def t(self, message: str, **params: object) -> str:
        """Translates a Spanish source string for this user."""
        return self.tr.t(message, **params)


S = TypeVar("S")

StepHandler = Callable[[FlowContext, S, Answer], Awaitable[Outcome]]
"""Handles the user's answer at one step, with the flow's state; returns what comes next."""


class Flow(Protocol):
    """A conversation: `start` opens it, `steps()` handles each answer at a named step."""

    @property
    def name(self) -> str:
        """Unique flow name, also the menu option key."""
        ...

    @property
    def in_menu(self) -> bool:
        """Whether the flow is listed in the main menu."""
        ...

    @property
    def commands(self) -> tuple[str, ...]:
        """Slash commands that open the flow directly (e.g. "/oficina")."""
        ...

    @property
    def keywords(self) -> tuple[str, ...]:
        """Spanish words or phrases that route free text to this flow."""
        ...

    def title(self, ctx: FlowContext) -> str:
        """The menu label, translated."""
        ...

    @property
    def state_type(self) -> type[Any]:
        """The frozen dataclass of this flow's state (`NoState` when it keeps nothing)."""
        ...

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Opens the flow; `opening` carries the command's arguments, if any."""
        ...

    def steps(self) -> Mapping[str, StepHandler[Any]]:
        """Every step of the flow, by name; the engine dispatches an answer through it."""
        ...
