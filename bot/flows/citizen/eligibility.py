"""«¿Califico para un bono o pensión?»: a few questions, then an orientation per programme.

The answer never promises: each programme "puede corresponderle" or "no parece corresponderle",
with the reason that decided it, the one next step, and that selection and payment are the
ministry's. Transfers that cannot be combined are shown as alternatives with the rule's source.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from bot.domain.eligibility import (
    MAX_AGE,
    NUMBER_PARAMS,
    Affiliation,
    CareKind,
    Household,
    Likelihood,
    Reason,
    RsLevel,
    Verdict,
    alternatives,
    asks_about_children,
    evaluate,
    load_rules,
    rs_level_from_score,
)
from bot.domain.errors import N_, DomainError
from bot.domain.numbers_in_text import AGE_UNITS, PERCENT_UNITS, NumberReading, read_number
from bot.domain.programmes import programme_name
from bot.domain.yes_no import YesNo, read_yes_no
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler

MAX_CHILDREN = 20
_DECIMAL = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class NumberQuestion:
    """A question answered with a number: the range it expects, the units that may follow the
    number («años», «%»), and what the flow does with the value."""

    low: int
    high: int
    units: tuple[str, ...]
    apply: Callable[[FlowContext, EligibilityState, int], Awaitable[Outcome]]


@dataclass(frozen=True)
class EligibilityState:
    """The answers so far; `typed_score` is a typed Registro Social score awaiting its «Sí»."""

    age: int | None = None
    rs_level: str | None = None
    rs_score: str | None = None
    typed_score: str | None = None
    affiliation: str | None = None
    pregnancy: bool = False
    under2: bool = False
    under5: int | None = None
    age5to18: int | None = None
    disability: int | None = None
    care: str | None = None
    care_percent: int | None = None
    # A number read out of the range its question expects, awaiting the citizen's «Sí».
    pending_value: int | None = None
    pending_for: str | None = None


class EligibilityFlow:
    """Asks only the questions the rules need and explains each programme's likelihood."""

    name = "califico"
    in_menu = True
    commands = ("/califico", "/elegibilidad")
    keywords = (
        "califico",
        "calificar",
        "quiero el bono",
        "quiero un bono",
        "quiero la pension",
        "bono para mi",
        "pension para mi",
        "requisitos",
        "como obtener",
        "como acceder",
        "como aplicar",
        "acceder al bono",
        "tengo derecho",
        "me corresponde",
        "mis mejores anos",
        "joaquin gallegos",
        "toda una vida",
        "pension de adultos mayores",
        "pension para adultos mayores",
        "pension por discapacidad",
        "bono por discapacidad",
    )
    state_type = EligibilityState

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("¿Califico para un bono o pensión?")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Explains the orientation and asks the age."""
        intro = ctx.t(
            "Le haré unas preguntas cortas para orientarle sobre bonos y pensiones. "
            "Puede responder por la persona que recibiría el bono (por ejemplo, su mamá)."
        )
        return Outcome([Reply(intro), self._ask_age(ctx)], step="asking_age")

    def _ask_age(self, ctx: FlowContext) -> Reply:
        return Reply(ctx.t("¿Cuántos años tiene esa persona?"))

    def steps(self) -> Mapping[str, StepHandler[EligibilityState]]:
        """Each step records its answer and asks the next needed question."""
        return {
            "asking_age": self._asking_age,
            "asking_rs": self._asking_rs,
            "confirming_score": self._confirming_score,
            "asking_affiliation": self._asking_affiliation,
            "asking_pregnancy": self._asking_pregnancy,
            "asking_under5": self._asking_under5,
            "asking_5to18": self._asking_5to18,
            "asking_disability": self._asking_disability,
            "asking_disability_percent": self._asking_disability_percent,
            "asking_care": self._asking_care,
            "asking_care_percent": self._asking_care_percent,
            "confirming_number": self._confirming_number,
        }

    def _numbers(self) -> dict[str, NumberQuestion]:
        """The questions answered with a number: range, units and what the value does."""
        return {
            "asking_age": NumberQuestion(0, MAX_AGE, AGE_UNITS, self._with_age),
            "asking_under5": NumberQuestion(0, MAX_CHILDREN, (), self._with_under5),
            "asking_5to18": NumberQuestion(0, MAX_CHILDREN, (), self._with_5to18),
            "asking_disability_percent": NumberQuestion(
                1, 100, PERCENT_UNITS, self._with_disability
            ),
            "asking_care_percent": NumberQuestion(1, 100, PERCENT_UNITS, self._with_care_percent),
        }

    async def _number_step(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer, step: str
    ) -> Outcome:
        """Reads the number inside the answer («72 añitos», «tiene 80», «el 45 por ciento»);
        one out of range is read back and confirmed, never refused or used unseen."""
        question = self._numbers()[step]
        reading = read_number(
            answer.text, low=question.low, high=question.high, units=question.units
        )
        if reading is None:
            said = read_yes_no(answer.text)
            if question.units is not PERCENT_UNITS and said is YesNo.NO:
                reading = NumberReading(0, question.low == 0)  # «ninguno», «no»: no children
            elif question.units is PERCENT_UNITS and said is YesNo.UNKNOWN:
                return await self._percent_unknown(ctx, state, step)
            else:
                raise DomainError(
                    N_("Escriba el número, por ejemplo {example}."), example=question.low + 2
                )
        if reading.in_range:
            return await question.apply(ctx, state, reading.value)
        text = ctx.t(
            "Entendí {value}, y esperaba un número de {low} a {high}. ¿Es correcto?",
            value=reading.value,
            low=question.low,
            high=question.high,
        )
        options = (
            Option("si", ctx.t("Sí, es {value}", value=reading.value)),
            Option("no", ctx.t("No, lo escribo otra vez")),
        )
        pending = replace(state, pending_value=reading.value, pending_for=step)
        return Outcome([Reply(text, options)], step="confirming_number", state=pending)

    async def _confirming_number(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        step = state.pending_for or "asking_age"
        question = self._numbers().get(step, self._numbers()["asking_age"])
        value = state.pending_value or 0
        state = replace(state, pending_value=None, pending_for=None)
        if answer.option == "si":
            # Confirmed: the nearest value the rules know («tiene 130» is a very old person).
            return await question.apply(ctx, state, min(max(value, question.low), question.high))
        if answer.option != "no":
            raise DomainError(N_("Responda «Sí» o «No», por favor."))
        again = ctx.t("Está bien. Escríbalo otra vez, por favor.")
        return Outcome([Reply(again)], step=step, state=state)

    async def _percent_unknown(
        self, ctx: FlowContext, state: EligibilityState, step: str
    ) -> Outcome:
        """«No sé» the percentage: where to find it, and the orientation goes on without it."""
        note = Reply(
            ctx.t(
                "El porcentaje está en el carné de discapacidad o en el certificado del "
                "Ministerio de Salud. Sigo sin él: revise los programas por discapacidad "
                "cuando lo tenga."
            )
        )
        if step == "asking_care_percent":
            outcome = self._result(ctx, replace(state, care_percent=None))
        else:
            outcome = self._ask_care(ctx, replace(state, disability=None))
        return Outcome([note, *outcome.replies], step=outcome.step, state=outcome.state)

    async def _asking_age(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        return await self._number_step(ctx, state, answer, "asking_age")

    async def _with_age(self, ctx: FlowContext, state: EligibilityState, age: int) -> Outcome:
        return self._ask_rs(ctx, replace(state, age=age))

    def _ask_rs(self, ctx: FlowContext, state: EligibilityState) -> Outcome:
        text = ctx.t(
            "¿Cómo está su hogar en el Registro Social? Elija una opción. "
            "Si conoce su puntaje (de 0 a 100), escríbalo."
        )
        options = (
            Option(RsLevel.EXTREME, ctx.t("Extrema pobreza")),
            Option(RsLevel.POVERTY, ctx.t("Pobreza")),
            Option(RsLevel.NOT_POOR, ctx.t("No estoy en pobreza")),
            Option(RsLevel.UNKNOWN, ctx.t("No sé / no estoy registrado")),
        )
        return Outcome([Reply(text, options)], step="asking_rs", state=state)

    async def _asking_rs(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        if answer.option in set(RsLevel):
            state = replace(state, rs_level=answer.option, rs_score=None)
            return self._ask_affiliation(ctx, state)
        # A bare number is read back before it is used: «9» may be a typo or a level.
        state = replace(state, typed_score=str(_score(answer.text)))
        return self._ask_score_confirmation(ctx, state)

    def _ask_score_confirmation(self, ctx: FlowContext, state: EligibilityState) -> Outcome:
        score = ctx.tr.number(Decimal(state.typed_score or "0"))
        text = ctx.t("¿Su puntaje del Registro Social es {score}?", score=score)
        options = (Option("si", ctx.t("Sí")), Option("no", ctx.t("No")))
        return Outcome([Reply(text, options)], step="confirming_score", state=state)

    async def _confirming_score(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        if answer.option == "si":
            score = Decimal(state.typed_score or "")
            level = rs_level_from_score(score, load_rules()).value
            state = replace(state, typed_score=None, rs_score=str(score), rs_level=level)
            return self._ask_affiliation(ctx, state)
        if answer.option != "no":
            raise DomainError(N_("Responda «Sí» o «No», por favor."))
        state = replace(state, typed_score=None)
        outcome = self._ask_rs(ctx, state)
        again = Reply(ctx.t("Está bien. Elija una opción o escriba el puntaje otra vez."))
        return Outcome([again, *outcome.replies], step=outcome.step, state=outcome.state)

    def _ask_affiliation(self, ctx: FlowContext, state: EligibilityState) -> Outcome:
        text = ctx.t("¿Está afiliado al IESS, ISSFA o ISSPOL, o recibe una pensión de jubilación?")
        options = (
            Option(Affiliation.NONE, ctx.t("No, ninguna")),
            Option(
                Affiliation.CAMPESINO, ctx.t("Seguro Campesino o trabajo del hogar no remunerado")
            ),
            Option(Affiliation.CONTRIBUTORY, ctx.t("Sí, IESS, ISSFA, ISSPOL o jubilación")),
        )
        return Outcome([Reply(text, options)], step="asking_affiliation", state=state)

    async def _asking_affiliation(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        if answer.option not in set(Affiliation):
            raise DomainError(N_("Elija una de las opciones, por favor."))
        state = replace(state, affiliation=answer.option)
        if asks_about_children(state.age or 0):
            text = ctx.t("¿En su hogar hay una mujer embarazada o un niño o niña menor de 2 años?")
            options = (
                Option("no", ctx.t("No")),
                Option("embarazo", ctx.t("Sí, un embarazo")),
                Option("menor2", ctx.t("Sí, un niño o niña menor de 2 años")),
            )
            return Outcome([Reply(text, options)], step="asking_pregnancy", state=state)
        return self._ask_disability(ctx, state)

    async def _asking_pregnancy(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        if answer.option not in ("embarazo", "menor2", "no"):
            raise DomainError(N_("Elija una de las opciones, por favor."))
        state = replace(
            state, pregnancy=answer.option == "embarazo", under2=answer.option == "menor2"
        )
        text = ctx.t("¿Cuántos hijos menores de 5 años tiene en su hogar? Escriba 0 si ninguno.")
        return Outcome([Reply(text)], step="asking_under5", state=state)

    async def _asking_under5(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        return await self._number_step(ctx, state, answer, "asking_under5")

    async def _with_under5(self, ctx: FlowContext, state: EligibilityState, count: int) -> Outcome:
        text = ctx.t("¿Y cuántos hijos de 5 a 17 años? Escriba 0 si ninguno.")
        return Outcome([Reply(text)], step="asking_5to18", state=replace(state, under5=count))

    async def _asking_5to18(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        return await self._number_step(ctx, state, answer, "asking_5to18")

    async def _with_5to18(self, ctx: FlowContext, state: EligibilityState, count: int) -> Outcome:
        return self._ask_disability(ctx, replace(state, age5to18=count))

    def _ask_disability(self, ctx: FlowContext, state: EligibilityState) -> Outcome:
        text = ctx.t("¿La persona tiene una discapacidad con carné o certificado?")
        options = (Option("si", ctx.t("Sí")), Option("no", ctx.t("No")))
        return Outcome([Reply(text, options)], step="asking_disability", state=state)

    async def _asking_disability(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        if answer.option == "si":
            text = ctx.t("¿Qué porcentaje de discapacidad dice el certificado? (de 1 a 100)")
            return Outcome([Reply(text)], step="asking_disability_percent", state=state)
        if answer.option != "no":
            raise DomainError(N_("Responda «Sí» o «No», por favor."))
        state = replace(state, disability=None)
        return self._ask_care(ctx, state)

    async def _asking_disability_percent(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        return await self._number_step(ctx, state, answer, "asking_disability_percent")

    async def _with_disability(
        self, ctx: FlowContext, state: EligibilityState, percent: int
    ) -> Outcome:
        return self._ask_care(ctx, replace(state, disability=percent))

    def _ask_care(self, ctx: FlowContext, state: EligibilityState) -> Outcome:
        text = ctx.t(
            "¿Cuida usted a una persona con discapacidad severa o con una enfermedad "
            "catastrófica o rara?"
        )
        options = (
            Option(CareKind.NONE, ctx.t("No")),
            Option(CareKind.INTELLECTUAL, ctx.t("Sí: discapacidad intelectual o psicosocial")),
            Option(CareKind.PHYSICAL, ctx.t("Sí: discapacidad física")),
            Option(CareKind.CATASTROPHIC, ctx.t("Sí: enfermedad catastrófica o rara")),
            Option(CareKind.CHILD_HIV, ctx.t("Sí: niño o niña con VIH")),
        )
        return Outcome([Reply(text, options)], step="asking_care", state=state)

    async def _asking_care(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        if answer.option not in set(CareKind):
            raise DomainError(N_("Elija una de las opciones, por favor."))
        state = replace(state, care=answer.option)
        if answer.option in (CareKind.INTELLECTUAL, CareKind.PHYSICAL):
            text = ctx.t("¿Qué porcentaje de discapacidad tiene la persona que usted cuida?")
            return Outcome([Reply(text)], step="asking_care_percent", state=state)
        return self._result(ctx, state)

    async def _asking_care_percent(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        return await self._number_step(ctx, state, answer, "asking_care_percent")

    async def _with_care_percent(
        self, ctx: FlowContext, state: EligibilityState, percent: int
    ) -> Outcome:
        return self._result(ctx, replace(state, care_percent=percent))

    def _result(self, ctx: FlowContext, state: EligibilityState) -> Outcome:
        rules = load_rules()
        household = _household(state)
        verdicts = evaluate(rules, household)
        choices = alternatives(rules, verdicts)
        replies: list[Reply] = []
        if len(choices) > 1:
            rule = ctx.t(
                "Regla: {source}.",
                source=ctx.t(rules.source_title(rules.combination.source)),
            )
            replies.append(Reply(ctx.t(rules.texts.not_combined) + "\n" + rule))
        positive = [v for v in verdicts if v.likelihood is not Likelihood.NO]
        for verdict in positive:
            label = None
            if len(choices) > 1 and verdict in choices:
                label = ctx.t(
                    "Opción {n} de {total}", n=choices.index(verdict) + 1, total=len(choices)
                )
            replies.append(Reply(render_verdict(ctx, verdict, label)))
        if not positive:
            replies.append(
                Reply(ctx.t("Con sus respuestas, estos programas no parecen corresponderle."))
            )
        others = [v for v in verdicts if v.likelihood is Likelihood.NO]
        if others:
            lines = [ctx.t("No parece corresponderle:")]
            lines += [
                f"• {ctx.t(programme_name(v.programme))}: {_reasons(ctx, v.reasons)}"
                for v in others
            ]
            replies.append(Reply("\n".join(lines)))
        closing = [ctx.t(rules.texts.disclaimer)]
        if household.rs_level in (RsLevel.UNKNOWN, RsLevel.NOT_POOR) or household.rs_score:
            closing.append(ctx.t(rules.texts.rs_next_step))
        closing.append(
            ctx.t(
                "Reglas vigentes desde el {date}. Línea gratuita: {phone}.",
                date=ctx.tr.date(rules.effective_date, "long"),
                phone=ctx.settings.call_centre,
            )
        )
        replies.append(Reply("\n".join(closing)))
        return Outcome(replies)


HEADS = {
    Likelihood.LIKELY: N_("🔎 Puede corresponderle: {name}"),
    Likelihood.APPLY: N_("📝 Se pide en el Balcón de Servicios: {name}"),
    Likelihood.POSSIBLE: N_("❔ Podría corresponderle, hay que revisar su caso: {name}"),
}


def _household(state: EligibilityState) -> Household:
    score = state.rs_score
    return Household(
        age=state.age or 0,
        rs_level=RsLevel(str(state.rs_level)),
        affiliation=Affiliation(str(state.affiliation)),
        children_under5=state.under5 or 0,
        children_5to18=state.age5to18 or 0,
        disability_percent=state.disability,
        care_kind=CareKind(state.care or CareKind.NONE),
        care_percent=state.care_percent,
        pregnancy=state.pregnancy,
        child_under2=state.under2,
        rs_score=Decimal(score) if score else None,
    )


def _reason(ctx: FlowContext, reason: Reason) -> str:
    params = {key: _value(ctx, key, value) for key, value in reason.params}
    return ctx.t(reason.template, **params)


def _value(ctx: FlowContext, key: str, value: object) -> object:
    if isinstance(value, Decimal):
        return ctx.tr.number(value) if key in NUMBER_PARAMS else ctx.tr.money(value)
    return value


def _reasons(ctx: FlowContext, reasons: tuple[Reason, ...]) -> str:
    return " ".join(_reason(ctx, r) for r in reasons)


def render_verdict(ctx: FlowContext, verdict: Verdict, label: str | None = None) -> str:
    """One programme's orientation: head, amount, reasons, documents, next step, who decides."""
    rules = load_rules()
    name = ctx.t(programme_name(verdict.programme))
    head = ctx.t(HEADS[verdict.likelihood], name=name)
    lines = [f"{label}. {head}" if label else head]
    if verdict.amount is not None:
        lines.append(ctx.t("Monto: {amount} al mes.", amount=ctx.tr.money(verdict.amount)))
    lines.extend("• " + _reason(ctx, reason) for reason in verdict.reasons)
    lines.append(ctx.t("Documentos:"))
    lines.extend("  – " + ctx.t(doc) for doc in rules.documents[verdict.programme])
    lines.append(ctx.t("Siguiente paso: {step}", step=ctx.t(rules.next_steps[verdict.programme])))
    lines.append(ctx.t(rules.texts.ministry_decides))
    return "\n".join(lines)


def _score(text: str) -> Decimal:
    found = _DECIMAL.search(text or "")  # «mi puntaje es 25,3»
    raw = (found.group(0) if found else (text or "").strip()).replace(",", ".")
    try:
        score = Decimal(raw)
    except InvalidOperation:
        raise DomainError(
            N_("Elija una opción o escriba su puntaje del Registro Social (un número de 0 a 100).")
        ) from None
    if not score.is_finite() or not 0 <= score <= 100:
        raise DomainError(N_("El puntaje del Registro Social va de 0 a 100."))
    return score
