"""«Conozco a alguien que no recibe los servicios»: a left-out person becomes a district case.

The citizen says who (older adult, person with a disability, child, family in extreme poverty),
where (parish), how to reach them and gives consent to be told how the case advances. The case
goes to the district directorate of that parish, or to the national queue while the canton has
no district mapping; the citizen gets the case number either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from bot.domain.dialogue import MAX_ANSWER_CHARS, MAX_CONTACT_CHARS, PERSON_CATEGORIES
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.flows.long_answers import keep_up_to_limit
from bot.flows.parish_choice import ASKING_PARISH, parish_question, parish_step
from bot.services.cases import NOTIFY_CHANNELS, open_citizen_case
from bot.services.territory import Office, Place

YES = "yes"
NO = "no"


@dataclass(frozen=True)
class LeftOutState:
    """Who the person is, where they live, their situation and how to reach them."""

    category: str = ""
    parish: str = ""
    situation: str = ""
    whereabouts: str = ""


class LeftOutFlow:
    """Records a person who does not receive the services they may need, as a case."""

    name = "excluido"
    in_menu = True
    commands = ("/excluido",)
    keywords = (
        "conozco a alguien",
        "no recibe los servicios",
        "no recibe ningun bono",
        "no recibe el bono",
        "no recibe ayuda",
        "persona abandonada",
    )
    state_type = LeftOutState
    asks_before_leaving = True  # «menú» with answers typed asks before discarding them

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("Conozco a alguien que no recibe los servicios")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Asks who the person is."""
        options = tuple(Option(key, ctx.t(label)) for key, label in PERSON_CATEGORIES)
        text = ctx.t(
            "Gracias por ayudarnos a llegar a quien lo necesita. ¿Quién es la persona que no "
            "recibe los servicios?"
        )
        return Outcome([Reply(text, options)], step="asking_who")

    def steps(self) -> Mapping[str, StepHandler[LeftOutState]]:
        """Who → parish → situation → how to reach them → consent → case."""
        return {
            "asking_who": self._who,
            ASKING_PARISH: self._parish,
            "asking_situation": self._situation,
            "asking_whereabouts": self._whereabouts,
            "asking_consent": self._consent_answer,
        }

    async def _who(self, ctx: FlowContext, state: LeftOutState, answer: Answer) -> Outcome:
        labels = dict(PERSON_CATEGORIES)
        if answer.option not in labels:
            options = tuple(Option(key, ctx.t(label)) for key, label in PERSON_CATEGORIES)
            text = ctx.t("Elija una de las opciones, por favor: ¿quién es la persona?")
            return Outcome([Reply(text, options)], step="asking_who", state=state)
        state = replace(state, category=answer.option)
        place_hint = ctx.t("¿En qué parroquia vive?")
        return Outcome([parish_question(ctx, place_hint)], step=ASKING_PARISH, state=state)

    async def _parish(self, ctx: FlowContext, state: LeftOutState, answer: Answer) -> Outcome:
        async def chosen(place: Place) -> Outcome:
            text = ctx.t(
                "Cuéntenos brevemente su situación: su nombre si lo sabe y qué servicio o bono "
                "cree que necesita (hasta {limit} caracteres).",
                limit=MAX_ANSWER_CHARS,
            )
            return Outcome(
                [Reply(text)], step="asking_situation", state=replace(state, parish=place.code)
            )

        return await parish_step(ctx, state, answer, chosen, self.name)

    async def _situation(self, ctx: FlowContext, state: LeftOutState, answer: Answer) -> Outcome:
        kept = keep_up_to_limit(ctx, answer, MAX_ANSWER_CHARS)
        state = replace(state, situation=kept.text)
        text = ctx.t(
            "¿Cómo la podemos ubicar? Escriba el sector o comunidad, una referencia de la "
            "casa o un teléfono (hasta {limit} caracteres).",
            limit=MAX_CONTACT_CHARS,
        )
        replies = [Reply(note) for note in kept.notes] + [Reply(text)]
        return Outcome(replies, step="asking_whereabouts", state=state)

    async def _whereabouts(self, ctx: FlowContext, state: LeftOutState, answer: Answer) -> Outcome:
        kept = keep_up_to_limit(ctx, answer, MAX_CONTACT_CHARS)
        outcome = self._consent(ctx, replace(state, whereabouts=kept.text))
        notes = [Reply(note) for note in kept.notes]
        return Outcome([*notes, *outcome.replies], step=outcome.step, state=outcome.state)

    async def _consent_answer(
        self, ctx: FlowContext, state: LeftOutState, answer: Answer
    ) -> Outcome:
        if answer.option not in (YES, NO):
            return self._consent(ctx, state)
        return await self._open(ctx, state, consent=answer.option == YES)

    def _consent(self, ctx: FlowContext, state: LeftOutState) -> Outcome:
        text = ctx.t(
            "El equipo de la dirección distrital visitará o llamará a la persona para verificar "
            "su situación. ¿Acepta que guardemos este chat para avisarle a usted cómo avanza "
            "el caso?"
        )
        options = (
            Option(YES, ctx.t("Sí, avísenme")),
            Option(NO, ctx.t("No, solo registren el caso")),
        )
        return Outcome([Reply(text, options)], step="asking_consent", state=state)

    async def _open(self, ctx: FlowContext, state: LeftOutState, *, consent: bool) -> Outcome:
        place = ctx.services.territory.get(state.parish)
        assert place is not None
        case = await open_citizen_case(
            ctx.session,
            actor=f"{ctx.channel}:{ctx.address}",
            audit_action="case_reported",
            audit_outcome="nuevo",
            kind="excluido",
            now=ctx.now,
            district_code=place.district_code,
            parish_code=place.code,
            description=state.situation,
            person_category=state.category,
            contact_info=state.whereabouts,
            reporter_contact_id=ctx.contact.id if consent else None,
            reporter_consent=consent,
        )
        office = ctx.services.territory.office_for(place)
        lines = [
            ctx.t("Registramos el caso {number}.", number=case.number),
            who_reviews(ctx, office, case.due_on),
        ]
        if office is None:
            lines.append(
                ctx.t(
                    "Aún no tenemos registrada la dirección distrital que atiende a {place}; "
                    "el equipo nacional le asignará la que corresponda.",
                    place=place.label,
                )
            )
        if consent and ctx.channel in NOTIFY_CHANNELS:
            lines.append(ctx.t("Le avisaremos por este medio cada vez que cambie su estado."))
        elif consent:
            lines.append(
                ctx.t(
                    "Este canal no recibe avisos; consulte su caso llamando al {phone}.",
                    phone=ctx.settings.call_centre,
                )
            )
        else:
            lines.append(
                ctx.t(
                    "No le enviaremos avisos. Guarde el número del caso para consultarlo "
                    "al {phone}.",
                    phone=ctx.settings.call_centre,
                )
            )
        return Outcome([Reply("\n".join(lines))])


def who_reviews(ctx: FlowContext, office: Office | None, due_on: date | None) -> str:
    """Tells the citizen who reviews a new case and by when: the district office or the nation.

    A case of a place without a district goes to the national queue, which national staff
    list with «/casos»; the citizen is told so instead of being promised a district office.
    """
    due = ctx.tr.date(due_on, "long") if due_on else ""
    if office is not None:
        return ctx.t(
            "La Dirección Distrital {code} – {name} lo revisará hasta el {due}.",
            code=office.code,
            name=office.name,
            due=due,
        )
    return ctx.t("El equipo nacional del MIES lo revisará hasta el {due}.", due=due)
