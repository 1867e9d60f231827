"""Photos, voice notes, stickers, locations and very long texts through the real Application.

Each message is the JSON Telegram really sends for that kind; the bot answers with a short text
for the kind and asks again the question the citizen was at.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fake_bot_api import TelegramUser

PHOTO: dict[str, Any] = {
    "photo": [
        {"file_id": "AgAC-small", "file_unique_id": "AQAD1", "width": 90, "height": 67},
        {
            "file_id": "AgAC-big",
            "file_unique_id": "AQAD2",
            "width": 1280,
            "height": 960,
            "file_size": 110000,
        },
    ]
}
VOICE: dict[str, Any] = {
    "voice": {
        "file_id": "AwACAgEAAxkBAAI",
        "file_unique_id": "AgADvQ",
        "duration": 7,
        "mime_type": "audio/ogg",
        "file_size": 21000,
    }
}
STICKER: dict[str, Any] = {
    "sticker": {
        "file_id": "CAACAgIAAxkBAAI",
        "file_unique_id": "AgADAQAD",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
        "set_name": "HotCherry",
    }
}
LOCATION: dict[str, Any] = {"location": {"latitude": -4.1163, "longitude": -79.8121}}
VIDEO_NOTE: dict[str, Any] = {
    "video_note": {
        "file_id": "DQACAgEAAxkBAAI",
        "file_unique_id": "AgADwQ",
        "length": 240,
        "duration": 4,
    }
}
DOCUMENT: dict[str, Any] = {
    "document": {
        "file_id": "BQACAgEAAxkBAAI",
        "file_unique_id": "AgADwg",
        "file_name": "cedula.pdf",
        "mime_type": "application/pdf",
    }
}
CONTACT: dict[str, Any] = {
    "contact": {"phone_number": "+593991234567", "first_name": "Ana", "user_id": 5550001}
}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (PHOTO, "Recibí una foto"),
        (VOICE, "no puedo escuchar mensajes de voz"),
        (VIDEO_NOTE, "no puedo escuchar mensajes de voz"),
        (STICKER, "¡Gracias! Escriba su consulta"),
        (LOCATION, "envíe su nombre (por ejemplo: Tacamoros)"),
        (DOCUMENT, "no puedo abrir archivos"),
        (CONTACT, "no guardo contactos compartidos"),
    ],
    ids=["photo", "voice", "video_note", "sticker", "location", "document", "contact"],
)
async def test_each_kind_of_media_gets_its_own_short_answer_and_the_question_again(
    citizen: TelegramUser, payload: dict[str, Any], expected: str
) -> None:
    await citizen.say("/oficina")
    replies = await citizen.send(payload)
    # One message: the short answer, then the question again (`coalesce`).
    assert len(replies) == 1
    assert expected in replies[0]
    assert replies[0].endswith(
        "\n\nEscriba el nombre de su parroquia o cantón (por ejemplo: Tacamoros)."
    )
    replies = await citizen.say("Tacamoros")  # the flow goes on where it was
    assert "11D06" in replies[0]


async def test_a_location_while_asked_for_the_parish_keeps_the_events_flow(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/eventos")
    replies = await citizen.send(LOCATION)
    assert "Cuando le pregunte por su parroquia, envíe su nombre" in replies[0]
    assert "Escriba el nombre de su parroquia" in replies[-1]
    replies = await citizen.say("Tacamoros")
    assert "Tacamoros (Sozoranga, Loja)" in replies[0]


async def test_a_photo_with_a_caption_is_answered_by_its_caption(citizen: TelegramUser) -> None:
    await citizen.say("menú")
    replies = await citizen.send({**PHOTO, "caption": "no me llegó el bono"})
    assert "leí el texto que lo acompaña" in replies[0]
    assert "cédula" in replies[-1]  # the payment-status flow asks for the cédula


async def test_a_very_long_text_is_kept_up_to_the_limit_and_the_citizen_told(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/oficina")
    replies = await citizen.say("Tacamoros " * 409)  # 4,090 characters: Telegram allows 4,096
    assert "Su mensaje era muy largo (4090 caracteres). Guardé los primeros 4000" in replies[0]
    assert "Tacamoros" in replies[0]  # where the kept part ends
    assert citizen.api.last_buttons(citizen.chat_id)  # and a way on: a person, the menu


async def test_media_at_the_menu_gets_the_menu_again_with_its_buttons(
    citizen: TelegramUser,
) -> None:
    await citizen.say("menú")
    replies = await citizen.send(VOICE)
    assert "mensajes de voz" in replies[0]
    assert "¿En qué le puedo ayudar?" in replies[-1]
    assert citizen.api.last_buttons(citizen.chat_id)
