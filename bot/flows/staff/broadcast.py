"""«/difundir»: staff broadcast a notice to a territory, with preview and explicit confirmation."""

from __future__ import annotations

from typing import Any

from bot.domain.registry import Programme
from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
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


class StaffBroadcastFlow:
    """Audience (source, territory, programme) → text → preview → confirm or cancel."""

    name = "staff_difundir"
    in_menu = False
    commands = ("/difundir",)
    keywords: tuple[str, ...] = ()

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Difundir un aviso")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Checks the role, then asks who should receive the notice."""
        await require_role(ctx, Action.BROADCAST)
        options = (
            Option("beneficiarios", ctx.t("Beneficiarios del registro (SMS)")),
            Option("suscriptores", ctx.t("Suscriptores de avisos (Telegram y SMS)")),
        )
        return Outcome(
            [Reply(ctx.t("¿A quién quiere enviar el aviso?"), options)], step="choosing_source"
        )

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Runs one step of the broadcast conversation."""
        handler = getattr(self, f"_{step}", None)
        if handler is None:
            return await self.start(ctx, {})
        result: Outcome = await handler(ctx, data, answer)
        return result

    def _ask_territory(
        self, ctx: FlowContext, data: dict[str, Any], district: str | None
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
            data=data,
        )

    async def _choosing_source(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        if answer.option not in SOURCE_CHOICES:
            return await self.start(ctx, {})
        scope = await current_scope(ctx)
        return self._ask_territory(
            ctx, {**data, "source": answer.option}, scope.district_code if scope else None
        )

    async def _choosing_territory(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
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
                data=data,
            )
        data = {
            **data,
            "territory_kind": target.kind,
            "territory_code": target.code,
            "territory_label": target.label,
        }
        await authorize_audience(
            ctx.session, await current_scope(ctx), self._audience(data), ctx.now
        )
        if data["source"] == "beneficiarios":
            programmes = (
                Option("todos", ctx.t("Todos los programas")),
                *(Option(p.value, p.value) for p in Programme),
            )
            return Outcome(
                [Reply(ctx.t("¿De qué programa?"), programmes)],
                step="choosing_programme",
                data=data,
            )
        return self._ask_text(ctx, data)

    async def _choosing_programme(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        value = (answer.option or answer.text).strip().upper()
        if value == "TODOS":
            return self._ask_text(ctx, {**data, "programme": None})
        if value not in Programme.__members__:
            return Outcome(
                [Reply(ctx.t("Elija un programa de la lista."))],
                step="choosing_programme",
                data=data,
            )
        return self._ask_text(ctx, {**data, "programme": value})

    def _ask_text(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
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
            data=data,
        )

    def _audience(self, data: dict[str, Any]) -> Audience:
        return staff_audience(
            data["source"], data["territory_kind"], data["territory_code"], data.get("programme")
        )

    async def _writing_text(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        scope = await current_scope(ctx)
        broadcast, preview = await draft_broadcast(
            ctx.session,
            scope,
            self._audience(data),
            answer.text,
            now=ctx.now,
            settings=ctx.settings,
        )
        return self._preview(ctx, {**data, "broadcast_id": broadcast.id}, preview, broadcast.body)

    def _preview(
        self, ctx: FlowContext, data: dict[str, Any], preview: Preview, body: str
    ) -> Outcome:
        encoding = (
            ctx.t("con tildes: 70 caracteres por SMS")
            if preview.unicode
            else ctx.t("sin tildes: 160 caracteres por SMS")
        )
        text = "\n".join(
            [
                ctx.t("Vista previa del aviso para {place}:", place=data["territory_label"]),
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
        return Outcome([Reply(text, options)], step="confirming", data=data)

    async def _confirming(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        scope = await current_scope(ctx)
        broadcast_id = int(data["broadcast_id"])
        if answer.option == "cancelar_envio":
            await cancel_broadcast(ctx.session, scope, broadcast_id, now=ctx.now)
            return Outcome([Reply(ctx.t("Difusión cancelada: no se envió nada."))])
        if answer.option != "confirmar":
            return Outcome(
                [Reply(ctx.t("Elija «Confirmar y enviar» o «Cancelar, no enviar»."))],
                step="confirming",
                data=data,
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
                data=data,
            )
        return Outcome(
            [Reply(ctx.t("Listo: {count} mensajes quedaron en la cola de envío.", count=queued))]
        )
