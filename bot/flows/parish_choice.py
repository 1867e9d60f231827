"""Asking a citizen for their parish by name: forgiving lookup, nearest names on a miss.

Shared by the events, dialogue, left-out-person and commitments flows, whose «asking_parish»
step is `parish_step`: a miss asks again (state unchanged), a parish found is remembered on the
contact and handed to the flow's continuation. A typed name is looked up with
`TerritoryDirectory.find`; a canton name resolves to its cabecera parish; several homonyms or an
unknown name get buttons with the candidates («place:<code>»), labelled with canton and
province; «San José, Chambo» narrows homonyms by canton.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.flows.understanding import other_question, ways_out
from bot.services.territory import Place

PREFIX = "place:"
ASKING_PARISH = "asking_parish"


@dataclass(frozen=True)
class ParishAnswer:
    """Either the parish the citizen meant, or the reply that asks again."""

    place: Place | None
    reply: Reply | None


def parish_question(ctx: FlowContext, intro: str | None = None) -> Reply:
    """Asks for the parish, offering the contact's known parish as a button."""
    text = ctx.t("Escriba el nombre de su parroquia (por ejemplo: Tacamoros).")
    if intro:
        text = f"{intro}\n{text}"
    options: tuple[Option, ...] = ()
    known = ctx.services.territory.get(ctx.contact.parish_code or "")
    if known is not None:
        options = (Option(PREFIX + known.code, known.label),)
    return Reply(text, options)


def resolve_parish(ctx: FlowContext, answer: Answer) -> ParishAnswer:
    """Turns the citizen's answer into a parish, or a reply with the nearest names."""
    territory = ctx.services.territory
    if answer.option and answer.option.startswith(PREFIX):
        place = territory.get(answer.option.removeprefix(PREFIX))
        if place is not None and place.kind == "parish":
            return ParishAnswer(place, None)
    match = territory.find(answer.text, kinds=("parish",))
    if len(match.places) == 1:
        return ParishAnswer(match.places[0], None)
    if match.places:
        options = tuple(Option(PREFIX + p.code, p.label) for p in match.places)
        text = ctx.t("Hay varias parroquias con ese nombre. ¿Cuál es la suya?")
        if match.more:
            text += "\n" + ctx.t(
                "Si no está en la lista, escriba el nombre y su cantón. "
                "Por ejemplo: San José, Chambo"
            )
        return ParishAnswer(None, Reply(text, options))
    if match.suggestions:
        options = tuple(Option(PREFIX + p.code, p.label) for p in match.suggestions)
        names = ", ".join(p.name for p in match.suggestions)
        return ParishAnswer(
            None,
            Reply(
                ctx.t(
                    "No encontré la parroquia «{name}». Las más parecidas son: {names}. "
                    "Elija la suya o escriba el nombre otra vez.",
                    name=answer.text.strip()[:60],
                    names=names,
                ),
                options,
            ),
        )
    return ParishAnswer(
        None,
        Reply(
            ctx.t(
                "No encontré ninguna parroquia con el nombre «{name}». Revise cómo se escribe "
                "e intente otra vez.",
                name=answer.text.strip()[:60],
            ),
            ways_out(ctx),
        ),
    )


def remember_parish(ctx: FlowContext, place: Place) -> None:
    """Keeps the parish on the contact when it had none, so the next flow can offer it."""
    if ctx.contact.parish_code is None:
        ctx.contact.parish_code = place.code


async def parish_step(
    ctx: FlowContext,
    state: object,
    answer: Answer,
    chosen: Callable[[Place], Awaitable[Outcome]],
    current_flow: str = "",
) -> Outcome:
    """The shared «asking_parish» step: asks again on a miss (offering to go to another flow when
    the answer is clearly another question), else goes on with the parish."""
    found = resolve_parish(ctx, answer)
    if found.place is None:
        assert found.reply is not None
        reply = found.reply
        other = None if answer.option else other_question(ctx, answer.text, current_flow)
        if other is not None:
            # «mi hijo tiene discapacidad, hay bono?» while asked for the parish: a question,
            # not a place. The citizen may go there, or choose or type the parish.
            text = ctx.t(
                "Parece que me pregunta otra cosa. Puede ir a esa opción, o escribir el nombre "
                "de su parroquia para seguir."
            )
            reply = Reply(text, (other, *reply.options))
        return Outcome([reply], step=ASKING_PARISH, state=state)
    remember_parish(ctx, found.place)
    return await chosen(found.place)
