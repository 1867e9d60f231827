"""The panel's pages and actions, each decided by the role × territory table, as staff use them."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.domain.staff import Role, StaffScope
from bot.handlers.panel.core import PanelRequest, PanelState, page
from bot.handlers.web import build_app
from bot.services.cases import open_case
from bot.services.container import Services
from bot.storage.models import (
    AuditEntry,
    Beneficiary,
    Broadcast,
    Canton,
    Case,
    Commitment,
    Contact,
    DialogueAnswer,
    DialogueSession,
    Event,
    OutboxMessage,
    Parish,
)
from tests.support.panel import PanelClient, panel_client, signed_in, staff_account

TACAMOROS, LOJA_CENTRO = "111252", "110101"  # districts 11D06 and 11D01


async def _parish_without_district(services: Services) -> str:
    async with services.session_factory() as session:
        code = await session.scalar(
            select(Parish.code)
            .join(Canton, Canton.code == Parish.canton_code)
            .where(Canton.district_code.is_(None))
            .order_by(Parish.code)
            .limit(1)
        )
    assert code is not None
    return code


async def _cases(services: Services) -> tuple[str, str, str]:
    """A case in 11D06 from a consenting Telegram citizen, one in 11D01, one national."""
    now = services.clock()
    nowhere = await _parish_without_district(services)
    async with services.session_factory() as session, session.begin():
        reporter = Contact(channel="telegram", address="4242", created_at=now, last_seen_at=now)
        session.add(reporter)
        await session.flush()
        own = await open_case(
            session,
            kind="excluido",
            now=now,
            district_code="11D06",
            parish_code=TACAMOROS,
            person_category="adulto_mayor",
            description="Doña Rosa, 82 años, vive sola y no recibe el bono",
            reporter_contact_id=reporter.id,
            reporter_consent=True,
        )
        other = await open_case(
            session,
            kind="excluido",
            now=now,
            district_code="11D01",
            parish_code=LOJA_CENTRO,
            description="Otra persona de Loja",
        )
        national = await open_case(
            session,
            kind="excluido",
            now=now,
            district_code=None,
            parish_code=nowhere,
            description="Persona de un cantón sin distrito",
        )
        return own.number, other.number, national.number


async def _denied(services: Services) -> list[AuditEntry]:
    async with services.session_factory() as session:
        return list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "staff.denied")
                .order_by(AuditEntry.id)
            )
        )


async def _analyst(services: Services, district: str = "11D06") -> StaffScope:
    return await staff_account(services, Role.DISTRICT, district_code=district)


async def test_without_a_session_every_page_sends_to_the_sign_in(services: Services) -> None:
    async with panel_client(services) as visitor:
        for path in ("/panel/", "/panel/casos", "/panel/dialogos", "/panel/difusiones"):
            response = await visitor.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/panel/entrar"
        htmx = await visitor.http.get("/panel/casos", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/panel/entrar"


async def test_every_page_renders_for_a_national_admin(services: Services) -> None:
    await _cases(services)
    admin = await staff_account(services, Role.ADMIN)
    async with signed_in(services, admin) as visitor:
        for path in (
            "/panel/",
            "/panel/bandeja",
            "/panel/casos",
            "/panel/casos?cola=nacional",
            "/panel/dialogos",
            "/panel/eventos",
            "/panel/difusiones",
            "/panel/registro",
            "/panel/informes",
            "/panel/static/htmx-2.0.4.min.js",
        ):
            assert (await visitor.get(path)).status_code == 200, path


async def test_an_analyst_lists_only_their_districts_cases_with_place_and_category(
    services: Services,
) -> None:
    own, other, national = await _cases(services)
    async with signed_in(services, await _analyst(services)) as visitor:
        listing = await visitor.get("/panel/casos")
        queue = await visitor.get("/panel/casos?cola=nacional")
    assert own in listing.text and other not in listing.text and national not in listing.text
    assert "Tacamoros (Sozoranga, Loja)" in listing.text
    assert "Una persona adulta mayor" in listing.text
    assert national not in queue.text  # the national queue is not theirs


async def test_the_national_queue_is_listed_for_national_staff(services: Services) -> None:
    own, _other, national = await _cases(services)
    async with signed_in(services, await staff_account(services, Role.AUDITOR)) as visitor:
        queue = await visitor.get("/panel/casos?cola=nacional")
        detail = await visitor.get(f"/panel/casos/{national}")
    assert national in queue.text and own not in queue.text
    assert detail.status_code == 200 and "cantón sin distrito" in detail.text


async def test_another_districts_case_is_refused_and_audited(services: Services) -> None:
    _own, other, national = await _cases(services)
    async with signed_in(services, await _analyst(services)) as visitor:
        seen = await visitor.get(f"/panel/casos/{other}")
        queue_case = await visitor.get(f"/panel/casos/{national}")
        moved = await visitor.post(f"/panel/casos/{other}/estado", {"estado": "en_verificacion"})
    assert seen.status_code == queue_case.status_code == moved.status_code == 403
    assert "fuera de" in seen.text
    async with services.session_factory() as session:
        case = await session.scalar(select(Case).where(Case.number == other))
    assert case is not None and case.status == "nuevo"
    denied = await _denied(services)
    assert [e.target for e in denied] == [
        f"/panel/casos/{other}",
        f"/panel/casos/{national}",
        f"/panel/casos/{other}/estado",
    ]


async def test_an_analyst_moves_their_case_with_a_note_and_the_reporter_is_told(
    services: Services,
) -> None:
    own, _other, _national = await _cases(services)
    async with signed_in(services, await _analyst(services)) as visitor:
        await visitor.get(f"/panel/casos/{own}")
        moved = await visitor.post(
            f"/panel/casos/{own}/estado",
            {"estado": "en_verificacion", "nota": "Visita el martes"},
        )
        assert moved.status_code == 303
        detail = await visitor.get(f"/panel/casos/{own}")
        await visitor.post(f"/panel/casos/{own}/estado", {"estado": "nuevo"})
        wrong = await visitor.get(f"/panel/casos/{own}")
    assert "En verificación" in detail.text and "Visita el martes" in detail.text
    async with services.session_factory() as session:
        notices = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "caso"))
        )
    assert [n.address for n in notices] == ["4242"]
    assert "Visita el martes" in notices[0].body
    assert "En verificación" in wrong.text


async def test_an_auditor_reads_cases_but_cannot_change_them(services: Services) -> None:
    own, _other, _national = await _cases(services)
    async with signed_in(services, await staff_account(services, Role.AUDITOR)) as visitor:
        detail = await visitor.get(f"/panel/casos/{own}")
        moved = await visitor.post(f"/panel/casos/{own}/estado", {"estado": "en_verificacion"})
    assert detail.status_code == 200 and 'id="cambiar-estado"' not in detail.text
    assert moved.status_code == 403


async def test_an_admin_hands_a_national_queue_case_to_a_district(services: Services) -> None:
    _own, _other, national = await _cases(services)
    async with signed_in(services, await staff_account(services, Role.ADMIN)) as visitor:
        await visitor.get(f"/panel/casos/{national}")
        moved = await visitor.post(f"/panel/casos/{national}/distrito", {"distrito": "11D06"})
    assert moved.status_code == 303
    async with signed_in(services, await _analyst(services)) as visitor:
        listing = await visitor.get("/panel/casos")
    assert national in listing.text


async def test_an_analyst_cannot_take_a_case_into_another_district(services: Services) -> None:
    own, _other, _national = await _cases(services)
    async with signed_in(services, await _analyst(services)) as visitor:
        await visitor.get(f"/panel/casos/{own}")
        moved = await visitor.post(f"/panel/casos/{own}/distrito", {"distrito": "11D01"})
    assert moved.status_code == 403
    async with services.session_factory() as session:
        case = await session.scalar(select(Case).where(Case.number == own))
    assert case is not None and case.district_code == "11D06"


async def _dialogue(services: Services, parish: str) -> tuple[int, int]:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        dialogue = DialogueSession(
            title=f"Diálogo Ciudadano {parish}",
            parish_code=parish,
            held_on=date(2026, 11, 21),
            created_at=now,
        )
        session.add(dialogue)
        await session.flush()
        answer = DialogueAnswer(
            session_id=dialogue.id,
            parish_code=parish,
            question=1,
            answer_text="Pocas unidades de atención y poco transporte",
            created_at=now,
        )
        session.add(answer)
        await session.flush()
        return dialogue.id, answer.id


async def test_an_analyst_edits_an_observation_of_their_dialogue(services: Services) -> None:
    dialogue_id, answer_id = await _dialogue(services, TACAMOROS)
    async with signed_in(services, await _analyst(services)) as visitor:
        page = await visitor.get(f"/panel/dialogos/{dialogue_id}")
        assert "Pocas unidades de atención" in page.text
        saved = await visitor.http.post(
            f"/panel/dialogos/respuestas/{answer_id}",
            data={"observaciones": "Coordinar con el GAD parroquial"},
            headers={"HX-Request": "true", "X-CSRF-Token": visitor.csrf},
        )
        exported = await visitor.get(f"/panel/dialogos/{dialogue_id}/exportar/alertas.csv")
        workbook = await visitor.get(f"/panel/dialogos/{dialogue_id}/exportar/libro.xlsx")
    assert saved.status_code == 200 and "Guardado" in saved.text
    assert saved.text.lstrip().startswith(f'<tr id="respuesta-{answer_id}"')
    assert "Coordinar con el GAD parroquial" in exported.text
    assert workbook.content[:2] == b"PK"
    async with services.session_factory() as session:
        answer = await session.get(DialogueAnswer, answer_id)
    assert answer is not None and answer.observations == "Coordinar con el GAD parroquial"


async def test_another_districts_dialogue_is_refused_and_an_auditor_cannot_edit(
    services: Services,
) -> None:
    dialogue_id, answer_id = await _dialogue(services, LOJA_CENTRO)
    async with signed_in(services, await _analyst(services)) as visitor:
        seen = await visitor.get(f"/panel/dialogos/{dialogue_id}")
        listing = await visitor.get("/panel/dialogos")
        edited = await visitor.post(
            f"/panel/dialogos/respuestas/{answer_id}", {"observaciones": "x"}
        )
    assert seen.status_code == edited.status_code == 403
    assert "Diálogo Ciudadano 110101" not in listing.text
    async with signed_in(services, await staff_account(services, Role.AUDITOR)) as visitor:
        assert (await visitor.get(f"/panel/dialogos/{dialogue_id}")).status_code == 200
        edited = await visitor.post(
            f"/panel/dialogos/respuestas/{answer_id}", {"observaciones": "x"}
        )
    assert edited.status_code == 403
    async with services.session_factory() as session:
        answer = await session.get(DialogueAnswer, answer_id)
    assert answer is not None and answer.observations is None


async def test_a_commitment_is_added_and_updated_from_the_matrix(services: Services) -> None:
    dialogue_id, _answer = await _dialogue(services, TACAMOROS)
    async with signed_in(services, await _analyst(services)) as visitor:
        await visitor.get(f"/panel/dialogos/{dialogue_id}")
        added = await visitor.post(
            f"/panel/dialogos/{dialogue_id}/compromisos",
            {
                "propuesta": "Informar con anticipación los eventos",
                "ciudadania": "Difundir en la comunidad",
                "institucion": "Avisar por los técnicos",
                "plazo": "",
                "unidad": "Distrito 11D06",
            },
        )
        assert added.status_code == 303
        page = await visitor.get(f"/panel/dialogos/{dialogue_id}")
        async with services.session_factory() as session:
            commitment = await session.scalar(select(Commitment))
        assert commitment is not None
        updated = await visitor.post(
            f"/panel/dialogos/{dialogue_id}/compromisos/{commitment.id}",
            {"estado": "en_curso", "nota": "Primera reunión hecha"},
        )
    assert "Permanente" in page.text and "Informar con anticipación" in page.text
    assert updated.status_code == 303
    async with services.session_factory() as session:
        row = await session.get(Commitment, commitment.id)
    assert row is not None and row.status == "en_curso"


async def _registry(services: Services) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for n, status in enumerate(["activo", "suspendido", "activo"]):
            session.add(
                Beneficiary(
                    cedula=f"11000000{n:02d}",
                    names="Persona",
                    mobile=f"+59399100000{n}",
                    parish_code=TACAMOROS,
                    programme="BDH",
                    status=status,
                    row_hash="x",
                    updated_at=now,
                )
            )


async def test_a_broadcast_filtered_by_payment_status_skips_the_suspended(
    services: Services,
) -> None:
    await _registry(services)
    async with signed_in(services, await _analyst(services)) as visitor:
        await visitor.get("/panel/difusiones")
        preview = await visitor.post(
            "/panel/difusiones",
            {
                "fuente": "beneficiarios",
                "ambito": "parish",
                "codigo": TACAMOROS,
                "programa": "",
                "estado_pago": "activo",
                "mensaje": "El pago de diciembre será desde el 5/12",
            },
        )
        assert preview.status_code == 200
        assert 'id="destinatarios">2<' in preview.text
        async with services.session_factory() as session:
            draft = await session.scalar(select(Broadcast))
        assert draft is not None
        confirmed = await visitor.post(f"/panel/difusiones/{draft.id}/confirmar")
        assert confirmed.status_code == 303
        detail = await visitor.get(confirmed.headers["location"])
    assert "2 mensajes en cola" in detail.text
    async with services.session_factory() as session:
        sent = set(await session.scalars(select(OutboxMessage.address)))
    assert sent == {"+593991000000", "+593991000002"}


async def test_another_districts_broadcast_is_refused_and_audited(services: Services) -> None:
    await _registry(services)
    loja = await _analyst(services, "11D01")
    async with signed_in(services, loja) as visitor:
        await visitor.get("/panel/difusiones")
        preview = await visitor.post(
            "/panel/difusiones",
            {
                "fuente": "beneficiarios",
                "ambito": "parish",
                "codigo": LOJA_CENTRO,
                "mensaje": "Hola",
            },
        )
        assert preview.status_code == 200
        refused = await visitor.post(
            "/panel/difusiones",
            {"fuente": "beneficiarios", "ambito": "parish", "codigo": TACAMOROS, "mensaje": "Hola"},
        )
    assert refused.status_code == 403
    async with services.session_factory() as session:
        draft = await session.scalar(select(Broadcast))
    assert draft is not None
    async with signed_in(services, await _analyst(services)) as visitor:
        seen = await visitor.get(f"/panel/difusiones/{draft.id}")
        confirmed = await visitor.post(f"/panel/difusiones/{draft.id}/confirmar")
    assert seen.status_code == confirmed.status_code == 403
    async with services.session_factory() as session:
        assert await session.scalar(select(OutboxMessage.id)) is None
    assert len(await _denied(services)) == 3


async def test_an_event_is_created_in_the_territory_and_refused_outside(
    services: Services,
) -> None:
    async with signed_in(services, await _analyst(services)) as visitor:
        await visitor.get("/panel/eventos")
        form = {
            "tipo": "brigada_social",
            "parroquia": TACAMOROS,
            "inicio": "2026-12-05T09:00",
            "lugar": "Casa comunal",
            "descripcion": "Balcón de servicios",
        }
        created = await visitor.post("/panel/eventos", form)
        calendar = await visitor.get("/panel/eventos")
        refused = await visitor.post("/panel/eventos", {**form, "parroquia": LOJA_CENTRO})
    assert created.status_code == 303 and "Casa comunal" in calendar.text
    assert refused.status_code == 403
    async with services.session_factory() as session:
        events = list(await session.scalars(select(Event)))
    assert [e.parish_code for e in events] == [TACAMOROS]


BROKEN_REGISTRY = (
    "cedula,names,birth_date,mobile,parish_code,programme,status\n"
    "1100000015,María Rosa Jiménez,1988-03-14,0991234567,111252,BDHV,activo\n"
    "1234567890,Cédula mala,1990-01-01,0991234568,111252,BDH,activo\n"
    '1100000023,"Comillas sin cerrar,1990-07-02,0991234569,111252,BDH,activo\n'
    "1100000031,Carmen Sarango,1985-01-30,0991234570,999999,BDH,activo\n"
)


async def test_a_registry_upload_with_broken_rows_imports_the_rest_and_reports_them(
    services: Services, tmp_path: Path
) -> None:
    services.settings = services.settings.model_copy(
        update={"panel_upload_dir": str(tmp_path / "subidas")}
    )
    async with signed_in(services, await staff_account(services, Role.ADMIN)) as visitor:
        await visitor.get("/panel/registro")
        started = await visitor.http.post(
            "/panel/registro",
            data={"csrf": visitor.csrf},
            files={"archivo": ("registro-diciembre.csv", BROKEN_REGISTRY.encode(), "text/csv")},
        )
        assert started.status_code == 303
        job_path = started.headers["location"]
        # The import runs as a background task of the app; poll it as the page's HTMX does.
        for _ in range(500):
            fragment = await visitor.http.get(job_path, headers={"HX-Request": "true"})
            if "hx-trigger" not in fragment.text:
                break
            await asyncio.sleep(0.01)
        report = await visitor.get(job_path + "/errores.csv")
    summary = " ".join(fragment.text.split())
    assert "4 filas leídas, 1 cambiadas, 3 con errores" in summary
    assert "código de parroquia inexistente" in summary
    assert report.status_code == 200
    lines = report.text.strip().splitlines()
    assert lines[0] == "linea,columna,motivo"
    assert {line.split(",")[0] for line in lines[1:]} == {"3", "4", "5"}
    async with services.session_factory() as session:
        kept = list(await session.scalars(select(Beneficiary.cedula)))
    assert kept == ["1100000015"]


async def test_only_national_admins_import_the_registry(services: Services) -> None:
    async with signed_in(services, await _analyst(services)) as visitor:
        page = await visitor.get("/panel/registro")
    assert page.status_code == 403
    assert [e.target for e in await _denied(services)] == ["/panel/registro"]


@pytest.mark.parametrize("path", ["/panel/casos/NO-EXISTE", "/panel/difusiones/999"])
async def test_unknown_things_are_not_found(services: Services, path: str) -> None:
    async with signed_in(services, await staff_account(services, Role.ADMIN)) as visitor:
        assert (await visitor.get(path)).status_code == 404


async def test_the_panel_speaks_english_when_asked_and_never_redirects_away(
    services: Services,
) -> None:
    async with signed_in(services, await _analyst(services)) as visitor:
        switched = await visitor.http.get(
            "/panel/idioma/en", headers={"referer": "https://evil.example/panel/casos"}
        )
        home = await visitor.get("/panel/")
    assert switched.headers["location"] == "/panel/casos"  # back to the page, never the host
    assert "Staff panel" in home.text and "open cases" in home.text


async def test_a_zonal_coordinator_sees_the_cases_of_every_district_of_the_zone(
    services: Services,
) -> None:
    own, other, national = await _cases(services)
    zonal = await staff_account(services, Role.ZONAL, zone_code="7")
    async with signed_in(services, zonal) as visitor:
        listing = await visitor.get("/panel/casos")
        queue = await visitor.get(f"/panel/casos/{national}")
    assert own in listing.text and other in listing.text and national not in listing.text
    assert queue.status_code == 403


async def test_report_pages_of_another_module_are_mounted_behind_the_same_sign_in(
    services: Services,
) -> None:
    async def charts(ctx: PanelRequest) -> Response:
        return ctx.render("message.html", section="informes", message="gráficos")

    def reports(state: PanelState) -> list[BaseRoute]:
        return [Route("/", page(state, "informes", charts), methods=["GET"])]

    analyst = await _analyst(services)
    transport = httpx.ASGITransport(app=build_app(services, report_routes=reports))
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as client:
        anonymous = await client.get("/panel/informes/")
        visitor = PanelClient(client)
        await visitor.sign_in(analyst.staff_id)
        shown = await visitor.get("/panel/informes/")
    assert anonymous.status_code == 303
    assert shown.status_code == 200 and "gráficos" in shown.text


async def test_year_round_answers_of_a_parish_are_listed_and_their_observations_edited(
    services: Services,
) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for parish in (TACAMOROS, LOJA_CENTRO):
            session.add(
                DialogueAnswer(
                    session_id=None,
                    parish_code=parish,
                    question=2,
                    answer_text=f"Necesidad en {parish}",
                    created_at=now,
                )
            )
    async with services.session_factory() as session:
        own = await session.scalar(
            select(DialogueAnswer.id).where(DialogueAnswer.parish_code == TACAMOROS)
        )
    async with signed_in(services, await _analyst(services)) as visitor:
        listing = await visitor.get("/panel/dialogos")
        page_ = await visitor.get(f"/panel/dialogos/parroquia/{TACAMOROS}")
        other = await visitor.get(f"/panel/dialogos/parroquia/{LOJA_CENTRO}")
        saved = await visitor.post(
            f"/panel/dialogos/respuestas/{own}",
            {
                "observaciones": "Visitar el barrio",
                "volver": f"/panel/dialogos/parroquia/{TACAMOROS}",
            },
        )
    assert "Tacamoros (Sozoranga, Loja)" in listing.text and "1 respuesta" in listing.text
    assert "Necesidad en 111252" in page_.text
    assert other.status_code == 403
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/panel/dialogos/parroquia/{TACAMOROS}"
