"""The Diálogo Ciudadano in data: the four generating questions, answer limits, workflows.

Pure definitions (no I/O): the flow asks these questions, the services validate with these
limits and transitions, the reports print these headings (the seed report's matrix, 2024).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import N_, DomainError

MAX_ANSWER_CHARS = 2000
MAX_CONTACT_CHARS = 500


@dataclass(frozen=True)
class Question:
    """One generating question: its number, its text and its matrix section heading."""

    number: int
    text: str
    section: str
    short: str


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        N_(
            "1. ¿Cuáles son los problemas que usted ha identificado en los servicios que "
            "presta el MIES?"
        ),
        "ALERTAS DEL SERVICIO",
        "Alertas",
    ),
    Question(
        2,
        N_("2. ¿Qué necesidad creería usted debería ser atendido por el MIES?"),
        "NECESIDADES",
        "Necesidades",
    ),
    Question(
        3,
        N_("3. ¿Qué sugerencia le da al MIES para la mejora de la calidad de sus servicios?"),
        "SUGERENCIA AL SERVICIO",
        "Sugerencias",
    ),
    Question(
        4,
        N_("4. ¿Cómo le gustaría que el MIES se comunique con usted?"),
        "CANALES DE COMUNICACIÓN",
        "Canales",
    ),
)

# Question 4 is a choice: the preferred channel (stored in Spanish, the matrix's language).
CHANNEL_CHOICES: tuple[tuple[str, str], ...] = (
    ("tecnicos", N_("A través de los técnicos que visitan los sectores")),
    ("sms", N_("Mensajes de texto (SMS)")),
    ("telegram", N_("Mensajes por Telegram")),
    ("llamada", N_("Llamadas telefónicas")),
    ("radio", N_("Radio o altoparlante comunitario")),
    ("reuniones", N_("Reuniones y eventos en la parroquia")),
)


def question(number: int) -> Question:
    """Returns generating question `number` (1–4)."""
    return QUESTIONS[number - 1]


def channel_answer(label: str, reason: str) -> str:
    """Joins the chosen channel and its reason as the report writes it: «X, porque Y»."""
    reason = reason.strip()
    lowered = reason.casefold()
    for lead in ("porque ", "por que ", "por qué "):
        if lowered.startswith(lead):
            reason = reason[len(lead) :].lstrip()
            break
    if not reason:
        return f"{label}."
    ending = "" if reason.endswith((".", "!", "?")) else "."
    return f"{label}, porque {reason}{ending}"


class AnswerTooLong(DomainError):
    """A free-text answer over the stated limit; it is refused, never cut."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            N_(
                "Su respuesta tiene {count} caracteres y el límite es {limit}. No la guardé "
                "para no cortarla: resúmala en {limit} caracteres o menos y envíela otra vez."
            ),
            count=count,
            limit=limit,
        )
        self.count = count
        self.limit = limit


def check_length(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Returns `text` stripped, or raises `AnswerTooLong` when it exceeds `limit` characters."""
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise AnswerTooLong(len(cleaned), limit)
    return cleaned


# --- commitments ------------------------------------------------------------------------------

COMMITMENT_STATUSES = ("pendiente", "en_curso", "cumplido", "incumplido")
COMMITMENT_STATUS_LABELS = {
    "pendiente": N_("Pendiente"),
    "en_curso": N_("En curso"),
    "cumplido": N_("Cumplido"),
    "incumplido": N_("Incumplido"),
}
PERMANENT = "Permanente"

# --- cases (left-out people, registry verifications) ------------------------------------------

PERSON_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("adulto_mayor", N_("Una persona adulta mayor")),
    ("discapacidad", N_("Una persona con discapacidad")),
    ("nino", N_("Una niña o un niño")),
    ("familia_pobreza_extrema", N_("Una familia en pobreza extrema")),
)

CASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "nuevo": ("en_verificacion",),
    "en_verificacion": ("incluido", "no_califica", "no_localizado"),
    "incluido": (),
    "no_califica": (),
    "no_localizado": (),
}
CASE_STATUS_LABELS = {
    "nuevo": N_("Nuevo"),
    "en_verificacion": N_("En verificación"),
    "incluido": N_("Incluido en los servicios"),
    "no_califica": N_("No califica"),
    "no_localizado": N_("No localizado"),
}


def can_move_case(current: str, target: str) -> bool:
    """Whether a case may go from status `current` to `target`."""
    return target in CASE_TRANSITIONS.get(current, ())
