"""«Diálogo Ciudadano»: the four generating questions, tied to the citizen's parish.

The citizen names their parish; if staff opened a dialogue session there, the answers belong to
it, else the dialogue stands open all year. Questions 1–3 take short free text (kept up to
`MAX_ANSWER_CHARS`, the citizen told what was kept); question 4 is a choice of channel with its
reason. Nothing is stored until the citizen confirms; «menú» before that asks whether to discard
the answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.domain.dialogue import (
    CHANNEL_CHOICES,
    MAX_ANSWER_CHARS,
    channel_answer,
    question,
)
from bot.domain.long_text import keep_up_to
from bot.flows.base import (
    Answer,
    FlowContext,
    Opening,
    Option,
    Outcome,
    Reply,
    StepHandler,
)
from bot.flows.long_answers import keep_up_to_limit
from bot.flows.parish_choice import ASKING_PARISH, parish_question, parish_step
from bot.services import dialogues
from bot.services.dialogues import AnswerInput
from bot.services.territory import Place

SKIP = "skip"
SEND = "send"
DISCARD = "discard"
TEXT_STEPS = {"asking_alerts": 1, "asking_needs": 2, "asking_suggestions": 3}
NEXT_STEP = {1: "asking_needs", 2: "asking_suggestions", 3: "asking_channel"}


@dataclass(frozen=True)
class DialogueAnswer:
    """One answer: its text and, for question 4, the channel chosen."""

    text: str
    choice: str | None = None


@dataclass(frozen=True)
class DialogueState:
    """The parish, its open session, the answers so far (by question number) and question 4."""

    parish: str = ""
    parish_label: str = ""
    session_id: int | None = None
    answers: dict[str, DialogueAnswer] = field(default_factory=dict)
    channel_choice: str | None = None
    channel_label: str | None = None

    def answered(self, number: int, answer: DialogueAnswer) -> DialogueState:
        """This state with the answer to question `number` (a new object, never edited)."""
        return replace(self, answers={**self.answers, str(number): answer})


class DialogueFlow:
    """Collects a citizen's alerts, needs, suggestions and preferred channel for their parish."""

    name = "dialogo"
    in_menu = True
    commands = ("/dialogo",)
    keywords = (
        "dialogo ciudadano",
        "sugerencia",
        "alerta",
        "queja",
        "reclamo",
        "problema con el servicio",
        "mejorar el servicio",
    )
    state_type = DialogueState
    asks_before_leaving = True  # «menú» with answers typed asks before discarding them

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("Diálogo Ciudadano: alertas y sugerencias")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Explains the dialogue and asks for the parish."""
        intro = ctx.t(
            "Diálogo Ciudadano: cuéntenos qué problemas ve en los servicios del {ministry}, "
            "qué necesita su comunidad y cómo mejorar. Son 4 preguntas.",
            ministry=ctx.settings.ministry_name,
        )
        return Outcome([parish_question(ctx, intro)], step=ASKING_PARISH)

    def steps(self) -> Mapping[str, StepHandler[DialogueState]]:
        """The parish, each question, the channel's reason and the confirmation."""
        return {
            ASKING_PARISH: self._parish,
            **{step: self._text_step(number) for step, number in TEXT_STEPS.items()},
            "asking_channel": self._channel,
            "asking_reason": self._reason,
            "confirming": self._finish,
        }

    def _text_step(self, number: int) -> StepHandler[DialogueState]:
        """The step of question `number` (1–3): a short free text, or «Omitir»."""

        async def step(ctx: FlowContext, state: DialogueState, answer: Answer) -> Outcome:
            notes: tuple[str, ...] = ()
            if answer.option != SKIP:
                kept = keep_up_to_limit(ctx, answer, MAX_ANSWER_CHARS)
                notes = kept.notes
                state = state.answered(number, DialogueAnswer(kept.text, None))
            return _with_notes(notes, self._ask(ctx, NEXT_STEP[number], state))

        return step

    async def _reason(self, ctx: FlowContext, state: DialogueState, answer: Answer) -> Outcome:
        """Why the chosen channel (or «Omitir»): completes question 4."""
        kept = keep_up_to_limit(
            ctx, Answer("") if answer.option == SKIP else answer, MAX_ANSWER_CHARS
        )
        text = keep_up_to(channel_answer(state.channel_label or "", kept.text), MAX_ANSWER_CHARS)
        state = replace(state, channel_label=None, channel_choice=None).answered(
            4, DialogueAnswer(text.text, state.channel_choice)
        )
        return _with_notes(kept.notes, self._confirm(ctx, state))

    async def _parish(self, ctx: FlowContext, state: DialogueState, answer: Answer) -> Outcome:
        async def chosen(place: Place) -> Outcome:
            current = await dialogues.current_session(ctx.session, place.code)
            if current is not None:
                note = ctx.t("Sus respuestas se suman al «{title}».", title=current.title)
            else:
                note = ctx.t(
                    "El Diálogo Ciudadano de {parish} está abierto todo el año: sus respuestas "
                    "llegan a la dirección distrital.",
                    parish=place.label,
                )
            fresh = DialogueState(
                parish=place.code,
                parish_label=place.label,
                session_id=current.id if current is not None else None,
            )
            outcome = self._ask(ctx, "asking_alerts", fresh)
            return Outcome([Reply(note), *outcome.replies], step=outcome.step, state=outcome.state)

        return await parish_step(ctx, state, answer, chosen, self.name)

    def _ask(self, ctx: FlowContext, step: str, state: DialogueState) -> Outcome:
        if step == "asking_channel":
            q = question(4)
            options = tuple(Option(key, ctx.t(label)) for key, label in CHANNEL_CHOICES)
            text = ctx.t(q.text) + "\n" + ctx.t("Elija una opción o escriba la suya.")
            skip = Option(SKIP, ctx.t("Omitir"))
            return Outcome([Reply(text, (*options, skip))], step, state)
        q = question(TEXT_STEPS[step])
        text = (
            ctx.t(q.text)
            + "\n"
            + ctx.t(
                "Responda en pocas palabras (hasta {limit} caracteres).", limit=MAX_ANSWER_CHARS
            )
        )
        return Outcome([Reply(text, (Option(SKIP, ctx.t("Omitir")),))], step, state)

    async def _channel(self, ctx: FlowContext, state: DialogueState, answer: Answer) -> Outcome:
        if answer.option == SKIP:
            return self._confirm(ctx, state)
        labels = dict(CHANNEL_CHOICES)
        if answer.option in labels:
            # The label is stored in Spanish, as the matrix.
            state = replace(
                state, channel_choice=answer.option, channel_label=labels[answer.option]
            )
            reply = Reply(ctx.t("¿Por qué prefiere ese medio?"), (Option(SKIP, ctx.t("Omitir")),))
            return Outcome([reply], step="asking_reason", state=state)
        kept = keep_up_to_limit(ctx, answer, MAX_ANSWER_CHARS)
        return _with_notes(
            kept.notes, self._confirm(ctx, state.answered(4, DialogueAnswer(kept.text, "otro")))
        )

    def _confirm(self, ctx: FlowContext, state: DialogueState) -> Outcome:
        answers = state.answers
        if not answers:
            return Outcome([Reply(ctx.t("No respondió ninguna pregunta, así que no guardé nada."))])
        lines = [ctx.t("Sus respuestas para {parish}:", parish=state.parish_label)]
        for number in sorted(answers, key=int):
            text = answers[number].text
            preview = text if len(text) <= 200 else text[:200] + "…"
            lines.append(f"{number}. {preview}")
        lines.append(ctx.t("¿Las envío?"))
        options = (Option(SEND, ctx.t("Enviar")), Option(DISCARD, ctx.t("No enviar")))
        return Outcome([Reply("\n".join(lines), options)], step="confirming", state=state)

    async def _finish(self, ctx: FlowContext, state: DialogueState, answer: Answer) -> Outcome:
        if answer.option == DISCARD:
            return Outcome([Reply(ctx.t("Listo, no guardé sus respuestas."))])
        if answer.option != SEND:
            return self._confirm(ctx, state)
        items = [
            AnswerInput(int(n), a.text, a.choice)
            for n, a in sorted(state.answers.items(), key=lambda item: int(item[0]))
        ]
        await dialogues.record_answers(
            ctx.session,
            parish_code=state.parish,
            session_id=state.session_id,
            contact_id=ctx.contact.id,
            answers=items,
            now=ctx.now,
        )
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "¡Gracias! Guardamos sus {count} respuestas para {parish}. El equipo "
                        "distrital las revisa y los compromisos se publican en «Compromisos en "
                        "mi parroquia». Si conoce a alguien que no recibe los servicios, "
                        "cuéntenos en «Conozco a alguien que no recibe los servicios».",
                        count=len(items),
                        parish=state.parish_label,
                    )
                )
            ]
        )


def _with_notes(notes: tuple[str, ...], outcome: Outcome) -> Outcome:
    """`outcome` with the notes about a shortened answer shown before its question."""
    if not notes:
        return outcome
    replies = [Reply("\n".join(notes)), *outcome.replies]
    return Outcome(replies, step=outcome.step, state=outcome.state)
