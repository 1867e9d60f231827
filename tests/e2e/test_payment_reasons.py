"""«¿Por qué no me llegó?» for each payment reason, as the citizen lives it (issue 12).

Each person's row comes in through the real monthly registry import (CSV → `import_registry`),
then she asks on Telegram (the real Application against the fake Bot API) or the console chat,
verifies with her cédula and birth date, and must get the true reason and the next steps, in
order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.services.registry_import import import_registry
from bot.storage.registry_sample import sample_cedula, sample_row, write_csv
from tests.e2e.test_console_flows import converse
from tests.support.fake_bot_api import TelegramUser
from tests.unit.test_eligibility_promises import SPANISH_PAYMENT_PROMISES, SPANISH_PROMISES

BIRTH = "1990-07-02"
BIRTH_TYPED = "02/07/1990"

# situation → (programme, status, reason_code, amount)
PEOPLE = {
    "school": ("BDH", "suspendido", "corresp_matricula", "55.00"),
    "child_turned_5": ("BDHV", "activo", "monto_hijo_cumplio_5", "75.00"),
    "member_job": ("BDH", "dado_de_baja", "empleo_formal_miembro_hogar", "55.00"),
    "cdh": ("BDH", "retenido", "credito_cdh", "55.00"),
    "duplicate": ("BDH", "retenido", "registro_duplicado", "55.00"),
    "b1000_checkup": ("B1000", "activo", "b1000_controles_nino", "50.00"),
    "active": ("BDH", "activo", "", "55.00"),
}
NUMBER = {situation: 700_000 + n for n, situation in enumerate(PEOPLE)}


def cedula(situation: str) -> str:
    return sample_cedula(NUMBER[situation])


@pytest.fixture(autouse=True)
async def registry(services: Services, tmp_path: Path) -> None:
    rows = []
    for situation, (programme, status, reason, amount) in PEOPLE.items():
        row = sample_row(NUMBER[situation])
        row.update(
            birth_date=BIRTH,
            parish_code="111252",
            programme=programme,
            status=status,
            reason_code=reason,
            amount=amount,
            next_payment_date="",
        )
        rows.append(row)
    path = tmp_path / "registro.csv"
    write_csv(path, iter(rows))
    summary = await import_registry(services.engine, path, now=services.clock())
    assert summary.rows_failed == 0, "the registry import accepts every new reason code"


async def _ask(citizen: TelegramUser, situation: str, opening: str = "no me llegó el bono") -> str:
    asked = await citizen.say(opening)
    assert "confirmar su identidad" in asked[0], f"{opening!r} did not open the payment flow"
    await citizen.say(cedula(situation))
    return "\n".join(await citizen.say(BIRTH_TYPED))


def _steps(text: str) -> list[str]:
    """The numbered «Qué hacer» steps, in the order shown."""
    return re.findall(r"^\d+\. (.+)$", text, flags=re.M)


def _position(steps: list[str], fragment: str) -> int:
    return next(i for i, step in enumerate(steps) if fragment in step)


async def test_suspended_for_school_enrolment_gets_the_ladder_in_order(
    citizen: TelegramUser,
) -> None:
    text = await _ask(citizen, "school")
    assert "suspendido por corresponsabilidad" in text
    assert "Condición que falta cumplir: la matrícula escolar de los hijos de 5 a 17 años" in text
    steps = _steps(text)
    enrol = _position(steps, "Primero inscriba a sus hijos en la escuela")
    unfinished = _position(steps, "educación inconclusa")
    justify = _position(steps, "para justificar")
    session = _position(steps, "sesión de sensibilización")
    not_alone = _position(steps, "La sesión sola no devuelve el pago")
    assert enrol == 0 < unfinished < justify < session < not_alone
    assert "rehabilitado" not in text  # the old untrue promise of the session
    # The session itself is offered after the steps (none planned in this parish).
    assert text.index("sesión de sensibilización programada") > text.index(steps[-1])


async def test_amount_dropped_because_a_child_turned_5(citizen: TelegramUser) -> None:
    text = await _ask(citizen, "child_turned_5", opening="me bajaron el bono")
    assert "Su pago está activo." in text
    assert "Su bono bajó porque uno de sus hijos cumplió 5 años." in text
    assert "75,00" in text
    assert _steps(text)[0] == "Si el dato es correcto, no tiene que hacer nada."
    assert "actualización del Registro Social" in _steps(text)[1]


async def test_another_members_formal_job_says_whose_job_and_what_to_do(
    citizen: TelegramUser,
) -> None:
    text = await _ask(citizen, "member_job")
    assert "dado de baja" in text
    assert "Otra persona de su hogar consta con un trabajo con contrato" in text
    assert "nueva encuesta del Registro Social" in _steps(text)[0]
    assert "Solo como guía" not in text  # no collection days for a removed payment


async def test_cdh_repayment_is_said_as_unconfirmed_and_without_collection_days(
    citizen: TelegramUser,
) -> None:
    text = await _ask(citizen, "cdh")
    assert "Su pago está detenido por ahora." in text
    assert "Crédito de Desarrollo Humano" in text
    assert "puede usarse para pagar el crédito" in text
    assert "no está confirmado por una fuente pública" in text
    assert "cuántos pagos faltan" in _steps(text)[0]
    assert "Solo como guía" not in text


async def test_duplicate_record_asks_the_district_to_keep_one(citizen: TelegramUser) -> None:
    text = await _ask(citizen, "duplicate")
    assert "Su nombre aparece dos veces en el registro." in text
    assert _steps(text) == [
        "Vaya a su dirección distrital con su cédula.",
        "Pida que dejen un solo registro, con sus datos correctos.",
    ]
    assert "no está confirmado" in text


async def test_1000_dias_extra_payment_missing_for_a_check_up(citizen: TelegramUser) -> None:
    text = await _ask(citizen, "b1000_checkup")
    assert "su Bono 1000 Días" in text
    assert "No llegó el pago extra del año de su bebé." in text
    steps = _steps(text)
    assert "centro de salud del Ministerio de Salud Pública (MSP)" in steps[0]
    assert _position(steps, "registren el control") < _position(steps, "pago extra")


async def test_collection_days_are_the_months_calendar_and_never_a_promised_date(
    citizen: TelegramUser,
) -> None:
    text = await _ask(citizen, "active")
    digit = cedula("active")[-1]
    calendar = text.index("Cada mes el Ministerio publica el calendario de pago.")
    guide = text.index(f"Solo como guía: su cédula termina en {digit}.")
    change = text.index("El calendario de cada mes puede cambiar esos días.")
    assert calendar < guide < change
    assert "1800-002-002" in text[change:]
    assert "de cada mes." not in text  # the old wording gave the days as fixed
    for line in text.splitlines():
        assert not SPANISH_PROMISES.search(line.replace("Seguro Campesino", "")), line
        assert not SPANISH_PAYMENT_PROMISES.search(line), line


async def test_the_console_chat_gives_the_same_reason_and_steps(flow_engine: FlowEngine) -> None:
    screens = await converse(flow_engine, ["/pago", cedula("member_job"), BIRTH_TYPED])
    shown = screens[2]
    assert "Otra persona de su hogar consta con un trabajo con contrato" in shown
    assert "1. Si esa persona ya no tiene ese trabajo" in shown
