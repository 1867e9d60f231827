"""Eligibility conversations through the real Telegram Application and a fake Bot API."""

from __future__ import annotations

from tests.support.fake_bot_api import FakeBotApi, TelegramUser


async def test_seventy_year_old_in_extreme_poverty_is_oriented_to_mis_mejores_anos(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/califico")
    await citizen.say("70")
    await citizen.press("Extrema pobreza")
    await citizen.press("No, ninguna")
    await citizen.press("No")
    replies = await citizen.press("No")
    text = "\n".join(replies)
    assert "Probablemente califica: Pensión Mis Mejores Años" in text
    assert "100,00" in text
    assert "orientación" in text
    assert "Bono de Desarrollo Humano con componente variable: Es para hogares con hijos" in text


async def test_mother_with_two_under_five_and_one_ten_year_old_gets_the_bdhv_amount(
    citizen: TelegramUser,
) -> None:
    await citizen.say("quiero el bono para mi familia")
    await citizen.say("32")
    await citizen.press("Extrema pobreza")
    await citizen.press("No, ninguna")
    await citizen.say("2")
    await citizen.say("1")
    await citizen.press("No")
    replies = await citizen.press("No")
    bdhv = next(r for r in replies if "componente variable" in r and "Probablemente" in r)
    # 55 base + 30 (1st under 5) + 27 (2nd under 5) + 10 (1st aged 5–17) = 122
    assert "122,00" in bdhv
    assert "Certificado de matrícula" in bdhv


async def test_caregiver_of_a_person_with_severe_intellectual_disability_gets_bjgl(
    citizen: TelegramUser, bot_api: FakeBotApi
) -> None:
    await citizen.say("/califico")
    await citizen.say("45")
    await citizen.press("Extrema pobreza")
    await citizen.press("No, ninguna")
    await citizen.say("0")
    await citizen.say("0")
    await citizen.press("No")
    await citizen.press("intelectual")
    replies = await citizen.say("70 %")
    bjgl = next(r for r in replies if "Joaquín Gallegos Lara" in r)
    assert "Probablemente califica" in bjgl
    assert "240,00" in bjgl
    assert "Croquis de la vivienda" in bjgl
    assert bot_api.last_buttons(citizen.chat_id), "the menu comes back with buttons"


async def test_age_of_300_gets_its_own_message_and_the_question_stays(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/califico")
    replies = await citizen.say("300")
    assert "Una edad de 300 años no es posible" in replies[0]
    replies = await citizen.say("70")
    assert "Registro Social" in replies[-1]
