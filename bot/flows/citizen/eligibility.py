"""«¿Califico para un bono o pensión?»: a few questions, then an orientation per programme.

The answer never promises: each programme "puede corresponderle" or "no parece corresponderle",
with the reason that decided it, the one next step, and that selection and payment are the
ministry's. Transfers that cannot be combined are shown as alternatives with the rule's source.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from bot.domain.programmes import programme_name
from bot.flows.answers import parse_int
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler

MAX_CHILDREN = 20


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
        return Reply(ctx.t("¿Cuántos años tiene esa persona? Escriba solo el número."))

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
        }

    async def _asking_age(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        age = parse_int(
            answer.text,
            low=0,
            high=MAX_AGE,
            out_of_range=N_(
                "Una edad de {value} años no es posible. Escriba la edad en años, "
                "entre {low} y {high}."
            ),
        )
        state = replace(state, age=age)
        return self._ask_rs(ctx, state)

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
        state = replace(state, under5=_children(answer.text))
        text = ctx.t("¿Y cuántos hijos de 5 a 17 años? Escriba 0 si ninguno.")
        return Outcome([Reply(text)], step="asking_5to18", state=state)

    async def _asking_5to18(
        self, ctx: FlowContext, state: EligibilityState, answer: Answer
    ) -> Outcome:
        state = replace(state, age5to18=_children(answer.text))
        return self._ask_disability(ctx, state)

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
        state = replace(state, disability=_percent(answer.text))
        return self._ask_care(ctx, state)

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
        state = replace(state, care_percent=_percent(answer.text))
        return self._result(ctx, state)

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
    raw = (text or "").strip().replace(",", ".")
    try:
        score = Decimal(raw)
    except InvalidOperation:
        raise DomainError(
            N_("Elija una opción o escriba su puntaje del Registro Social (un número de 0 a 100).")
        ) from None
    if not score.is_finite() or not 0 <= score <= 100:
        raise DomainError(N_("El puntaje del Registro Social va de 0 a 100."))
    return score


def _children(text: str) -> int:
    return parse_int(
        text,
        low=0,
        high=MAX_CHILDREN,
        out_of_range=N_("Escriba un número de hijos entre {low} y {high}."),
    )


def _percent(text: str) -> int:
    return parse_int(
        text.replace("%", ""),
        low=1,
        high=100,
        out_of_range=N_("El porcentaje va de {low} a {high}; usted escribió {value}."),
    )
