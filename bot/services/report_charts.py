"""Charts for staff reports: the figures behind each chart, and the chart as SVG.

Each chart is first a `Chart` (categories × series of numbers, computed in the database for the
staff member's territory), then drawn as SVG on the server with matplotlib (no JavaScript, light
on a slow district connection) or written as a table (CSV/XLSX beside the chart, the same
numbers). Territory follows `districts_in_scope`: a district analyst sees their district, a zonal
coordinator their zone's districts, the national team and auditors everything.

Charts:
- messages by day and outcome (outbox rows: SMS, Telegram and conversation replies);
- delivery rate by parish (SMS with a delivery report, per parish of the registry or subscription);
- cases opened and closed per week;
- payment-status lookups by what the registry says of the cédula (current status and reason);
- dialogue answers by generating question.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import matplotlib
from matplotlib.figure import Figure
from sqlalchemy import Select, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dialogue import QUESTIONS
from bot.domain.errors import N_
from bot.domain.staff import Role, StaffScope
from bot.i18n import Translator
from bot.services import audit
from bot.services.authz import PERMISSIONS, Action, authorize
from bot.services.cases import CLOSED_STATUSES, districts_in_scope
from bot.services.cells import CellValue
from bot.services.verification import ACTION as PAYMENT_LOOKUP
from bot.storage.models import (
    AuditEntry,
    Beneficiary,
    Canton,
    Case,
    CaseUpdate,
    DialogueAnswer,
    District,
    OutboxMessage,
    Parish,
    Subscription,
)

# Ecuador mainland has no daylight saving: a day is counted in local time (UTC−5).
LOCAL_OFFSET = timedelta(hours=-5)
# Outbox statuses as a reader understands them, in the order the bars stack.
OUTCOMES: tuple[tuple[str, str], ...] = (
    ("delivered", N_("Entregado")),
    ("sent", N_("Enviado, sin confirmar entrega")),
    ("waiting", N_("En espera")),
    ("failed", N_("No entregado")),
    ("withdrawn", N_("Retirado")),
)
_OUTCOME_OF_STATUS = {
    "pending": "waiting",
    "sending": "waiting",
    "unconfirmed": "waiting",
    "unknown": "waiting",
    "sent": "sent",
    "failed": "failed",
    "opted_out": "withdrawn",
    "cancelled": "withdrawn",
}
_DELIVERED = ("delivered", "read")
_UNDELIVERED = ("failed", "undelivered")
MAX_PARISHES = 15

Kind = Literal["stacked", "bar", "line"]


@dataclass(frozen=True)
class Series:
    """One line or one colour of bars: its label and one value per category."""

    label: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """The figures of one chart; labels are Spanish source text, translated when drawn."""

    key: str
    title: str
    axis: str  # what the categories are ("Día", "Parroquia"…)
    unit: str  # what the numbers count
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    kind: Kind = "bar"
    translate_categories: bool = False

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return not self.categories or not any(any(s.values) for s in self.series)


def outcome_of(status: str, provider_status: str | None) -> str:
    """The reader's outcome of an outbox row (a delivery report wins over our own status)."""
    if provider_status in _DELIVERED:
        return "delivered"
    if provider_status in _UNDELIVERED:
        return "failed"
    return _OUTCOME_OF_STATUS.get(status, "waiting")


def local_day(moment: datetime) -> date:
    """The local (mainland Ecuador) day of a stored UTC time."""
    return (moment + LOCAL_OFFSET).date()


# --- territory ------------------------------------------------------------------------------


async def _allowed(
    session: AsyncSession,
    scope: StaffScope,
    action: Action,
    now: datetime,
    district_code: str | None,
) -> list[str] | None:
    """The districts a chart covers (None: the whole country), refused and audited when the
    staff member may not see them: one district when asked for, else the whole territory."""
    if district_code is not None:
        await authorize(session, scope, action, now=now, district_code=district_code)
        return [district_code]
    if scope.role in (Role.ADMIN, Role.AUDITOR) or scope.role not in PERMISSIONS[action].roles:
        await authorize(session, scope, action, now=now)  # national, or refused and audited
    return await districts_in_scope(session, scope)


def _parishes_of(allowed: list[str] | None) -> Select[str] | None:
    """The parish codes of these districts; None means the whole country."""
    if allowed is None:
        return None
    return (
        select(Parish.code)
        .join(Canton, Canton.code == Parish.canton_code)
        .join(District, District.code == Canton.district_code)
        .where(District.code.in_(allowed))
    )


def _addresses_in(parishes: Select[str]) -> Select[str]:
    """The phones and chats that belong to these parishes (registry mobiles, subscriptions)."""
    return (
        union(
            select(Beneficiary.mobile).where(Beneficiary.parish_code.in_(parishes)),
            select(Subscription.address).where(Subscription.parish_code.in_(parishes)),
        )
        .subquery()
        .select()
    )


# --- the charts -----------------------------------------------------------------------------


async def messages_by_day(
    session: AsyncSession,
    scope: StaffScope,
    *,
    now: datetime,
    days: int = 30,
    district_code: str | None = None,
) -> Chart:
    """Outbox messages created per local day over the last `days`, by outcome."""
    allowed = await _allowed(session, scope, Action.VIEW_STATS, now, district_code)
    since = now - timedelta(days=days)
    query = (
        select(
            OutboxMessage.created_at,
            OutboxMessage.status,
            OutboxMessage.provider_status,
        )
        .where(OutboxMessage.created_at >= since)
        .execution_options(yield_per=5000)
    )
    parishes = _parishes_of(allowed)
    if parishes is not None:
        query = query.where(OutboxMessage.address.in_(_addresses_in(parishes)))
    first = local_day(since) + timedelta(days=1)
    day_list = [first + timedelta(days=n) for n in range(days)]
    counts: dict[str, Counter[date]] = defaultdict(Counter)
    async for created, status, provider in await session.stream(query):
        counts[outcome_of(status, provider)][local_day(created)] += 1
    return Chart(
        key="mensajes",
        title=N_("Mensajes por día y resultado"),
        axis=N_("Día"),
        unit=N_("Mensajes"),
        categories=tuple(d.strftime("%d/%m") for d in day_list),
        series=tuple(
            Series(label, tuple(float(counts[key][d]) for d in day_list)) for key, label in OUTCOMES
        ),
        kind="stacked",
    )


async def delivery_by_parish(
    session: AsyncSession,
    scope: StaffScope,
    *,
    now: datetime,
    days: int = 30,
    district_code: str | None = None,
) -> Chart:
    """Share of SMS delivered per parish (the parishes with most SMS first)."""
    allowed = await _allowed(session, scope, Action.VIEW_STATS, now, district_code)
    since = now - timedelta(days=days)
    parish_of = (
        select(Beneficiary.mobile.label("address"), Beneficiary.parish_code.label("parish"))
        .where(Beneficiary.mobile.is_not(None))
        .union(
            select(Subscription.address, Subscription.parish_code).where(
                Subscription.channel == "sms"
            )
        )
        .subquery()
    )
    query = (
        select(
            parish_of.c.parish,
            OutboxMessage.status,
            OutboxMessage.provider_status,
            func.count(),
        )
        .join(parish_of, parish_of.c.address == OutboxMessage.address)
        .where(OutboxMessage.channel == "sms", OutboxMessage.created_at >= since)
        .group_by(parish_of.c.parish, OutboxMessage.status, OutboxMessage.provider_status)
    )
    parishes = _parishes_of(allowed)
    if parishes is not None:
        query = query.where(parish_of.c.parish.in_(parishes))
    sent: Counter[str] = Counter()
    delivered: Counter[str] = Counter()
    for parish, status, provider, count in await session.execute(query):
        outcome = outcome_of(status, provider)
        if outcome in ("delivered", "sent", "failed"):
            sent[parish] += count
        if outcome == "delivered":
            delivered[parish] += count
    top = [code for code, _ in sent.most_common(MAX_PARISHES)]
    names = dict(
        (await session.execute(select(Parish.code, Parish.name).where(Parish.code.in_(top)))).all()
    )
    return Chart(
        key="entrega",
        title=N_("SMS entregados por parroquia (%)"),
        axis=N_("Parroquia"),
        unit=N_("Entregados (%)"),
        categories=tuple(str(names.get(code, code)) for code in top),
        series=(
            Series(
                N_("Entregados (%)"),
                tuple(round(100.0 * delivered[c] / sent[c], 1) if sent[c] else 0.0 for c in top),
            ),
            Series(N_("SMS enviados"), tuple(float(sent[c]) for c in top)),
        ),
        kind="bar",
    )


async def cases_by_week(
    session: AsyncSession,
    scope: StaffScope,
    *,
    now: datetime,
    weeks: int = 12,
    district_code: str | None = None,
) -> Chart:
    """Cases opened and closed per week (Monday to Sunday, local time)."""
    allowed = await _allowed(session, scope, Action.VIEW_CASES, now, district_code)
    this_monday = local_day(now) - timedelta(days=local_day(now).weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = datetime.combine(mondays[0], time.min, tzinfo=UTC) - LOCAL_OFFSET
    opened_q = select(Case.created_at).where(Case.created_at >= since)
    closed_q = (
        select(CaseUpdate.created_at)
        .join(Case, Case.id == CaseUpdate.case_id)
        .where(CaseUpdate.created_at >= since, CaseUpdate.status.in_(CLOSED_STATUSES))
    )
    if allowed is not None:
        opened_q = opened_q.where(Case.district_code.in_(allowed))
        closed_q = closed_q.where(Case.district_code.in_(allowed))

    def week_of(moment: datetime) -> date:
        day = local_day(moment)
        return day - timedelta(days=day.weekday())

    opened = Counter(week_of(m) for m in await session.scalars(opened_q))
    closed = Counter(week_of(m) for m in await session.scalars(closed_q))
    return Chart(
        key="casos",
        title=N_("Casos abiertos y cerrados por semana"),
        axis=N_("Semana del"),
        unit=N_("Casos"),
        categories=tuple(m.strftime("%d/%m") for m in mondays),
        series=(
            Series(N_("Abiertos"), tuple(float(opened[m]) for m in mondays)),
            Series(N_("Cerrados"), tuple(float(closed[m]) for m in mondays)),
        ),
        kind="line",
    )


async def lookups_by_reason(
    session: AsyncSession,
    scope: StaffScope,
    *,
    now: datetime,
    days: int = 30,
    district_code: str | None = None,
) -> Chart:
    """Payment-status lookups over `days`, by what the registry says today of the cédula.

    A lookup's audit entry names the cédula only by pseudonym, so the registry's cédulas (of the
    territory) are pseudonymised with the same key and matched. Lookups that did not verify are
    counted apart (the registry is not read for them).
    """
    allowed = await _allowed(session, scope, Action.VIEW_STATS, now, district_code)
    since = now - timedelta(days=days)
    rows = await session.execute(
        select(AuditEntry.target, AuditEntry.outcome, func.count())
        .where(AuditEntry.action == PAYMENT_LOOKUP, AuditEntry.at >= since)
        .group_by(AuditEntry.target, AuditEntry.outcome)
    )
    matched: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for target, outcome, count in rows:
        if outcome == "match" and target:
            matched[target] += count
        else:
            other[outcome or "no_match"] += count
    parishes = _parishes_of(allowed)
    registry = select(Beneficiary.cedula, Beneficiary.status, Beneficiary.reason_code)
    if parishes is not None:
        registry = registry.where(Beneficiary.parish_code.in_(parishes))
    key = audit.session_key(session)
    reasons: Counter[str] = Counter()
    if matched:
        seen: set[str] = set()
        stream = await session.stream(registry.execution_options(yield_per=10000))
        async for cedula, status, reason in stream:
            target = audit.pseudonym(cedula, key)
            if target in matched and target not in seen:
                seen.add(target)
                reasons[f"{status}: {reason}" if reason else status] += matched[target]
    categories = [label for label, _ in reasons.most_common()]
    values = [float(reasons[label]) for label in categories]
    if parishes is None:
        for outcome, label in (
            ("no_match", N_("Datos no coinciden")),
            ("locked", N_("Bloqueado por intentos")),
        ):
            if other[outcome]:
                categories.append(label)
                values.append(float(other[outcome]))
    return Chart(
        key="consultas",
        title=N_("Consultas de pago por estado en el registro"),
        axis=N_("Estado: motivo"),
        unit=N_("Consultas"),
        categories=tuple(categories),
        series=(Series(N_("Consultas"), tuple(values)),),
        kind="bar",
        translate_categories=parishes is None,
    )


async def dialogue_answers(
    session: AsyncSession,
    scope: StaffScope,
    *,
    now: datetime,
    days: int = 365,
    district_code: str | None = None,
) -> Chart:
    """Answers to the Diálogo Ciudadano per generating question."""
    allowed = await _allowed(session, scope, Action.VIEW_COMMITMENTS, now, district_code)
    since = now - timedelta(days=days)
    query = (
        select(DialogueAnswer.question, func.count())
        .where(DialogueAnswer.created_at >= since)
        .group_by(DialogueAnswer.question)
    )
    parishes = _parishes_of(allowed)
    if parishes is not None:
        query = query.where(DialogueAnswer.parish_code.in_(parishes))
    counts: dict[int, int] = {q: n for q, n in await session.execute(query)}
    return Chart(
        key="dialogo",
        title=N_("Respuestas del Diálogo Ciudadano por pregunta"),
        axis=N_("Pregunta"),
        unit=N_("Respuestas"),
        categories=tuple(q.short for q in QUESTIONS),
        series=(
            Series(N_("Respuestas"), tuple(float(counts.get(q.number, 0)) for q in QUESTIONS)),
        ),
        kind="bar",
        translate_categories=True,
    )


ChartBuilder = Callable[..., Awaitable[Chart]]
CHARTS: dict[str, ChartBuilder] = {
    "mensajes": messages_by_day,
    "entrega": delivery_by_parish,
    "casos": cases_by_week,
    "consultas": lookups_by_reason,
    "dialogo": dialogue_answers,
}


# --- drawing and tables ---------------------------------------------------------------------

_COLOURS = ("#1b7f3b", "#7fb3d5", "#f0b429", "#c0392b", "#95a5a6")


def table(chart: Chart, tr: Translator) -> list[list[CellValue]]:
    """The chart's numbers as rows: a header, then one row per category."""
    header: list[CellValue] = [tr.t(chart.axis), *(tr.t(s.label) for s in chart.series)]
    rows: list[list[CellValue]] = [header]
    for index, category in enumerate(chart.categories):
        label = tr.t(category) if chart.translate_categories else category
        row: list[CellValue] = [label]
        for series in chart.series:
            value = series.values[index]
            row.append(int(value) if value.is_integer() else value)
        rows.append(row)
    return rows


def svg(chart: Chart, tr: Translator) -> str:
    """The chart drawn as an SVG document (text kept as text, so it stays small and readable)."""
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9}):
        figure = Figure(figsize=(7.5, 3.6), dpi=100)
        axes = figure.add_subplot()
        labels = [tr.t(c) if chart.translate_categories else c for c in chart.categories]
        positions = list(range(len(labels)))
        if chart.empty:
            axes.text(0.5, 0.5, tr.t("Sin datos en este periodo"), ha="center", va="center")
            axes.set_axis_off()
        elif chart.kind == "stacked":
            bottom = [0.0] * len(labels)
            for colour, series in zip(_COLOURS, chart.series, strict=False):
                axes.bar(positions, series.values, bottom=bottom, color=colour,
                         label=tr.t(series.label))  # fmt: skip
                bottom = [b + v for b, v in zip(bottom, series.values, strict=True)]
            axes.legend(fontsize=7, loc="upper left")
        elif chart.kind == "line":
            for colour, series in zip(_COLOURS, chart.series, strict=False):
                axes.plot(positions, series.values, marker="o", color=colour,
                          label=tr.t(series.label))  # fmt: skip
            axes.legend(fontsize=7, loc="upper left")
        else:
            first = chart.series[0]
            bars = axes.bar(positions, first.values, color=_COLOURS[0])
            axes.bar_label(bars, fmt="%g", fontsize=7)
        if not chart.empty:
            step = max(1, len(labels) // 15)
            axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
            axes.set_ylabel(tr.t(chart.unit))
            axes.spines[["top", "right"]].set_visible(False)
        axes.set_title(tr.t(chart.title))
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
