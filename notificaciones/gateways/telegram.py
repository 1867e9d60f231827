"""The Telegram sender port for outbox rows with channel "telegram", and its adapters.

Other parts of the product enqueue Telegram notices (case updates, confirmations); the dispatcher
delivers them through this port with the same retry and crash rules as SMS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from telegram import LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.config import Settings
from notificaciones.gateways.sms import SendOutcome, SendResult

if TYPE_CHECKING:
    from telegram import Bot

Buttons = dict[str, Any]
"""A conversation reply's stored buttons: {"turn": n, "options": [[key, label], …]}."""


class TelegramSender(Protocol):
    """Sends a text message (with a conversation reply's buttons, if any) to a Telegram chat."""

    async def send_text(
        self, chat_id: str, text: str, buttons: Buttons | None = None
    ) -> SendOutcome:
        """Sends `text` to `chat_id` and says what happened."""
        ...


def callback_data(turn: int, key: str) -> str:
    """A button's callback data: the turn it belongs to and the option key ('turn|key')."""
    return f"{turn}|{key}"[:64]


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # immutable: one for every send


def _inline_keyboard(buttons: Buttons) -> dict[str, Any]:
    """A reply's options as the Bot API's `reply_markup`: one inline button per row.

    Given to PTB as `api_kwargs`, the fields as the Bot API names them: built as PTB objects,
    eight buttons cost ≈ 100 µs (frozen-object attribute checks, then `to_dict` back to this).
    """
    turn = int(buttons.get("turn", 0))
    rows = [
        [{"text": str(label)[:64], "callback_data": callback_data(turn, key)}]
        for key, label in buttons["options"]
    ]
    return {"reply_markup": {"inline_keyboard": rows}}


@runtime_checkable
class PaidBroadcastSender(Protocol):
    """A sender that can send with Telegram's `allow_paid_broadcast` (up to 1,000/s, paid)."""

    async def send_paid_broadcast(self, chat_id: str, text: str) -> SendOutcome:
        """Sends `text` to `chat_id` as a paid broadcast and says what happened."""
        ...


@dataclass
class ConsoleTelegramSender:
    """Prints Telegram notices (console chat) and records them (tests)."""

    write: Callable[[str], None] = print
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send_text(
        self, chat_id: str, text: str, buttons: Buttons | None = None
    ) -> SendOutcome:
        """Prints and records the notice; always accepted."""
        self.sent.append((chat_id, text))
        self.write(f"[Telegram] {text}")
        return SendOutcome(SendResult.ACCEPTED, provider_status="sent")


class PtbTelegramSender:
    """Sends through python-telegram-bot's `Bot` (token and Bot API URL from the settings)."""

    def __init__(self, settings: Settings, bot: Bot | None = None) -> None:
        if bot is None:
            from telegram import Bot as PtbBot

            bot = PtbBot(settings.require_telegram_token(), base_url=settings.telegram_base_url)
        self._bot = bot
        self._initialised = False

    async def send_text(
        self, chat_id: str, text: str, buttons: Buttons | None = None
    ) -> SendOutcome:
        """Sends the message; blocked or vanished chats are unreachable, throttling is transient.

        Links never unfold into a preview (a citizen's words may hold one); a conversation
        reply's options become one inline button per row.
        """
        return await self._send(chat_id, text, paid=False, buttons=buttons)

    async def send_paid_broadcast(self, chat_id: str, text: str) -> SendOutcome:
        """Sends with `allow_paid_broadcast` (TELEGRAM_ALLOW_PAID_BROADCAST: broadcasts only)."""
        return await self._send(chat_id, text, paid=True)

    async def _send(
        self, chat_id: str, text: str, *, paid: bool, buttons: Buttons | None = None
    ) -> SendOutcome:
        markup = _inline_keyboard(buttons) if buttons and buttons.get("options") else None
        try:
            if not self._initialised:
                await self._bot.initialize()
                self._initialised = True
            message = await self._bot.send_message(
                chat_id=int(chat_id),
                text=text,
                link_preview_options=_NO_PREVIEW,
                api_kwargs=markup,
                allow_paid_broadcast=paid or None,
            )
        except Forbidden:
            return SendOutcome(SendResult.UNREACHABLE, reason="telegram: bot blocked")
        except BadRequest as error:
            # «Chat not found»: the chat no longer exists (or never did): unreachable like a block.
            gone = "chat not found" in error.message.lower()
            result = SendResult.UNREACHABLE if gone else SendResult.PERMANENT
            return SendOutcome(result, reason=f"telegram: {error.message[:80]}")
        except (RetryAfter, NetworkError):
            return SendOutcome(SendResult.TRANSIENT, reason="telegram: throttled or network")
        except TelegramError:
            return SendOutcome(SendResult.TRANSIENT, reason="telegram: error")
        except ValueError:
            return SendOutcome(SendResult.PERMANENT, reason="telegram: bad chat id")
        return SendOutcome(
            SendResult.ACCEPTED, provider_sid=str(message.message_id), provider_status="sent"
        )
