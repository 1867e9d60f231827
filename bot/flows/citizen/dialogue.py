"""«Diálogo Ciudadano»: the four generating questions, tied to the citizen's parish.

The citizen names their parish; if staff opened a dialogue session there, the answers belong to
it, else the dialogue stands open all year. Questions 1–3 take short free text (refused, never
cut, over `MAX_ANSWER_CHARS`); question 4 is a choice of channel with its reason. Nothing is
stored until the citizen confirms.
"""

from __future__ import annotations

from typing import Any

from bot.domain.dialogue import (
    CHANNEL_CHOICES,
    MAX_ANSWER_CHARS,
    channel_answer,
    check_length,
    question,
)
from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.flows.parish_choice import parish_question, remember_parish, resolve_parish
from bot.services import dialogues
from bot.services.dialogues import AnswerInput

SKIP = "skip"
SEND = "send"
DISCARD = "discard"
TEXT_STEPS = {"asking_alerts": 1, "asking_needs": 2, "asking_suggestions": 3}
NEXT_STEP = {1: "asking_needs", 2: "asking_suggestions", 3: "asking_channel"}


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

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("Diálogo Ciudadano: alertas y sugerencias")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Explains the dialogue and asks for the parish."""
        intro = ctx.t(
            "Diálogo Ciudadano: cuéntenos qué problemas ve en los servicios del {ministry}, "
            "qué necesita su comunidad y cómo mejorar. Son 4 preguntas.",
            ministry=ctx.settings.ministry_name,
        )
        return Outcome([parish_question(ctx, intro)], step="asking_parish")

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Handles the parish, each question, the channel's reason and the confirmation."""
        if step == "asking_parish":
            return await self._parish(ctx, data, answer)
        if step in TEXT_STEPS:
            number = TEXT_STEPS[step]
            if answer.option != SKIP:
                text = check_length(answer.text, MAX_ANSWER_CHARS)
                data.setdefault("answers", {})[str(number)] = {"text": text, "choice": None}
            return self._ask(ctx, NEXT_STEP[number], data)
        if step == "asking_channel":
            return self._channel(ctx, data, answer)
        if step == "asking_reason":
            reason = "" if answer.option == SKIP else check_length(answer.text, MAX_ANSWER_CHARS)
            label = str(data.pop("channel_label"))
            data.setdefault("answers", {})["4"] = {
                "text": check_length(channel_answer(label, reason), MAX_ANSWER_CHARS),
                "choice": data.pop("channel_choice"),
            }
            return self._confirm(ctx, data)
        if step == "confirming":
            return await self._finish(ctx, data, answer)
        return await self.start(ctx, {})

    async def _parish(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        found = resolve_parish(ctx, answer)
        if found.place is None:
            assert found.reply is not None
            return Outcome([found.reply], step="asking_parish", data=data)
        place = found.place
        remember_parish(ctx, place)
        current = await dialogues.current_session(ctx.session, place.code)
        data.update(parish=place.code, parish_label=place.label, answers={})
        if current is not None:
            data["session_id"] = current.id
            note = ctx.t("Sus respuestas se suman al «{title}».", title=current.title)
        else:
            data["session_id"] = None
            note = ctx.t(
                "El Diálogo Ciudadano de {parish} está abierto todo el año: sus respuestas "
                "llegan a la dirección distrital.",
                parish=place.label,
            )
        outcome = self._ask(ctx, "asking_alerts", data)
        return Outcome([Reply(note), *outcome.replies], step=outcome.step, data=outcome.data)

    def _ask(self, ctx: FlowContext, step: str, data: dict[str, Any]) -> Outcome:
        if step == "asking_channel":
            q = question(4)
            options = tuple(Option(key, ctx.t(label)) for key, label in CHANNEL_CHOICES)
            text = ctx.t(q.text) + "\n" + ctx.t("Elija una opción o escriba la suya.")
            return Outcome([Reply(text, (*options, Option(SKIP, ctx.t("Omitir"))))], step, data)
        q = question(TEXT_STEPS[step])
        text = (
            ctx.t(q.text)
            + "\n"
            + ctx.t(
                "Responda en pocas palabras (hasta {limit} caracteres).", limit=MAX_ANSWER_CHARS
            )
        )
        return Outcome([Reply(text, (Option(SKIP, ctx.t("Omitir")),))], step, data)

    def _channel(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        if answer.option == SKIP:
            return self._confirm(ctx, data)
        labels = dict(CHANNEL_CHOICES)
        if answer.option in labels:
            data["channel_choice"] = answer.option
            data["channel_label"] = labels[answer.option]  # stored in Spanish, as the matrix
            reply = Reply(ctx.t("¿Por qué prefiere ese medio?"), (Option(SKIP, ctx.t("Omitir")),))
            return Outcome([reply], step="asking_reason", data=data)
        text = check_length(answer.text, MAX_ANSWER_CHARS)
        data.setdefault("answers", {})["4"] = {"text": text, "choice": "otro"}
        return self._confirm(ctx, data)

    def _confirm(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        answers: dict[str, dict[str, Any]] = data.get("answers", {})
        if not answers:
            return Outcome([Reply(ctx.t("No respondió ninguna pregunta, así que no guardé nada."))])
        lines = [ctx.t("Sus respuestas para {parish}:", parish=data["parish_label"])]
        for number in sorted(answers, key=int):
            text = str(answers[number]["text"])
            preview = text if len(text) <= 200 else text[:200] + "…"
            lines.append(f"{number}. {preview}")
        lines.append(ctx.t("¿Las envío?"))
        options = (Option(SEND, ctx.t("Enviar")), Option(DISCARD, ctx.t("No enviar")))
        return Outcome([Reply("\n".join(lines), options)], step="confirming", data=data)

    async def _finish(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        if answer.option == DISCARD:
            return Outcome([Reply(ctx.t("Listo, no guardé sus respuestas."))])
        if answer.option != SEND:
            return self._confirm(ctx, data)
        answers: dict[str, dict[str, Any]] = data.get("answers", {})
        items = [
            AnswerInput(int(n), str(a["text"]), a.get("choice"))
            for n, a in sorted(answers.items(), key=lambda item: int(item[0]))
        ]
        session_id = data.get("session_id")
        await dialogues.record_answers(
            ctx.session,
            parish_code=str(data["parish"]),
            session_id=int(session_id) if session_id is not None else None,
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
                        parish=data["parish_label"],
                    )
                )
            ]
        )
