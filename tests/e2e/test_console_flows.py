"""The citizen flows are reachable from the console chat: payment status, events, eligibility.

The console is driven by scripted lines through `run_console` exactly as a person at a terminal:
options are chosen by typing their number, as shown on screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.domain.identity import complete_cedula
from bot.flows.engine import FlowEngine
from bot.handlers.console import run_console
from bot.services.container import Services
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import Case, Contact, Subscription

Step = str | Callable[[str], str]


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


def option(label_part: str) -> Callable[[str], str]:
    """A scripted line that types the number shown next to the option containing `label_part`."""

    def pick(screen: str) -> str:
        for number, label in re.findall(r"^\s+(\d+)\. (.+)$", screen, flags=re.M):
            if label_part.lower() in label.lower():
                return str(number)
        raise AssertionError(f"no option like {label_part!r} on screen:\n{screen}")

    return pick


async def converse(engine: FlowEngine, steps: list[Step]) -> list[str]:
    """Runs the console with `steps`; returns what was shown after each line (then the goodbye)."""
    screens: list[str] = []
    shown: list[str] = []
    pending = iter([*steps, "salir"])

    async def read() -> str | None:
        screen = "\n".join(shown)
        if shown:
            screens.append(screen)
        shown.clear()
        step = next(pending, None)
        return step(screen) if callable(step) else step

    await run_console(engine, read, shown.append)
    screens.append("\n".join(shown))
    return screens[1:]  # the first screen is the console's own greeting


def _birth(index: int) -> str:
    return DEMO_PEOPLE[index].birth_date.strftime("%d/%m/%Y")


async def test_payment_status_from_the_console_for_an_active_and_a_suspended_person(
    flow_engine: FlowEngine,
) -> None:
    screens = await converse(
        flow_engine,
        [
            "hola",
            option("pago"),
            DEMO_PEOPLE[0].cedula,
            _birth(0),
            "menú",
            "no me llegó el bono",
            DEMO_PEOPLE[1].cedula,
            _birth(1),
        ],
    )
    assert "cédula" in screens[1]
    assert "Su pago está activo." in screens[3] and "104,00" in screens[3]
    assert "suspendido por corresponsabilidad" in screens[7]
    assert "miércoles 25 de noviembre, 09:00" in screens[7]
    assert screens[-1].endswith("Hasta pronto.")


async def test_payment_status_from_the_console_opens_a_case_for_an_unknown_cedula(
    flow_engine: FlowEngine, services: Services
) -> None:
    unknown = complete_cedula("110999999")
    screens = await converse(
        flow_engine,
        ["/pago", unknown, "01/01/1980", option("caso"), "Tacamoros"],
    )
    assert "No encontré un registro de pago" in screens[2]
    assert "Abrimos el caso 11D06-2026-" in screens[4]
    async with services.session_factory() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.cedula == unknown


async def test_payment_bad_inputs_each_get_their_own_message_on_the_console(
    flow_engine: FlowEngine,
) -> None:
    wrong_digit = DEMO_PEOPLE[0].cedula[:-1] + str((int(DEMO_PEOPLE[0].cedula[-1]) + 1) % 10)
    screens = await converse(flow_engine, ["/pago", wrong_digit, "   ", DEMO_PEOPLE[0].cedula])
    assert "dígito verificador" in screens[1]
    assert "No recibí ningún texto" in screens[2]
    assert screens[1] != screens[2]


async def test_events_and_an_sms_reminder_from_the_console(
    flow_engine: FlowEngine, services: Services
) -> None:
    screens = await converse(
        flow_engine,
        [
            "menú",
            option("Eventos"),
            "tacamoros",
            option("SMS"),
            "0991234",
            "0991234567",
            option("acepto"),
            "/baja_eventos",
        ],
    )
    assert "miércoles 25 de noviembre, 09:00, en Casa comunal de Tacamoros" in screens[2]
    assert "Telegram" not in screens[2]  # the console cannot receive Telegram reminders
    assert "no es válido" in screens[4]
    assert "¿Acepta?" in screens[5]
    assert "le recordaremos por SMS al +59399****567" in screens[6]
    assert "Tacamoros, SMS al +59399****567" in screens[7]
    async with services.session_factory() as session:
        subs = list(await session.scalars(select(Subscription)))
        contact = await session.scalar(select(Contact).where(Contact.channel == "console"))
    assert subs == []
    assert contact is not None and contact.consent_at is not None


async def test_eligibility_is_reachable_from_the_console(flow_engine: FlowEngine) -> None:
    screens = await converse(
        flow_engine,
        [
            "menú",
            option("Califico"),
            "300",
            "no",
            "70",
            option("Extrema pobreza"),
            option("No, ninguna"),
            option("No"),
            option("No"),
        ],
    )
    assert "¿Cuántos años tiene esa persona?" in screens[1]
    assert "Entendí 300" in screens[2] and "¿Es correcto?" in screens[2]  # read back, confirmed
    assert "Escríbalo otra vez" in screens[3]
    assert "Puede corresponderle: Pensión Mis Mejores Años" in screens[-2]
    assert "100,00" in screens[-2]
