"""Eligibility orientation: which programmes may correspond to a person, and why.

Pure rules over a `Household`; thresholds, amounts, documents, sources, effective dates and
confidence tags come from `bot/data/eligibility.toml` (validated at load), so policy changes never
touch code. A verdict is an orientation, never a promise: selection and payment are the ministry's.
Monthly transfers are not added up (one per person): the flow shows them as alternatives.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.errors import N_
from bot.domain.registry import Programme

EVALUATED = (
    Programme.BDH,
    Programme.BDHV,
    Programme.MMA,
    Programme.PAM,
    Programme.PTUV,
    Programme.PPD,
    Programme.BJGL,
    Programme.B1000,
)
# Programmes answered as information (typed questions), not from the questionnaire.
INFORMATION = (Programme.B1000, Programme.CC, Programme.BOF, Programme.CDH)
MAX_AGE = 120
CENT = Decimal("0.01")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# Reason parameters that are numbers (a score, a cut-off), not money.
NUMBER_PARAMS = frozenset({"score", "cutoff"})


class RsLevel(StrEnum):
    """The household's Registro Social classification as the citizen knows it."""

    EXTREME = "extrema_pobreza"
    POVERTY = "pobreza"
    POOR = "pobreza_sin_detalle"  # from a typed score: poor, but extreme or not is unknown
    NOT_POOR = "no_pobre"
    UNKNOWN = "desconocido"


class Affiliation(StrEnum):
    """Social-security situation: none, the non-contributory regimes BDH allows, or contributory."""

    NONE = "ninguna"
    CAMPESINO = "campesino"
    CONTRIBUTORY = "contributiva"


class CareKind(StrEnum):
    """What the person the citizen cares for has (BJGL conditions)."""

    NONE = "ninguno"
    INTELLECTUAL = "intelectual"
    PHYSICAL = "fisica"
    CATASTROPHIC = "catastrofica"
    CHILD_HIV = "vih_menor"


class Likelihood(StrEnum):
    """How a programme fits the answers: an orientation, never a decision."""

    LIKELY = "puede"  # «puede corresponderle»
    APPLY = "solicitar"  # applied for at the Balcón de Servicios, decided after a home visit
    POSSIBLE = "revisar"  # «podría corresponderle»: something is unknown
    NO = "no"  # «no parece corresponderle»


ORDER = {Likelihood.LIKELY: 0, Likelihood.APPLY: 1, Likelihood.POSSIBLE: 2, Likelihood.NO: 3}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a rule comes from."""

    code: str
    title: str
    tag: str = Field(pattern="^[VPDU]$")


class ProgrammeFacts(_Strict):
    """What every programme section carries: its source, since when, and how sure we are."""

    source: str
    effective: date
    tag: str = Field(pattern="^[VPDU]$")


class RsRules(_Strict):
    """Registro Social cut-offs of ONE version of the index (0–100, lower is poorer)."""

    poverty_cutoff: Decimal = Field(ge=0, le=100)
    extreme_poverty_cutoff: Decimal | None = Field(default=None, ge=0, le=100)
    index: str = Field(min_length=1)
    as_of: date
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        extreme = self.extreme_poverty_cutoff
        if extreme is not None and extreme > self.poverty_cutoff:
            raise ValueError("extreme_poverty_cutoff must not exceed poverty_cutoff")
        return self


class CombinationRules(_Strict):
    """Transfers are alternatives (one per person); these programmes are not transfers."""

    source: str
    not_a_transfer: list[Programme]


class BdhRules(ProgrammeFacts):
    """Bono de Desarrollo Humano."""

    amount: Decimal = Field(gt=0)
    min_payee_age: int = Field(ge=0, le=MAX_AGE)
    max_payee_age: int = Field(ge=0, le=MAX_AGE)


class BdhvRules(ProgrammeFacts):
    """BDH with the variable component per child."""

    base: Decimal = Field(gt=0)
    under5_steps: list[Decimal] = Field(min_length=1)
    age5to18_steps: list[Decimal] = Field(min_length=1)
    max_children_per_group: int = Field(ge=1)
    cap: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _steps_cover_the_maximum(self) -> Self:
        for steps in (self.under5_steps, self.age5to18_steps):
            if len(steps) < self.max_children_per_group:
                raise ValueError("each step list needs max_children_per_group amounts")
        return self


class PensionRules(ProgrammeFacts):
    """An old-age pension (Mis Mejores Años, the legacy Pensión para Adultos Mayores)."""

    amount: Decimal = Field(gt=0)
    min_age: int = Field(ge=0, le=MAX_AGE)


class PtuvRules(ProgrammeFacts):
    """Pensión Toda una Vida (disability)."""

    amount: Decimal = Field(gt=0)
    min_disability_percent: int = Field(ge=1, le=100)
    max_age: int = Field(ge=0, le=MAX_AGE)
    poverty_rule_certain: bool


class PpdRules(ProgrammeFacts):
    """Legacy Pensión para Personas con Discapacidad."""

    amount: Decimal = Field(gt=0)
    min_disability_percent: int = Field(ge=1, le=100)


class BjglRules(ProgrammeFacts):
    """Bono Joaquín Gallegos Lara, paid to the caregiver."""

    amount: Decimal = Field(gt=0)
    min_intellectual_percent: int = Field(ge=1, le=100)
    min_physical_percent: int = Field(ge=1, le=100)


class B1000Rules(ProgrammeFacts):
    """Bono 1000 Días: pregnancy until the child is 2, with extra payments."""

    amount: Decimal = Field(gt=0)
    at_birth: Decimal = Field(gt=0)
    at_one_year: Decimal = Field(gt=0)
    at_two_years: Decimal = Field(gt=0)


class Texts(_Strict):
    """General Spanish texts of the answer."""

    disclaimer: str = Field(min_length=1)
    ministry_decides: str = Field(min_length=1)
    not_combined: str = Field(min_length=1)
    rs_next_step: str = Field(min_length=1)
    unconfirmed: str = Field(min_length=1)


class InfoText(_Strict):
    """The information answer of a programme: one idea per line; `unconfirmed` lines are [U]."""

    lines: list[str] = Field(min_length=1)
    unconfirmed: list[str] = []


class EligibilityRules(_Strict):
    """The whole rules file, validated: sources exist, every programme has documents and a step."""

    effective_date: date
    currency: str = Field(pattern="^USD$")
    sources: list[Source] = Field(min_length=1)
    registro_social: RsRules
    combination: CombinationRules
    bdh: BdhRules
    bdhv: BdhvRules
    mma: PensionRules
    pam: PensionRules
    ptuv: PtuvRules
    ppd: PpdRules
    bjgl: BjglRules
    b1000: B1000Rules
    cc: ProgrammeFacts
    bof: ProgrammeFacts
    cdh: ProgrammeFacts
    texts: Texts
    documents: dict[Programme, list[str]]
    next_steps: dict[Programme, str]
    info: dict[Programme, InfoText]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        codes = {s.code for s in self.sources}
        cited = [self.registro_social.source, self.combination.source]
        cited += [self.facts(p).source for p in Programme]
        for code in cited:
            if code not in codes:
                raise ValueError(f"unknown source {code!r}")
        for programme in Programme:
            if not self.documents.get(programme):
                raise ValueError(f"documents missing for {programme}")
            if not self.next_steps.get(programme):
                raise ValueError(f"next step missing for {programme}")
        for programme in INFORMATION:
            if programme not in self.info:
                raise ValueError(f"information text missing for {programme}")
        return self

    def facts(self, programme: Programme) -> ProgrammeFacts:
        """The section of `programme` (source, effective date, confidence)."""
        section: ProgrammeFacts = getattr(self, programme.value.lower())
        return section

    def source_title(self, code: str) -> str:
        """The title of the source with `code`."""
        return next(s.title for s in self.sources if s.code == code)

    def is_transfer(self, programme: Programme) -> bool:
        """Whether `programme` is a transfer that cannot be combined with another one."""
        return programme not in self.combination.not_a_transfer


def parse_rules(text: str) -> EligibilityRules:
    """Parses and validates a rules file's TOML text; raises `pydantic.ValidationError`."""
    return EligibilityRules.model_validate(tomllib.loads(text))


@cache
def load_rules() -> EligibilityRules:
    """The packaged rules file, validated once per process."""
    text = (DATA_DIR / "eligibility.toml").read_text("utf-8")
    return parse_rules(text)


@dataclass(frozen=True)
class Household:
    """The answers the citizen gave; `None` means the question was not needed.

    `rs_score` is set when the level comes from a typed (and confirmed) score: a score alone never
    gives a "no".
    """

    age: int
    rs_level: RsLevel
    affiliation: Affiliation
    children_under5: int = 0
    children_5to18: int = 0
    disability_percent: int | None = None
    care_kind: CareKind = CareKind.NONE
    care_percent: int | None = None
    pregnancy: bool = False
    child_under2: bool = False
    rs_score: Decimal | None = None


@dataclass(frozen=True)
class Reason:
    """One 'why' of a verdict: a gettext template (marked `N_`) and its parameters."""

    template: str
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The orientation for one programme.

    A "no" carries only the reasons that decided it (the rule, then what the citizen said); any
    other verdict has its deciding reason first.
    """

    programme: Programme
    likelihood: Likelihood
    reasons: tuple[Reason, ...]
    amount: Decimal | None


def rs_level_from_score(score: Decimal, rules: EligibilityRules) -> RsLevel:
    """Classifies a Registro Social score with the one index version of the file."""
    rs = rules.registro_social
    if score > rs.poverty_cutoff:
        return RsLevel.NOT_POOR
    if rs.extreme_poverty_cutoff is not None and score <= rs.extreme_poverty_cutoff:
        return RsLevel.EXTREME
    return RsLevel.POOR


def asks_about_children(age: int) -> bool:
    """Children and pregnancy questions matter for a possible payee under 65."""
    return 12 <= age < 65


def bdhv_amount(rules: EligibilityRules, under5: int, age5to18: int) -> Decimal:
    """Base plus the per-child steps by order within each age group, capped."""
    r = rules.bdhv
    total = r.base
    total += sum(r.under5_steps[: min(under5, r.max_children_per_group)], Decimal(0))
    total += sum(r.age5to18_steps[: min(age5to18, r.max_children_per_group)], Decimal(0))
    return min(total, r.cap).quantize(CENT, ROUND_HALF_UP)


def _told(rules: EligibilityRules, h: Household) -> Reason:
    """What the citizen told us of the Registro Social, in their words."""
    cutoff = rules.registro_social.poverty_cutoff
    if h.rs_score is not None:
        params = (("score", h.rs_score), ("cutoff", cutoff))
        if h.rs_level is RsLevel.NOT_POOR:
            return Reason(
                N_(
                    "Su puntaje de {score} está sobre la línea de pobreza, que es {cutoff}. "
                    "Un puntaje escrito no basta para decir que no."
                ),
                params,
            )
        return Reason(
            N_("Su puntaje de {score} está bajo la línea de pobreza, que es {cutoff}."), params
        )
    return {
        RsLevel.EXTREME: Reason(N_("Usted nos dijo que su hogar está en extrema pobreza.")),
        RsLevel.POVERTY: Reason(N_("Usted nos dijo que su hogar está en pobreza.")),
        RsLevel.POOR: Reason(N_("Usted nos dijo que su hogar está en pobreza.")),
        RsLevel.NOT_POOR: Reason(N_("Usted nos dijo que su hogar no está en pobreza.")),
        RsLevel.UNKNOWN: Reason(
            N_("No sabemos cómo está su hogar en el Registro Social. Eso decide la selección.")
        ),
    }[h.rs_level]


def _rs_fit(
    rules: EligibilityRules, h: Household, *, extreme_only: bool
) -> tuple[Likelihood, tuple[Reason, ...]]:
    """How the Registro Social answer fits a programme's poverty rule; the deciding reason first."""
    told = _told(rules, h)
    level = h.rs_level
    if level is RsLevel.UNKNOWN:
        return Likelihood.POSSIBLE, (told,)
    if extreme_only:
        if level is RsLevel.EXTREME:
            return Likelihood.LIKELY, (told,)
        rule = Reason(N_("Es para hogares en extrema pobreza según el Registro Social."))
        if level is RsLevel.POOR:
            unknown = Reason(N_("El puntaje no muestra si su hogar está en extrema pobreza."))
            return Likelihood.POSSIBLE, (rule, told, unknown)
        if h.rs_score is not None:
            return Likelihood.POSSIBLE, (told, rule)
        return Likelihood.NO, (rule, told)
    if level is not RsLevel.NOT_POOR:
        return Likelihood.LIKELY, (told,)
    if h.rs_score is not None:
        return Likelihood.POSSIBLE, (told,)
    rule = Reason(N_("Es para hogares en pobreza o extrema pobreza según el Registro Social."))
    return Likelihood.NO, (rule, told)


def _payee_age(rules: EligibilityRules, p: Programme, h: Household) -> Verdict | None:
    r = rules.bdh
    if r.min_payee_age <= h.age <= r.max_payee_age:
        return None
    why = Reason(
        N_("Este bono se paga a una persona de {low} a {high} años."),
        (("low", r.min_payee_age), ("high", r.max_payee_age)),
    )
    if h.age > r.max_payee_age:
        older = Reason(
            N_("Desde los 65 años, las opciones son las pensiones para adultos mayores.")
        )
        return Verdict(p, Likelihood.NO, (why, older), None)
    return Verdict(p, Likelihood.NO, (why,), None)


def _contributory(p: Programme) -> Verdict:
    why = Reason(N_("No es para personas afiliadas al IESS, ISSFA o ISSPOL, ni con jubilación."))
    return Verdict(p, Likelihood.NO, (why,), None)


def _bdh(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.BDH
    if (by_age := _payee_age(rules, p, h)) is not None:
        return by_age
    if h.affiliation is Affiliation.CONTRIBUTORY:
        return _contributory(p)
    if h.rs_level is RsLevel.EXTREME and (h.children_under5 or h.children_5to18):
        why = Reason(
            N_(
                "Para hogares en extrema pobreza con hijos menores de 18 años está el bono "
                "con componente variable."
            )
        )
        return Verdict(p, Likelihood.NO, (why,), None)
    likelihood, reasons = _rs_fit(rules, h, extreme_only=False)
    amount = None if likelihood is Likelihood.NO else rules.bdh.amount
    return Verdict(p, likelihood, reasons, amount)


def _bdhv(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.BDHV
    if h.children_under5 + h.children_5to18 == 0:
        why = Reason(N_("Es para hogares con hijos menores de 18 años."))
        return Verdict(p, Likelihood.NO, (why,), None)
    if (by_age := _payee_age(rules, p, h)) is not None:
        return by_age
    if h.affiliation is Affiliation.CONTRIBUTORY:
        return _contributory(p)
    likelihood, reasons = _rs_fit(rules, h, extreme_only=True)
    if likelihood is Likelihood.NO:
        return Verdict(p, likelihood, reasons, None)
    how = Reason(
        N_(
            "Monto: base de {base} más un valor por cada hijo ({under5} menores de 5 años, "
            "{older} de 5 a 17 años), con un máximo de {cap}."
        ),
        (
            ("base", rules.bdhv.base),
            ("under5", h.children_under5),
            ("older", h.children_5to18),
            ("cap", rules.bdhv.cap),
        ),
    )
    amount = bdhv_amount(rules, h.children_under5, h.children_5to18)
    return Verdict(p, likelihood, (*reasons, how), amount)


def _age_reason(h: Household, minimum: int) -> Reason:
    return Reason(
        N_("Tiene {age} años (desde {min} años aplica)."), (("age", h.age), ("min", minimum))
    )


def _mma(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.MMA
    if h.age < rules.mma.min_age:
        why = Reason(N_("Es para personas de {age} años o más."), (("age", rules.mma.min_age),))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.affiliation is Affiliation.CONTRIBUTORY:
        return _contributory(p)
    likelihood, reasons = _rs_fit(rules, h, extreme_only=True)
    if likelihood is Likelihood.NO:
        return Verdict(p, likelihood, reasons, None)
    return Verdict(p, likelihood, (_age_reason(h, rules.mma.min_age), *reasons), rules.mma.amount)


_LEGACY = N_("Es una pensión anterior, con pocas personas. El Ministerio revisa cada caso.")


def _pam(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.PAM
    if h.age < rules.pam.min_age:
        why = Reason(N_("Es para personas de {age} años o más."), (("age", rules.pam.min_age),))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.affiliation is Affiliation.CONTRIBUTORY:
        return _contributory(p)
    reasons = (_age_reason(h, rules.pam.min_age), Reason(_LEGACY))
    return Verdict(p, Likelihood.POSSIBLE, reasons, rules.pam.amount)


def _disability_below(minimum: int, h: Household) -> bool:
    return h.disability_percent is None or h.disability_percent < minimum


def _disability_no(p: Programme, minimum: int) -> Verdict:
    why = Reason(
        N_("Es para personas con discapacidad de {percent} % o más, con certificado."),
        (("percent", minimum),),
    )
    return Verdict(p, Likelihood.NO, (why,), None)


def _ptuv(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.PTUV
    r = rules.ptuv
    if _disability_below(r.min_disability_percent, h):
        return _disability_no(p, r.min_disability_percent)
    if h.age > r.max_age:
        why = Reason(N_("Es para personas menores de {age} años."), (("age", r.max_age + 1),))
        then = Reason(N_("Desde los 65 años, la opción es la Pensión Mis Mejores Años."))
        return Verdict(p, Likelihood.NO, (why, then), None)
    has = Reason(N_("Tiene una discapacidad de {percent} %."), (("percent", h.disability_percent),))
    at65 = Reason(N_("Al cumplir 65 años, puede pasar a la Pensión Mis Mejores Años."))
    likelihood, reasons = _rs_fit(rules, h, extreme_only=False)
    if likelihood is Likelihood.NO and not r.poverty_rule_certain:
        likelihood = Likelihood.POSSIBLE
        reasons = (
            Reason(N_("No está claro si esta pensión pide estar en pobreza.")),
            _told(rules, h),
        )
    if likelihood is Likelihood.NO:
        return Verdict(p, likelihood, reasons, None)
    return Verdict(p, likelihood, (has, *reasons, at65), r.amount)


def _ppd(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.PPD
    r = rules.ppd
    if _disability_below(r.min_disability_percent, h):
        return _disability_no(p, r.min_disability_percent)
    has = Reason(N_("Tiene una discapacidad de {percent} %."), (("percent", h.disability_percent),))
    return Verdict(p, Likelihood.POSSIBLE, (has, Reason(_LEGACY)), r.amount)


def _bjgl(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.BJGL
    r = rules.bjgl
    if h.care_kind is CareKind.NONE:
        why = Reason(N_("Es para quien cuida a una persona con discapacidad severa o enfermedad."))
        return Verdict(p, Likelihood.NO, (why,), None)
    minimum = {
        CareKind.INTELLECTUAL: r.min_intellectual_percent,
        CareKind.PHYSICAL: r.min_physical_percent,
    }.get(h.care_kind)
    if minimum is not None and (h.care_percent or 0) < minimum:
        why = Reason(
            N_("Para este tipo de discapacidad se requiere {percent} % o más."),
            (("percent", minimum),),
        )
        return Verdict(p, Likelihood.NO, (why,), None)
    # Applied for at the Balcón and checked by a visit: the Registro Social never says "no" here.
    cares = Reason(N_("Usted cuida a una persona en una de las condiciones del bono."))
    visit = Reason(
        N_(
            "Este bono se pide en el Balcón de Servicios. Un técnico visita el hogar y revisa "
            "si la situación económica es crítica o de extrema pobreza."
        )
    )
    return Verdict(p, Likelihood.APPLY, (cares, visit), r.amount)


def _b1000(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.B1000
    if not (h.pregnancy or h.child_under2):
        why = Reason(N_("Es para el embarazo y para niños menores de 2 años."))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.pregnancy:
        who = Reason(N_("En su hogar hay un embarazo."))
    else:
        who = Reason(N_("En su hogar hay un niño o niña menor de 2 años."))
    likelihood, reasons = _rs_fit(rules, h, extreme_only=False)
    if likelihood is Likelihood.NO:
        return Verdict(p, likelihood, reasons, None)
    r = rules.b1000
    extra = Reason(
        N_(
            "Hay pagos extra si se hacen los controles de salud: {at_birth} al nacer, "
            "{at_one_year} al año y {at_two_years} a los 2 años."
        ),
        (
            ("at_birth", r.at_birth),
            ("at_one_year", r.at_one_year),
            ("at_two_years", r.at_two_years),
        ),
    )
    return Verdict(p, likelihood, (who, *reasons, extra), r.amount)


def evaluate(rules: EligibilityRules, household: Household) -> list[Verdict]:
    """Returns one verdict per evaluated programme, the ones that may correspond first."""
    verdicts = [
        _bdh(rules, household),
        _bdhv(rules, household),
        _mma(rules, household),
        _pam(rules, household),
        _ptuv(rules, household),
        _ppd(rules, household),
        _bjgl(rules, household),
        _b1000(rules, household),
    ]
    return sorted(verdicts, key=lambda v: ORDER[v.likelihood])


def alternatives(rules: EligibilityRules, verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts that may correspond and are transfers: at most one of them can be paid."""
    return [
        v for v in verdicts if v.likelihood is not Likelihood.NO and rules.is_transfer(v.programme)
    ]
