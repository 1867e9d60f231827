"""Eligibility orientation: which transfers a household likely qualifies for, and how much.

Pure rules over a `Household`; thresholds, amounts, documents and sources come from
`bot/data/eligibility.toml` (validated at load), so policy changes never touch code.
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

EVALUATED = (Programme.BDH, Programme.BDHV, Programme.MMA, Programme.PTUV, Programme.BJGL)
MAX_AGE = 120
CENT = Decimal("0.01")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class RsLevel(StrEnum):
    """The household's Registro Social classification as the citizen knows it."""

    EXTREME = "extrema_pobreza"
    POVERTY = "pobreza"
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
    """How likely a programme applies: an orientation, never a decision."""

    LIKELY = "probable"
    POSSIBLE = "posible"
    NO = "no"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a rule comes from."""

    code: str
    title: str
    tag: str = Field(pattern="^[VPDU]$")


class RsRules(_Strict):
    """Registro Social cut-offs (index 0–100, lower is poorer)."""

    extreme_poverty_cutoff: Decimal = Field(ge=0, le=100)
    poverty_cutoff: Decimal = Field(ge=0, le=100)
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.extreme_poverty_cutoff > self.poverty_cutoff:
            raise ValueError("extreme_poverty_cutoff must not exceed poverty_cutoff")
        return self


class BdhRules(_Strict):
    """Bono de Desarrollo Humano."""

    amount: Decimal = Field(gt=0)
    min_payee_age: int = Field(ge=0)
    source: str


class BdhvRules(_Strict):
    """BDH with the variable component per child."""

    base: Decimal = Field(gt=0)
    under5_steps: list[Decimal] = Field(min_length=1)
    age5to18_steps: list[Decimal] = Field(min_length=1)
    max_children_per_group: int = Field(ge=1)
    cap: Decimal = Field(gt=0)
    source: str

    @model_validator(mode="after")
    def _steps_cover_the_maximum(self) -> Self:
        for steps in (self.under5_steps, self.age5to18_steps):
            if len(steps) < self.max_children_per_group:
                raise ValueError("each step list needs max_children_per_group amounts")
        return self


class MmaRules(_Strict):
    """Pensión Mis Mejores Años."""

    amount: Decimal = Field(gt=0)
    min_age: int = Field(ge=0, le=MAX_AGE)
    source: str


class PtuvRules(_Strict):
    """Pensión Toda una Vida (disability)."""

    amount: Decimal = Field(gt=0)
    min_disability_percent: int = Field(ge=1, le=100)
    max_age: int = Field(ge=0, le=MAX_AGE)
    poverty_rule_certain: bool
    source: str


class BjglRules(_Strict):
    """Bono Joaquín Gallegos Lara, paid to the caregiver."""

    amount: Decimal = Field(gt=0)
    min_intellectual_percent: int = Field(ge=1, le=100)
    min_physical_percent: int = Field(ge=1, le=100)
    source: str


class Texts(_Strict):
    """General Spanish texts of the answer."""

    disclaimer: str = Field(min_length=1)
    rs_next_step: str = Field(min_length=1)


class EligibilityRules(_Strict):
    """The whole rules file, validated: sources exist, every programme has documents and a step."""

    effective_date: date
    currency: str = Field(pattern="^USD$")
    sources: list[Source] = Field(min_length=1)
    registro_social: RsRules
    bdh: BdhRules
    bdhv: BdhvRules
    mma: MmaRules
    ptuv: PtuvRules
    bjgl: BjglRules
    texts: Texts
    documents: dict[Programme, list[str]]
    next_steps: dict[Programme, str]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        codes = {s.code for s in self.sources}
        for part in (self.registro_social, self.bdh, self.bdhv, self.mma, self.ptuv, self.bjgl):
            if part.source not in codes:
                raise ValueError(f"unknown source {part.source!r}")
        for programme in EVALUATED:
            if not self.documents.get(programme):
                raise ValueError(f"documents missing for {programme}")
            if not self.next_steps.get(programme):
                raise ValueError(f"next step missing for {programme}")
        return self

    def source_title(self, code: str) -> str:
        """The title of the source with `code`."""
        return next(s.title for s in self.sources if s.code == code)


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
    """The answers the citizen gave; `None` means the question was not needed."""

    age: int
    rs_level: RsLevel
    affiliation: Affiliation
    children_under5: int = 0
    children_5to18: int = 0
    disability_percent: int | None = None
    care_kind: CareKind = CareKind.NONE
    care_percent: int | None = None


@dataclass(frozen=True)
class Reason:
    """One 'why' of a verdict: a gettext template (marked `N_`) and its parameters."""

    template: str
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The orientation for one programme."""

    programme: Programme
    likelihood: Likelihood
    reasons: tuple[Reason, ...]
    amount: Decimal | None


def rs_level_from_score(score: Decimal, rules: EligibilityRules) -> RsLevel:
    """Classifies a Registro Social score with the file's cut-offs."""
    if score <= rules.registro_social.extreme_poverty_cutoff:
        return RsLevel.EXTREME
    if score <= rules.registro_social.poverty_cutoff:
        return RsLevel.POVERTY
    return RsLevel.NOT_POOR


def asks_about_children(age: int) -> bool:
    """Children questions matter for a possible BDH/BDHV payee (not for the 65+ pensions)."""
    return 12 <= age < 65


def bdhv_amount(rules: EligibilityRules, under5: int, age5to18: int) -> Decimal:
    """Base plus the per-child steps by order within each age group, capped."""
    r = rules.bdhv
    total = r.base
    total += sum(r.under5_steps[: min(under5, r.max_children_per_group)], Decimal(0))
    total += sum(r.age5to18_steps[: min(age5to18, r.max_children_per_group)], Decimal(0))
    return min(total, r.cap).quantize(CENT, ROUND_HALF_UP)


def _poor(level: RsLevel) -> bool:
    return level in (RsLevel.EXTREME, RsLevel.POVERTY)


def _rs_reason(level: RsLevel) -> Reason:
    return {
        RsLevel.EXTREME: Reason(N_("Su hogar está en extrema pobreza según el Registro Social.")),
        RsLevel.POVERTY: Reason(N_("Su hogar está en pobreza según el Registro Social.")),
        RsLevel.NOT_POOR: Reason(
            N_("Según el Registro Social, su hogar no está en pobreza ni en extrema pobreza.")
        ),
        RsLevel.UNKNOWN: Reason(
            N_("No sabemos su clasificación en el Registro Social: es lo que decide la selección.")
        ),
    }[level]


def _bdh(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.BDH
    if h.age < rules.bdh.min_payee_age:
        why = Reason(
            N_("El bono se paga a una persona de {age} años o más."),
            (("age", rules.bdh.min_payee_age),),
        )
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.affiliation is Affiliation.CONTRIBUTORY:
        why = Reason(N_("Las personas afiliadas al IESS, ISSFA o ISSPOL no reciben el bono."))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.rs_level is RsLevel.EXTREME and (h.children_under5 or h.children_5to18):
        why = Reason(N_("Con hijos menores de 18 años en extrema pobreza aplica el BDH variable."))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.rs_level is RsLevel.NOT_POOR:
        return Verdict(p, Likelihood.NO, (_rs_reason(h.rs_level),), None)
    likelihood = Likelihood.LIKELY if _poor(h.rs_level) else Likelihood.POSSIBLE
    return Verdict(p, likelihood, (_rs_reason(h.rs_level),), rules.bdh.amount)


def _bdhv(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.BDHV
    children = h.children_under5 + h.children_5to18
    if children == 0:
        why = Reason(N_("Es para hogares con hijos menores de 18 años."))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.affiliation is Affiliation.CONTRIBUTORY:
        why = Reason(N_("Las personas afiliadas al IESS, ISSFA o ISSPOL no reciben el bono."))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.rs_level in (RsLevel.POVERTY, RsLevel.NOT_POOR):
        why = Reason(N_("El componente variable es solo para hogares en extrema pobreza."))
        return Verdict(p, Likelihood.NO, (_rs_reason(h.rs_level), why), None)
    amount = bdhv_amount(rules, h.children_under5, h.children_5to18)
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
    likelihood = Likelihood.LIKELY if h.rs_level is RsLevel.EXTREME else Likelihood.POSSIBLE
    return Verdict(p, likelihood, (_rs_reason(h.rs_level), how), amount)


def _mma(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.MMA
    if h.age < rules.mma.min_age:
        why = Reason(N_("Es para personas de {age} años o más."), (("age", rules.mma.min_age),))
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.affiliation is Affiliation.CONTRIBUTORY:
        why = Reason(
            N_("No aplica si ya recibe una pensión o está afiliado a la seguridad social.")
        )
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.rs_level in (RsLevel.POVERTY, RsLevel.NOT_POOR):
        why = Reason(N_("Es para personas en extrema pobreza según el Registro Social."))
        return Verdict(p, Likelihood.NO, (_rs_reason(h.rs_level), why), None)
    age = Reason(
        N_("Tiene {age} años (desde {min} años aplica)."),
        (("age", h.age), ("min", rules.mma.min_age)),
    )
    likelihood = Likelihood.LIKELY if h.rs_level is RsLevel.EXTREME else Likelihood.POSSIBLE
    return Verdict(p, likelihood, (age, _rs_reason(h.rs_level)), rules.mma.amount)


def _ptuv(rules: EligibilityRules, h: Household) -> Verdict:
    p = Programme.PTUV
    r = rules.ptuv
    if h.disability_percent is None or h.disability_percent < r.min_disability_percent:
        why = Reason(
            N_("Es para personas con discapacidad de {percent} % o más, con certificado."),
            (("percent", r.min_disability_percent),),
        )
        return Verdict(p, Likelihood.NO, (why,), None)
    if h.age > r.max_age:
        why = Reason(N_("Es para personas menores de {age} años."), (("age", r.max_age + 1),))
        return Verdict(p, Likelihood.NO, (why,), None)
    has = Reason(N_("Tiene una discapacidad de {percent} %."), (("percent", h.disability_percent),))
    if _poor(h.rs_level):
        return Verdict(p, Likelihood.LIKELY, (has, _rs_reason(h.rs_level)), r.amount)
    if h.rs_level is RsLevel.NOT_POOR and r.poverty_rule_certain:
        return Verdict(p, Likelihood.NO, (has, _rs_reason(h.rs_level)), None)
    return Verdict(p, Likelihood.POSSIBLE, (has, _rs_reason(h.rs_level)), r.amount)


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
    cares = Reason(N_("Usted cuida a una persona en una de las condiciones del bono."))
    if h.rs_level is RsLevel.NOT_POOR:
        why = Reason(N_("Es para hogares en extrema pobreza o en situación económica crítica."))
        return Verdict(p, Likelihood.NO, (cares, why), None)
    likelihood = Likelihood.LIKELY if h.rs_level is RsLevel.EXTREME else Likelihood.POSSIBLE
    return Verdict(p, likelihood, (cares, _rs_reason(h.rs_level)), r.amount)


def evaluate(rules: EligibilityRules, household: Household) -> list[Verdict]:
    """Returns one verdict per evaluated programme, the likely ones first."""
    verdicts = [
        _bdh(rules, household),
        _bdhv(rules, household),
        _mma(rules, household),
        _ptuv(rules, household),
        _bjgl(rules, household),
    ]
    order = {Likelihood.LIKELY: 0, Likelihood.POSSIBLE: 1, Likelihood.NO: 2}
    return sorted(verdicts, key=lambda v: order[v.likelihood])
