"""Typed questions about one programme («estoy embarazada, hay bono?», «se quemó mi casa»).

Each information flow answers in one message from `bot/data/eligibility.toml` (`[info.<CODE>]`):
what the programme is, the documents, the one next step, who decides and the source with its date;
facts without a public source are marked unconfirmed. Never a promise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.domain.eligibility import load_rules
from bot.domain.programmes import programme_name
from bot.domain.registry import Programme
from bot.flows.base import FlowContext, NoState, Opening, Outcome, Reply, StepHandler


@dataclass(frozen=True)
class ProgrammeInfoFlow:
    """Answers what a programme is and what to do, in one reply; reachable by command or words."""

    programme: Programme
    commands: tuple[str, ...]
    keywords: tuple[str, ...]
    in_menu: bool = False
    state_type = NoState

    @property
    def name(self) -> str:
        """Flow name, e.g. `programa_b1000` (bot/data/intents.toml uses it)."""
        return f"programa_{self.programme.value.lower()}"

    def title(self, ctx: FlowContext) -> str:
        """Label: the programme's name."""
        return ctx.t(programme_name(self.programme))

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Sends the programme's information and returns to the menu."""
        return Outcome([Reply(programme_information(ctx, self.programme))])

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: the flow answers in one message."""
        return {}


def programme_information(ctx: FlowContext, programme: Programme) -> str:
    """The information answer of `programme`, translated."""
    rules = load_rules()
    info = rules.info[programme]
    facts = rules.facts(programme)
    amounts = {
        key: ctx.tr.money(value)
        for key, value in facts.model_dump().items()
        if isinstance(value, Decimal)
    }
    lines = [ctx.t(programme_name(programme))]
    lines.extend("• " + ctx.t(line, **amounts) for line in info.lines)
    for line in info.unconfirmed:
        lines.append("• " + ctx.t(line, **amounts) + " " + ctx.t(rules.texts.unconfirmed))
    lines.append(ctx.t("Documentos:"))
    lines.extend("  – " + ctx.t(doc) for doc in rules.documents[programme])
    lines.append(ctx.t("Siguiente paso: {step}", step=ctx.t(rules.next_steps[programme])))
    lines.append(ctx.t(rules.texts.ministry_decides))
    lines.append(
        ctx.t(
            "Fuente: {source} (datos desde el {date}).",
            source=ctx.t(rules.source_title(facts.source)),
            date=ctx.tr.date(facts.effective, "long"),
        )
    )
    lines.append(ctx.t(rules.texts.disclaimer))
    lines.append(ctx.t("Para saber qué otros bonos pueden corresponderle, escriba /califico."))
    return "\n".join(lines)


def programme_info_flows() -> list[ProgrammeInfoFlow]:
    """One information flow per programme citizens ask about by name or situation."""
    return [
        ProgrammeInfoFlow(
            Programme.B1000,
            ("/bono1000dias", "/1000dias"),
            (
                "embarazada",
                "estoy embarazada",
                "embarazo",
                "bono 1000 dias",
                "1000 dias",
                "mil dias",
                "bono mil dias",
                "infancia con futuro",
                "bono para mi bebe",
                "bono del bebe",
                "recien nacido",
            ),
        ),
        ProgrammeInfoFlow(
            Programme.CC,
            ("/contingencias",),
            (
                "se quemo mi casa",
                "se quemo la casa",
                "se me quemo",
                "incendio",
                "contingencia",
                "cobertura de contingencias",
                "desastre",
                "inundacion",
                "se inundo",
                "perdi mi casa",
                "terremoto",
                "deslave",
                "gastos funerarios",
                "gastos de entierro",
                "ayuda para el entierro",
                "ayuda por fallecimiento",
            ),
        ),
        ProgrammeInfoFlow(
            Programme.CDH,
            ("/credito",),
            (
                "credito de desarrollo humano",
                "credito de desarrollo",
                "credito del bono",
                "credito con el bono",
                "adelanto del bono",
                "prestamo del bono",
                "cdh",
            ),
        ),
        ProgrammeInfoFlow(
            Programme.BOF,
            ("/orfandad",),
            (
                "femicidio",
                "huerfano por femicidio",
                "bono de orfandad",
                "mataron a mi hija",
                "mataron a su mama",
                "muerte violenta",
            ),
        ),
    ]
