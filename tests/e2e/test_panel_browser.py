"""The staff panel in a real browser (headless Chromium via Playwright): the main errands.

One server for the module (uvicorn in a thread, `tests/support/panel_server.py`), the
distribution's Chromium (`CHROMIUM` or /usr/bin/chromium; `make test` installs it when missing).
With PANEL_SCREENSHOTS=<dir> the tests also save the screenshots of docs/panel/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.answer_hours import AnswerHours
from bot.domain.staff import Role
from bot.services.cases import open_case
from bot.services.container import Services
from bot.services.handoff import request_person
from bot.storage.models import Beneficiary, Contact, DialogueAnswer, DialogueSession
from tests.support.database import fresh_database
from tests.support.panel import PASSWORD, staff_account
from tests.support.panel_server import PanelServer

playwright_api = pytest.importorskip("playwright.sync_api")

TACAMOROS = "111252"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = os.environ.get("PANEL_SCREENSHOTS")
BROKEN_REGISTRY = (
    "cedula,names,birth_date,mobile,parish_code,programme,status\n"
    "1100000015,María Rosa Jiménez,1988-03-14,0991234567,111252,BDHV,activo\n"
    "1234567890,Cédula mala,1990-01-01,0991234568,111252,BDH,activo\n"
    "1100000031,Carmen Sarango,1985-01-30,0991234570,999999,BDH,activo\n"
)

if not Path(CHROMIUM).exists():
    # CI installs it (`make test`): there a missing browser is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make chromium` should have installed it")
    pytest.skip(f"no Chromium at {CHROMIUM} (make test installs it)", allow_module_level=True)


async def _seed(services: Services) -> dict[str, Any]:
    admin = await staff_account(services, Role.ADMIN, name="Ana Administradora")
    analyst = await staff_account(
        services, Role.DISTRICT, district_code="11D06", name="Luis Analista"
    )
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        reporter = Contact(channel="telegram", address="4242", created_at=now, last_seen_at=now)
        session.add(reporter)
        await session.flush()
        case = await open_case(
            session,
            kind="excluido",
            now=now,
            district_code="11D06",
            parish_code=TACAMOROS,
            person_category="adulto_mayor",
            description="Doña Rosa, 82 años, vive sola en el barrio El Limo y no recibe el bono",
            reporter_contact_id=reporter.id,
            reporter_consent=True,
        )
        dialogue = DialogueSession(
            title="Diálogo Ciudadano Tacamoros", parish_code=TACAMOROS, created_at=now
        )
        session.add(dialogue)
        await session.flush()
        for question, text in [
            (1, "Pocas unidades de atención; territorio disperso y poco transporte"),
            (2, "Identificar a las personas que no reciben servicios"),
            (3, "Eventos informativos en la parroquia"),
            (4, "A través de los técnicos que visitan los sectores, porque hay poca señal"),
        ]:
            session.add(
                DialogueAnswer(
                    session_id=dialogue.id,
                    parish_code=TACAMOROS,
                    question=question,
                    answer_text=text,
                    created_at=now,
                )
            )
        for n, status in enumerate(["activo", "suspendido", "activo", "no_habilitado"]):
            session.add(
                Beneficiary(
                    cedula=f"11000001{n:02d}",
                    names="Persona",
                    mobile=f"+59399200000{n}",
                    parish_code=TACAMOROS,
                    programme="BDH",
                    status=status,
                    row_hash="x",
                    updated_at=now,
                )
            )
        citizen = Contact(
            channel="telegram",
            address="5151",
            parish_code=TACAMOROS,
            created_at=now,
            last_seen_at=now,
        )
        session.add(citizen)
        await session.flush()
        await request_person(
            session,
            citizen,
            reason="persona",
            text="Quiero hablar con alguien, mi bono no llega desde octubre",
            now=now,
            hours=AnswerHours.parse("lun-dom 00:00-23:59"),
            tz=services.settings.timezone,
        )
    return {
        "admin": admin.staff_id,
        "analyst": analyst.staff_id,
        "case": case.number,
        "dialogue": dialogue.id,
    }


@pytest.fixture(scope="module")
def server(template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PanelServer]:
    directory = tmp_path_factory.mktemp("panel-browser")

    async def make_settings() -> Settings:
        url = await fresh_database(template_url, directory)
        return Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=url,
            panel_upload_dir=str(directory / "subidas"),
            panel_cookie_secure=False,  # plain HTTP on 127.0.0.1, even on PostgreSQL
        )

    running = PanelServer(make_settings, _seed).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: PanelServer) -> Iterator[Any]:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page: Any, account: int, *, shot: bool = False) -> None:
    page.goto("/panel/")
    page.locator("#con-contrasena input[name=cuenta]").fill(str(account))
    page.locator("#con-contrasena input[name=contrasena]").fill(PASSWORD)
    if shot:
        _shot(page, "entrar")
    page.locator("#con-contrasena button").click()
    page.wait_for_url("**/panel/")


def test_staff_sign_in_and_see_their_figures(page: Any, server: PanelServer) -> None:
    _sign_in(page, server.seeded["admin"], shot=True)
    assert "Ana Administradora" in page.inner_text("header")
    assert "casos abiertos" in page.inner_text("main")
    _shot(page, "inicio")


def test_an_analyst_closes_a_case_with_a_note(page: Any, server: PanelServer) -> None:
    number = server.seeded["case"]
    _sign_in(page, server.seeded["analyst"])
    page.click("nav >> text=Casos")
    assert "Tacamoros (Sozoranga, Loja)" in page.inner_text("#casos")
    _shot(page, "casos")
    page.click(f"text={number}")
    page.select_option("select[name=estado]", "en_verificacion")
    page.fill("textarea[name=nota]", "Visita programada el martes")
    page.click("#cambiar-estado button")
    page.select_option("select[name=estado]", "incluido")
    page.fill("textarea[name=nota]", "Incluida en el bono tras la visita")
    page.click("#cambiar-estado button")
    assert page.inner_text("#estado") == "Incluido en los servicios"
    assert "Incluida en el bono tras la visita" in page.inner_text("main")
    assert page.locator("#cambiar-estado").count() == 0  # closed: no further step
    _shot(page, "caso")


def test_an_analyst_edits_an_observation_in_place(page: Any, server: PanelServer) -> None:
    _sign_in(page, server.seeded["analyst"])
    page.goto(f"/panel/dialogos/{server.seeded['dialogue']}")
    box = page.locator("textarea[name=observaciones]").first
    box.fill("Coordinar transporte con el GAD parroquial")
    page.locator("form.observation button").first.click()
    page.wait_for_selector(".saved")  # swapped in by HTMX, no reload
    _shot(page, "dialogo")
    page.reload()
    assert (
        "Coordinar transporte con el GAD parroquial"
        in page.locator("textarea[name=observaciones]").first.input_value()
    )


def test_a_broadcast_filtered_by_payment_status_is_previewed_and_confirmed(
    page: Any, server: PanelServer
) -> None:
    _sign_in(page, server.seeded["analyst"])
    page.goto("/panel/difusiones")
    page.select_option("select[name=fuente]", "beneficiarios")
    page.select_option("select[name=ambito]", "parish")
    page.fill("input[name=codigo]", TACAMOROS)
    page.select_option("select[name=estado_pago]", "activo")
    page.fill("textarea[name=mensaje]", "El pago de diciembre será desde el 5/12")
    _shot(page, "difusiones")
    page.click("#redactar button")
    assert page.inner_text("#destinatarios") == "2"  # the suspended and not enabled are left out
    _shot(page, "difusion-vista-previa")
    page.click("#confirmar")
    assert "2 mensajes en cola" in page.inner_text("main")


def test_a_registry_upload_shows_progress_and_its_error_report_downloads(
    page: Any, server: PanelServer, tmp_path: Path
) -> None:
    upload = tmp_path / "registro-diciembre.csv"
    upload.write_text(BROKEN_REGISTRY, encoding="utf-8")
    _sign_in(page, server.seeded["admin"])
    page.goto("/panel/registro")
    page.set_input_files("input[name=archivo]", str(upload))
    page.click("#subir button")
    page.wait_for_selector("#resumen")  # HTMX polled the job until it ended
    assert "3 filas leídas, 1 cambiadas, 2 con errores" in " ".join(
        page.inner_text("#resumen").split()
    )
    _shot(page, "registro")
    with page.expect_download() as download_info:
        page.click("#informe-errores")
    report = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    assert report[0] == "linea,columna,motivo"
    assert [line.split(",")[0] for line in report[1:]] == ["3", "4"]


def test_an_analyst_takes_a_conversation_from_the_inbox_and_answers_it(
    page: Any, server: PanelServer
) -> None:
    _sign_in(page, server.seeded["analyst"])
    page.click("nav >> text=Bandeja")
    assert "mi bono no llega desde octubre" in page.inner_text("#bandeja")
    _shot(page, "bandeja")
    page.locator("#bandeja a").first.click()
    page.click("#tomar")
    assert page.inner_text("#estado").startswith("Atendiendo")
    page.fill("textarea[name=texto]", "Buenos días, soy Luis del distrito. ¿Me da su cédula?")
    page.click("#responder button")
    assert "soy Luis del distrito" in page.inner_text("#conversacion")
    _shot(page, "bandeja-conversacion")
    page.click("#devolver")
    assert page.inner_text("#estado").startswith("Devuelta al asistente")


def test_the_reports_show_their_charts(page: Any, server: PanelServer) -> None:
    _sign_in(page, server.seeded["admin"])
    page.click("nav >> text=Informes")
    images = page.locator("section.chart img")
    for index in range(images.count()):  # lazy images load as they come into view
        images.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("section.chart img").count() == 5
    _shot(page, "informes")
