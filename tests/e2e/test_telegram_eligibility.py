"""Eligibility conversations through the real Telegram Application and a fake Bot API.

Written as the citizen's situation: each answer is an orientation («puede corresponderle»), never
a promise, with the reason that decided it and the one next step.
"""

from __future__ import annotations

from tests.support.fake_bot_api import FakeBotApi, TelegramUser

PROMISE = "Probablemente califica"


def _no_section(replies: list[str]) -> str:
    """The «No parece corresponderle» list (the adapter may send several replies as one)."""
    text = "\n".join(replies)
    assert "No parece corresponderle:" in text
    return text.split("No parece corresponderle:", 1)[1].split("Esta respuesta es", 1)[0]


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
    assert "Puede corresponderle: Pensión Mis Mejores Años" in text
    assert "100,00" in text
    assert "orientación" in text
    assert "La selección y el pago los decide el Ministerio" in text
    assert PROMISE not in text and "No hace falta" not in text
    no = _no_section(replies)
    assert "Bono de Desarrollo Humano: Este bono se paga a una persona de 18 a 64 años." in no
    assert "Bono de Desarrollo Humano con componente variable: Es para hogares con hijos" in no
    assert "Pensión para Adultos Mayores" in text  # the $50 legacy pension is evaluated


async def test_66_year_old_carer_in_extreme_poverty_gets_alternatives_not_a_sum(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/califico")
    await citizen.say("66")
    await citizen.press("Extrema pobreza")
    await citizen.press("No, ninguna")
    await citizen.press("No")  # no disability of their own
    await citizen.press("física")
    replies = await citizen.say("80")
    text = "\n".join(replies)
    assert "Estas opciones no se suman." in text
    assert "Acuerdo Ministerial MIES 109" in text
    assert "Opción 1 de 3" in text and "Opción 3 de 3" in text
    assert "Bono de Desarrollo Humano: Este bono se paga a una persona de 18 a 64" in text
    assert "Se pide en el Balcón de Servicios: Bono Joaquín Gallegos Lara" in text
    assert PROMISE not in text


async def test_mother_with_two_under_five_and_one_ten_year_old_gets_the_bdhv_amount(
    citizen: TelegramUser,
) -> None:
    await citizen.say("quiero el bono para mi familia")
    await citizen.say("32")
    await citizen.press("Extrema pobreza")
    await citizen.press("No, ninguna")
    await citizen.press("No")  # no pregnancy, no baby under 2
    await citizen.say("2")
    await citizen.say("1")
    await citizen.press("No")
    replies = await citizen.press("No")
    bdhv = next(r for r in replies if "Puede corresponderle: Bono de Desarrollo Humano con" in r)
    # 55 base + 30 (1st under 5) + 27 (2nd under 5) + 10 (1st aged 5–17) = 122
    assert "122,00" in bdhv
    assert "Certificado de matrícula" in bdhv


async def test_pregnant_woman_in_poverty_is_oriented_to_the_bono_1000_dias(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/califico")
    await citizen.say("24")
    await citizen.press("Pobreza")
    await citizen.press("No, ninguna")
    await citizen.press("embarazo")
    await citizen.say("0")
    await citizen.say("0")
    await citizen.press("No")
    replies = await citizen.press("No")
    b1000 = next(r for r in replies if "Bono 1000 Días" in r and "corresponderle" in r)
    assert "Puede corresponderle: Bono 1000 Días" in b1000
    assert "50,00" in b1000 and "90,00 al nacer" in b1000
    assert "Estas opciones no se suman." in "\n".join(replies)  # with the BDH


async def test_pregnant_woman_asking_in_her_words_gets_the_1000_dias_information(
    citizen: TelegramUser,
) -> None:
    await citizen.say("hola")
    replies = await citizen.say("estoy embarazada, hay bono?")
    text = "\n".join(replies)
    assert "Bono 1000 Días" in text
    assert "desde el embarazo hasta que el niño cumple 2 años" in text
    assert "infancia.inclusion.gob.ec" in text
    assert "No se suma a otro bono del Ministerio." in text


async def test_burnt_house_gets_the_contingencias_information_and_what_to_bring(
    citizen: TelegramUser,
) -> None:
    await citizen.say("hola")
    text = "\n".join(await citizen.say("se quemó mi casa, que ayuda hay"))
    assert "Cobertura de Contingencias" in text
    assert "Es una ayuda de una sola vez." in text
    assert "parte de bomberos" in text
    assert "Balcón de Servicios" in text


async def test_credit_question_warns_that_the_withholding_is_unconfirmed(
    citizen: TelegramUser,
) -> None:
    await citizen.say("hola")
    text = "\n".join(await citizen.say("quiero el crédito de desarrollo humano"))
    assert "Crédito de Desarrollo Humano" in text
    assert "el bono mensual puede no pagarse. Este dato no está confirmado" in text


async def test_typed_9_is_read_back_before_it_is_used(citizen: TelegramUser) -> None:
    await citizen.say("/califico")
    await citizen.say("70")
    replies = await citizen.say("9")
    assert replies[-1] == "¿Su puntaje del Registro Social es 9?"
    replies = await citizen.press("No")
    assert "Elija una opción o escriba el puntaje otra vez." in replies[0]
    await citizen.say("9")
    await citizen.press("Sí")
    await citizen.press("No, ninguna")
    await citizen.press("No")
    text = "\n".join(await citizen.press("No"))
    assert "Podría corresponderle, hay que revisar su caso: Pensión Mis Mejores Años" in text
    assert "El puntaje no muestra si su hogar está en extrema pobreza." in text
    assert "Puede corresponderle: Pensión Mis Mejores Años" not in text


async def test_typed_score_of_30_5_gets_no_no_from_the_registro_social(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/califico")
    await citizen.say("40")
    assert (await citizen.say("30.5"))[-1] == "¿Su puntaje del Registro Social es 30,5?"
    await citizen.press("Sí")
    await citizen.press("No, ninguna")
    await citizen.press("No")
    await citizen.say("0")
    await citizen.say("0")
    await citizen.press("No")
    replies = await citizen.press("No")
    text = "\n".join(replies)
    assert "Podría corresponderle, hay que revisar su caso: Bono de Desarrollo Humano" in text
    assert "Un puntaje escrito no basta para decir que no." in text
    assert "Registro Social" not in _no_section(replies)
    assert "pida una nueva encuesta" in text


async def test_person_with_45_percent_disability_under_65_is_shown_ptuv_and_the_age_step(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/califico")
    await citizen.say("30")
    await citizen.press("Pobreza")
    await citizen.press("No, ninguna")
    await citizen.press("No")
    await citizen.say("0")
    await citizen.say("0")
    await citizen.press("Sí")
    await citizen.say("45")
    replies = await citizen.press("No")
    ptuv = next(r for r in replies if "Pensión Toda una Vida" in r)
    assert "Puede corresponderle: Pensión Toda una Vida" in ptuv
    assert "Al cumplir 65 años, puede pasar a la Pensión Mis Mejores Años." in ptuv
    text = "\n".join(replies)
    assert "Pensión para Personas con Discapacidad" in text
    assert "Estas opciones no se suman." in text


async def test_jgl_carer_not_poor_by_the_registro_social_is_sent_to_the_balcon(
    citizen: TelegramUser, bot_api: FakeBotApi
) -> None:
    await citizen.say("/califico")
    await citizen.say("45")
    await citizen.press("No estoy en pobreza")
    await citizen.press("No, ninguna")
    await citizen.press("No")
    await citizen.say("0")
    await citizen.say("0")
    await citizen.press("No")
    await citizen.press("intelectual")
    replies = await citizen.say("70 %")
    bjgl = next(r for r in replies if "Joaquín Gallegos Lara" in r)
    assert "Se pide en el Balcón de Servicios: Bono Joaquín Gallegos Lara" in bjgl
    assert "240,00" in bjgl
    assert "Un técnico visita el hogar" in bjgl
    assert "Croquis de la vivienda" in bjgl
    assert "Joaquín Gallegos Lara" not in _no_section(replies)
    assert bot_api.last_buttons(citizen.chat_id), "the menu comes back with buttons"


async def test_age_of_300_is_read_back_and_can_be_typed_again(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/califico")
    replies = await citizen.say("300")
    assert "Entendí 300, y esperaba un número de 0 a 120. ¿Es correcto?" in replies[0]
    replies = await citizen.say("no")  # typed: picks «No, lo escribo otra vez»
    assert "Escríbalo otra vez" in replies[0]
    replies = await citizen.say("70")
    assert "Registro Social" in replies[-1]
