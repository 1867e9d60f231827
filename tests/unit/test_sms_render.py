"""SMS answers: GSM-7 only, at most three segments, never cut inside a word, options kept."""

from __future__ import annotations

import pytest

from bot.domain.sms_text import gsm_only, segment_info, shorten
from bot.flows.base import Option, Reply
from bot.handlers.sms.render import render
from bot.i18n import Translator

TR = Translator("es_EC")
MENU = (
    Option("pago", "¿Por qué no me llegó el pago?", "Mi pago"),
    Option("califico", "¿Califico para un bono o pensión?", "Califico"),
)


def test_emoji_and_typographic_marks_never_make_an_sms_ucs2() -> None:
    text = gsm_only("¡Listo! 👋 Su cita «mañana» — en la oficina… ✅")

    assert text == '¡Listo! Su cita "mañana" - en la oficina...'
    assert segment_info(text).encoding == "GSM-7"


@pytest.mark.parametrize("length", [200, 459, 460, 1000, 4000])
def test_a_long_answer_is_shortened_to_three_segments_at_a_word_boundary(length: int) -> None:
    words = ("Acérquese a su dirección distrital con los documentos. " * 80)[:length]

    text = render([Reply(words, MENU)], TR, "sms")

    assert segment_info(text).segments <= 3
    body, options = text.rsplit("\n", 1)
    assert options == "1 Mi pago 2 Califico"
    kept = body.removesuffix("...")
    assert gsm_only(words).startswith(kept)  # a prefix of the answer …
    following = gsm_only(words)[len(kept) : len(kept) + 1]
    assert following in ("", " ", ".")  # … that ends where a word ends


def test_the_brief_wording_is_used_before_cutting() -> None:
    full = "Detalle largo. " * 60
    reply = Reply(full, brief="Su pago está suspendido. Qué hacer: vaya a su oficina.")

    assert render([reply], TR, "sms") == "Su pago esta suspendido. Qué hacer: vaya a su oficina."


def test_shorten_prefers_the_end_of_a_sentence() -> None:
    text = "Primera frase corta. " + "palabra " * 200

    assert shorten(text, 1).endswith("...")
    sentence = (
        "Su pago esta suspendido porque falta registrar en el sistema la matricula escolar de "
        "sus hijos de cinco a diecisiete años."
    )
    assert shorten(sentence + " Acérquese a su oficina con los papeles de la escuela.", 1) == (
        sentence
    )
    # A sentence end that would throw away most of the room is not worth it: a word is.
    assert shorten("Una frase. Otra frase bastante larga " + "x" * 200, 1) == (
        "Una frase. Otra frase bastante larga..."
    )


def test_whatsapp_keeps_accents_and_full_labels() -> None:
    text = render([Reply("¿En qué le puedo ayudar? 🙂", MENU)], TR, "whatsapp")

    assert text == (
        "¿En qué le puedo ayudar? 🙂\n1 ¿Por qué no me llegó el pago? "
        "2 ¿Califico para un bono o pensión?"
    )
