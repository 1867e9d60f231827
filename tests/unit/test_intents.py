"""Free text → flow in Spanish and English, tolerant of typos, without false positives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.flows.base import Flow
from bot.flows.intents import FUZZY_WORDS, FlowVocabulary, match_intent, normalise, vocabulary
from bot.flows.registry import build_flows

FLOWS = build_flows()

ENGLISH = [
    ("why didn't my payment arrive", "pago"),
    ("Why didn’t my payment arrive?", "pago"),
    ("when is my payment", "pago"),
    ("When do I get paid?", "pago"),
    ("my payment hasn't arrived yet", "pago"),
    ("I can't collect my bonus", "pago"),
    ("my bonus was suspended", "pago"),
    ("where is my money", "pago"),
    ("am I eligible", "califico"),
    ("Am I eligible for the pension?", "califico"),
    ("do i qualify for the bonus", "califico"),
    ("how do I apply", "califico"),
    ("what are the requirements", "califico"),
    ("where is my office", "oficina"),
    ("Where's the nearest office?", "oficina"),
    ("events", "eventos"),
    ("Events!", "eventos"),
    ("any upcoming events in my parish?", "eventos"),
    ("is there a meeting this week", "eventos"),
    ("I want to make a complaint", "dialogo"),
    ("I have a suggestion", "dialogo"),
    ("I know someone who doesn't get any help", "excluido"),
    ("commitments in my parish", "compromisos"),
    ("change language", "idioma"),
    ("help", "ayuda"),
    ("Help me please", "ayuda"),
    ("I don't understand", "ayuda"),
    ("privacy", "privacidad"),
    ("what do you know about me", "mis_datos"),
    ("delete my data", "borrar_mis_datos"),
    ("stop reminders", "baja_eventos"),
    ("hi", "bienvenida"),
    ("Hello!", "bienvenida"),
    ("hello 👋", "bienvenida"),
    ("good morning", "bienvenida"),
]

SPANISH = [
    ("no me llegó el bono", "pago"),
    ("cuándo pagan", "pago"),
    ("Cuando pagan???", "pago"),
    ("no me yego el bono", "pago"),
    ("me suspendieron el bono", "pago"),
    ("estoy suspendida", "pago"),
    ("quiero el bono para mi mamá", "califico"),
    ("QUIERO EL BONO PARA MI MAMA", "califico"),
    ("cuáles son los requisitos", "califico"),
    ("donde queda la oficina", "oficina"),
    ("las oficinas del mies", "oficina"),
    ("eventos en mi parroquia", "eventos"),
    ("cuándo es la próxima brigada", "eventos"),
    ("reuniones", "eventos"),
    ("quiero poner una queja", "dialogo"),
    ("tengo quejas del servicio", "dialogo"),
    ("diálogo ciudadano", "dialogo"),
    ("conozco a alguien que no recibe ningún bono", "excluido"),
    ("acuerdos del diálogo", "compromisos"),
    ("ayuda", "ayuda"),
    ("mis datos", "mis_datos"),
    ("borrar mis datos", "borrar_mis_datos"),
    ("mis datos personales", "privacidad"),
    ("no quiero recordatorios", "baja_eventos"),
    ("idioma", "idioma"),
    ("hola", "bienvenida"),
    ("¡Buenas tardes!", "bienvenida"),
]

MIXED_AND_TOLERANT = [
    ("hola, when is my payment?", "pago"),  # two languages in one message
    ("hi, no me llegó el bono", "pago"),
    ("buenas tardes, no me llegó el bono", "pago"),  # the greeting does not hide the question
    ("hello, where is my office", "oficina"),
    ("WHEN IS MY PAYMENT", "pago"),
    ("paymnet", "pago"),  # a letter swapped
    ("payement status", "pago"),  # a letter extra
    ("eligable", "califico"),  # a letter wrong
    ("evnts", "eventos"),  # a letter missing
    ("ofice", "oficina"),
    ("nomellego", "pago"),  # no spaces
    ("cuandopagan", "pago"),
    ("ayudaaa", "ayuda"),  # stretched letters
    ("holaaaa", "bienvenida"),
    ("💸 my payment 💸", "pago"),
    ("¿¿¿dónde queda la oficina???", "oficina"),
    ("Dónde   queda\tla\noficina", "oficina"),
]

UNRELATED = [
    "my cat is sick",
    "the weather is nice today",
    "I like pizza",
    "thank you",
    "ok",
    "this is it",  # "hi" is not in "this"
    "even so",  # "even" is not an event
    "eventually I will go",
    "the quality is good",
    "I paid my phone bill",
    "what time is it",
    "my phone is broken",
    "mi gato está enfermo",
    "gracias",
    "mi mamá se queda sola",  # "queda" is not a "queja"
    "la periferia de quito",  # "feria" inside a longer word
    "calificaciones de mi hijo",
    "me duele la cabeza",
    "asdfgh qwerty",
    "12345",
    "😀😀😀",
    "?!",
]


@pytest.mark.parametrize(("text", "flow"), ENGLISH + SPANISH + MIXED_AND_TOLERANT)
def test_free_text_in_english_or_spanish_routes_to_its_flow(text: str, flow: str) -> None:
    assert match_intent(text, FLOWS) == flow


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_text_routes_nowhere(text: str) -> None:
    assert match_intent(text, FLOWS) is None


def test_empty_and_blank_text_route_nowhere() -> None:
    assert match_intent("", FLOWS) is None
    assert match_intent("   \n\t", FLOWS) is None


def test_apostrophes_and_accents_are_folded_like_the_data_file_writes_them() -> None:
    assert normalise("Why DIDN’T my páyment arrive?!") == "why didnt my payment arrive"
    assert normalise("¡Hola!! 👋 ¿qué tal?") == "hola que tal"


def test_a_phrase_at_the_end_of_a_very_long_message_is_still_found() -> None:
    filler = "bla " * 900
    assert match_intent(filler + "when is my payment", FLOWS) == "pago"


def test_typos_are_looked_for_only_at_the_start_of_a_very_long_message() -> None:
    filler = "bla " * (FUZZY_WORDS + 10)
    assert match_intent("paymnet " + filler, FLOWS) == "pago"
    assert match_intent(filler + "paymnet", FLOWS) is None


def test_very_long_messages_are_routed_quickly() -> None:
    messages = [
        "a " * 2000,
        "a" * 4000,
        "😀" * 4000,
        "mi pago " * 500,
        "".join("abcdeñá 😀,.!?¿"[i * 7 % 14] for i in range(4000)),
        " ".join(f"palabra{i}" for i in range(600)),
        "x " * 50_000,  # far over what the engine accepts (4,000 characters)
    ]
    started = time.perf_counter()
    for text in messages:
        match_intent(text, FLOWS)
    # About 0.1 s on a loaded machine; a quadratic slip would take many seconds.
    assert time.perf_counter() - started < 3


@given(st.text(max_size=300))
def test_any_text_routes_to_a_flow_or_nowhere_without_failing(text: str) -> None:
    assert match_intent(text, FLOWS) in {None, *(flow.name for flow in FLOWS)}


class _Flow:
    """A minimal flow for matching: only name and keywords matter."""

    in_menu = True
    commands: tuple[str, ...] = ()

    def __init__(self, name: str, keywords: tuple[str, ...]) -> None:
        self.name = name
        self.keywords = keywords


def test_a_flow_keyword_not_in_the_data_file_routes_too() -> None:
    flows: list[Flow] = [_Flow("nuevo", ("tramite nuevo",))]  # type: ignore[list-item]
    assert match_intent("quiero hacer un trámite nuevo", flows) == "nuevo"


def test_the_longest_phrase_wins_and_an_exact_one_beats_a_fuzzy_one_of_equal_weight() -> None:
    flows: list[Flow] = [
        _Flow("corto", ("mis datos",)),  # type: ignore[list-item]
        _Flow("largo", ("borrar mis datos",)),  # type: ignore[list-item]
    ]
    assert match_intent("por favor borrar mis datos", flows) == "largo"
    assert match_intent("por favor borar mis datos", flows) == "largo"  # 15 matched, 1 typo
    assert match_intent("mis datos", flows) == "corto"


def test_every_flow_in_the_data_file_exists() -> None:
    names = {flow.name for flow in FLOWS}
    assert set(vocabulary()) <= names


def test_every_citizen_menu_flow_and_help_can_be_reached_in_english() -> None:
    wanted = {flow.name for flow in FLOWS if flow.in_menu} | {"ayuda", "bienvenida"}
    english = {name for name, vocab in vocabulary().items() if vocab.en}
    assert wanted <= english


def test_every_phrase_alone_routes_to_its_own_flow() -> None:
    for flow in FLOWS:
        own = vocabulary().get(flow.name, FlowVocabulary())
        for phrase in (*flow.keywords, *own.phrases):
            assert match_intent(phrase, FLOWS) == flow.name, phrase


@pytest.mark.parametrize(
    "table",
    [
        {"en": ["Didn't arrive"]},  # not normalised: capitals and an apostrophe
        {"es": ["dónde"]},  # an accent
        {"en": ["help", "help"]},  # twice
        {"en": ["  "]},
        {"fr": ["bonjour"]},  # a language the bot does not know
        {"fallback": "maybe"},
    ],
)
def test_a_malformed_data_file_entry_is_refused(table: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FlowVocabulary.model_validate(table)


def test_the_data_file_is_read_from_the_given_path(tmp_path: Path) -> None:
    path = tmp_path / "intents.toml"
    path.write_text('[pago]\nen = ["my money"]\n', encoding="utf-8")
    assert vocabulary(path)["pago"].en == ("my money",)
