"""From the command line, the Calvas technician writes her Tacamoros field list as a PDF; the
Loja technician's attempt fails with one clear line and writes nothing."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from bot.domain.staff import Role
from bot.services import technicians
from bot.services.container import Services
from bot.storage.models import Beneficiary
from bot.storage.registry_sample import sample_cedula
from tests.e2e.test_dialogue_cli import cli
from tests.support.staff_accounts import make_scope


async def test_the_field_list_pdf_from_the_cli_and_a_refusal_for_another_district(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    ana = await make_scope(services, Role.TECHNICIAN, district_code="11D06", name="Ana Técnica")
    luis = await make_scope(services, Role.TECHNICIAN, district_code="11D01", name="Luis")
    async with services.session_factory() as session, session.begin():
        session.add(
            Beneficiary(
                cedula=sample_cedula(1),
                names="Rosa Cumbicus",
                parish_code="111252",
                programme="BDHV",
                status="activo",
                pending_conditions="matricula:2027-08-10",
                row_hash="x",
                updated_at=services.clock(),
            )
        )
        await session.flush()
        await technicians.assign(
            session, calvas, technician_id=ana.staff_id, parish_code="111252", now=services.clock()
        )
    mine, theirs = tmp_path / "ana.pdf", tmp_path / "luis.pdf"

    printed = cli(
        database_url, "acompanamiento", "lista", "--parish", "Tacamoros", "--out", str(mine),
        "--staff-id", str(ana.staff_id),
    )  # fmt: skip
    refused = cli(
        database_url, "acompanamiento", "lista", "--parish", "Tacamoros", "--out", str(theirs),
        "--staff-id", str(luis.staff_id),
    )  # fmt: skip

    assert printed.returncode == 0, printed.stderr
    assert "1 parroquias, 1 familias" in printed.stdout
    text = PdfReader(io.BytesIO(mine.read_bytes())).pages[0].extract_text()
    assert "Rosa Cumbicus" in text and "matrícula escolar" in text and "10/8/27" in text
    assert refused.returncode == 2
    assert "solo puede actuar sobre su territorio (distrito 11D01)" in refused.stderr
    assert not theirs.exists()
