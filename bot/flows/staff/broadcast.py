"""«/difundir»: staff broadcast a notice to a territory, with preview and explicit confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.domain.registry import Programme
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.flows.staff.access import (
    Target,
    current_scope,
    require_role,
    resolve_target,
    target_from_key,
)
from bot.services.authz import Action
from bot.services.broadcasts import (
    SOURCE_CHOICES,
    AudienceChanged,
    Preview,
    authorize_audience,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
    staff_audience,
)
from notificaciones.audiences import Audience


@dataclass(frozen=True)
class BroadcastDraft:
    """The audience chosen so far and, once drafted, the broadcast awaiting confirmation."""

    source: str = ""
    territory_kind: str = ""
    territory_code: str | None = None
    territory_label: str = ""
    programme: str | None = None
    broadcast_id: int = 0


class StaffBroadcastFlow:
    """Audience (source, territory, programme) → text → preview → confirm or cancel."""

    name = "staff_difundir"
    in_menu = False
    commands = ("/difundir",)
    keywords: tuple[str, ...] = ()
    state_type = BroadcastDraft

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Difundir un aviso")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Checks the role, then asks who should receive the notice."""
        await require_role(ctx, Action.BROADCAST)
        options = (
            Option("beneficiarios", ctx.t("Beneficiarios del registro (SMS)")),
            Option("suscriptores", ctx.t("Suscriptores de avisos (Telegram y SMS)")),
        )
        return Outcome(
            [Reply(ctx.t("¿A quién quiere enviar el aviso?"), options)], step="choosing_source"
        )

    def steps(self) -> Mapping[str, StepHandler[BroadcastDraft]]:
        """Runs one step of the broadcast conversation."""
        return {
            "choosing_source": self._choosing_source,
            "choosing_territory": self._choosing_territory,
            "choosing_programme": self._choosing_programme,
            "writing_text": self._writing_text,
            "confirming": self._confirming,
        }

    def _ask_territory(
        self, ctx: FlowContext, state: BroadcastDraft, district: str | None
    ) -> Outcome:
        options: tuple[Option, ...] = ()
        if district:
            options = (
                Option(f"district:{district}", ctx.t("Todo mi distrito ({code})", code=district)),
            )
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "¿Dónde? Escriba un código de distrito (p. ej. 11D06), un cantón o una "
                        "parroquia, o «nacional»."
                    ),
                    options,
                )
            ],
            step="choosing_territory",
            state=state,
        )

    async def _choosing_source(
        self, ctx: FlowContext, state: BroadcastDraft, answer: Answer
    ) -> Outcome:
        if answer.option not in SOURCE_CHOICES:
            return await self.start(ctx, Opening())
        scope = await current_scope(ctx)
        return self._ask_territory(
            ctx, replace(state, source=answer.option), scope.district_code if scope else None
        )

    async def _choosing_territory(
        self, ctx: FlowContext, state: BroadcastDraft, answer: Answer
    ) -> Outcome:
        target: Target | None
        options: tuple[Option, ...]
        if answer.option:
            target, options = target_from_key(ctx, answer.option), ()
        else:
            target, options = resolve_target(ctx, answer.text)
        if target is None:
            return Outcome(
                [Reply(ctx.t("¿Cuál de estos lugares?"), options)],
                step="choosing_territory",
                state=state,
            )
        state = replace(
            state,
            territory_kind=target.kind,
            territory_code=target.code,
            territory_label=target.label,
        )
        await authorize_audience(
            ctx.session, await current_scope(ctx), self._audience(state), ctx.now
        )
        if state.source == "beneficiarios":
            programmes = (
                Option("todos", ctx.t("Todos los programas")),
                *(Option(p.value, p.value) for p in Programme),
            )
            return Outcome(
                [Reply(ctx.t("¿De qué programa?"), programmes)],
                step="choosing_programme",
                state=state,
            )
        return self._ask_text(ctx, state)

    async def _choosing_programme(
        self, ctx: FlowContext, state: BroadcastDraft, answer: Answer
    ) -> Outcome:
        value = (answer.option or answer.text).strip().upper()
        if value == "TODOS":
            return self._ask_text(ctx, replace(state, programme=None))
        if value not in Programme.__members__:
            return Outcome(
                [Reply(ctx.t("Elija un programa de la lista."))],
                step="choosing_programme",
                state=state,
            )
        return self._ask_text(ctx, replace(state, programme=value))

    def _ask_text(self, ctx: FlowContext, state: BroadcastDraft) -> Outcome:
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "Escriba el texto del aviso. Consejo: sin tildes (á, í, ó, ú) cada SMS "
                        "lleva hasta 160 caracteres; con una sola tilde, 70."
                    )
                )
            ],
            step="writing_text",
            state=state,
        )

    def _audience(self, state: BroadcastDraft) -> Audience:
        return staff_audience(
            state.source, state.territory_kind, state.territory_code, state.programme
        )

    async def _writing_text(
        self, ctx: FlowContext, state: BroadcastDraft, answer: Answer
    ) -> Outcome:
        scope = await current_scope(ctx)
        broadcast, preview = await draft_broadcast(
            ctx.session,
            scope,
            self._audience(state),
            answer.text,
            now=ctx.now,
            settings=ctx.settings,
        )
        drafted = replace(state, broadcast_id=broadcast.id)
        return self._preview(ctx, drafted, preview, broadcast.body)

    def _preview(
        self, ctx: FlowContext, state: BroadcastDraft, preview: Preview, body: str
    ) -> Outcome:
        encoding = (
            ctx.t("con tildes: 70 caracteres por SMS")
            if preview.unicode
            else ctx.t("sin tildes: 160 caracteres por SMS")
        )
        text = "\n".join(
            [
                ctx.t("Vista previa del aviso para {place}:", place=state.territory_label),
                f"«{body}»",
                *(
                    [ctx.t("Por SMS irá sin tildes: «{text}»", text=preview.sms_body)]
                    if preview.transliterated and preview.sms
                    else []
                ),
                ctx.t(
                    "Destinatarios: {count} (SMS: {sms}, Telegram: {telegram}).",
                    count=preview.recipients,
                    sms=preview.sms,
                    telegram=preview.telegram,
                ),
                ctx.t(
                    "Cada SMS usa {segments} segmento(s) ({encoding}). Costo estimado: USD {cost}.",
                    segments=preview.segments_per_sms,
                    encoding=encoding,
                    cost=preview.cost_usd,
                ),
                ctx.t("¿Confirma el envío?"),
            ]
        )
        options = (
            Option("confirmar", ctx.t("Confirmar y enviar")),
            Option("cancelar_envio", ctx.t("Cancelar, no enviar")),
        )
        return Outcome([Reply(text, options)], step="confirming", state=state)

    async def _confirming(self, ctx: FlowContext, state: BroadcastDraft, answer: Answer) -> Outcome:
        scope = await current_scope(ctx)
        broadcast_id = state.broadcast_id
        if answer.option == "cancelar_envio":
            await cancel_broadcast(ctx.session, scope, broadcast_id, now=ctx.now)
            return Outcome([Reply(ctx.t("Difusión cancelada: no se envió nada."))])
        if answer.option != "confirmar":
            return Outcome(
                [Reply(ctx.t("Elija «Confirmar y enviar» o «Cancelar, no enviar»."))],
                step="confirming",
                state=state,
            )
        try:
            queued = await confirm_broadcast(
                ctx.session,
                scope,
                broadcast_id,
                now=ctx.now,
                settings=ctx.settings,
            )
        except AudienceChanged as changed:
            # The draft now holds the new figures: show them and ask again.
            pairs_text = ctx.t(changed.template, **changed.params)
            return Outcome(
                [
                    Reply(
                        pairs_text,
                        (
                            Option("confirmar", ctx.t("Confirmar y enviar")),
                            Option("cancelar_envio", ctx.t("Cancelar, no enviar")),
                        ),
                    )
                ],
                step="confirming",
                state=state,
            )
        return Outcome(
            [Reply(ctx.t("Listo: {count} mensajes quedaron en la cola de envío.", count=queued))]
        )
