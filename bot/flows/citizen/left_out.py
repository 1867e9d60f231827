"""«Conozco a alguien que no recibe los servicios»: a left-out person becomes a district case.

The citizen says who (older adult, person with a disability, child, family in extreme poverty),
where (parish), how to reach them and gives consent to be told how the case advances. The case
goes to the district directorate of that parish, or to the national queue while the canton has
no district mapping; the citizen gets the case number either way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.dialogue import MAX_ANSWER_CHARS, MAX_CONTACT_CHARS, PERSON_CATEGORIES, check_length
from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.flows.parish_choice import parish_question, remember_parish, resolve_parish
from bot.services import audit
from bot.services.cases import NOTIFY_CHANNELS, open_case
from bot.services.territory import Office

YES = "yes"
NO = "no"


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

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("Conozco a alguien que no recibe los servicios")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Asks who the person is."""
        options = tuple(Option(key, ctx.t(label)) for key, label in PERSON_CATEGORIES)
        text = ctx.t(
            "Gracias por ayudarnos a llegar a quien lo necesita. ¿Quién es la persona que no "
            "recibe los servicios?"
        )
        return Outcome([Reply(text, options)], step="asking_who")

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Who → parish → situation → how to reach them → consent → case."""
        if step == "asking_who":
            return self._who(ctx, data, answer)
        if step == "asking_parish":
            found = resolve_parish(ctx, answer)
            if found.place is None:
                assert found.reply is not None
                return Outcome([found.reply], step="asking_parish", data=data)
            remember_parish(ctx, found.place)
            data.update(parish=found.place.code)
            text = ctx.t(
                "Cuéntenos brevemente su situación: su nombre si lo sabe y qué servicio o bono "
                "cree que necesita (hasta {limit} caracteres).",
                limit=MAX_ANSWER_CHARS,
            )
            return Outcome([Reply(text)], step="asking_situation", data=data)
        if step == "asking_situation":
            data["situation"] = check_length(answer.text, MAX_ANSWER_CHARS)
            text = ctx.t(
                "¿Cómo la podemos ubicar? Escriba el sector o comunidad, una referencia de la "
                "casa o un teléfono (hasta {limit} caracteres).",
                limit=MAX_CONTACT_CHARS,
            )
            return Outcome([Reply(text)], step="asking_whereabouts", data=data)
        if step == "asking_whereabouts":
            data["whereabouts"] = check_length(answer.text, MAX_CONTACT_CHARS)
            return self._consent(ctx, data)
        if step == "asking_consent":
            if answer.option not in (YES, NO):
                return self._consent(ctx, data)
            return await self._open(ctx, data, consent=answer.option == YES)
        return await self.start(ctx, {})

    def _who(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        labels = dict(PERSON_CATEGORIES)
        if answer.option not in labels:
            options = tuple(Option(key, ctx.t(label)) for key, label in PERSON_CATEGORIES)
            text = ctx.t("Elija una de las opciones, por favor: ¿quién es la persona?")
            return Outcome([Reply(text, options)], step="asking_who", data=data)
        data["category"] = answer.option
        place_hint = ctx.t("¿En qué parroquia vive?")
        return Outcome([parish_question(ctx, place_hint)], step="asking_parish", data=data)

    def _consent(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        text = ctx.t(
            "El equipo de la dirección distrital visitará o llamará a la persona para verificar "
            "su situación. ¿Acepta que guardemos este chat para avisarle a usted cómo avanza "
            "el caso?"
        )
        options = (
            Option(YES, ctx.t("Sí, avísenme")),
            Option(NO, ctx.t("No, solo registren el caso")),
        )
        return Outcome([Reply(text, options)], step="asking_consent", data=data)

    async def _open(self, ctx: FlowContext, data: dict[str, Any], *, consent: bool) -> Outcome:
        place = ctx.services.territory.get(str(data["parish"]))
        assert place is not None
        case = await open_case(
            ctx.session,
            kind="excluido",
            now=ctx.now,
            district_code=place.district_code,
            parish_code=place.code,
            description=str(data["situation"]),
            person_category=str(data["category"]),
            contact_info=str(data["whereabouts"]),
            reporter_contact_id=ctx.contact.id if consent else None,
            reporter_consent=consent,
        )
        await audit.record(
            ctx.session,
            at=ctx.now,
            actor_kind="citizen",
            actor=f"{ctx.channel}:{ctx.address}",
            action="case_reported",
            target=case.number,
            outcome="nuevo",
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
