"""A citizen's first «hola» on Telegram: one message, one notification, the menu's buttons."""

from __future__ import annotations

from tests.support.fake_bot_api import TelegramUser


async def test_greeting_notice_and_menu_arrive_as_one_message_with_buttons(
    citizen: TelegramUser,
) -> None:
    replies = await citizen.say("hola")
    assert len(replies) == 1
    greeting, notice, question = replies[0].split("\n\n")
    assert greeting.startswith("¡Hola! Soy el asistente de")
    assert notice.startswith("Aviso de privacidad:")
    assert question.startswith("¿En qué le puedo ayudar?")
    labels = [label for label, _ in citizen.api.last_buttons(citizen.chat_id)]
    assert "¿Por qué no me llegó el pago?" in labels
    replies = await citizen.press("pago")  # the buttons of that one message work
    assert "cédula" in replies[-1]
