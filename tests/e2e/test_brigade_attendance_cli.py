"""The Tacamoros brigade of 21 November 2024, recorded from the command line as the district
report counts it (200 participants; the ministry's services and the other institutions'
attentions), comes out of the dialogue export in the report's own sentences."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.domain.staff import Role
from bot.services.container import Services
from tests.e2e.test_dialogue_cli import cli
from tests.support.staff_accounts import make_scope

# (institution, service, people, detail) as seed 000 §III lists them.
ATTENTIONS = (
    (
        "MIES",
        "Desarrollo Infantil",
        20,
        "niñas y niños participan en actividades lúdicas, mediante el servicio de Desarrollo "
        "Infantil",
    ),
    (
        "MIES",
        "Balcón de Servicios",
        15,
        "personas atendidas en Balcón de Servicios, solicitan información sobre el acceso a los "
        "bonos y pensiones",
    ),
    (
        "MIES",
        "Desarrollo Infantil - nutrición",
        40,
        "personas sensibilizadas en nutrición y alimentación saludable a través del servicio de "
        "Desarrollo Infantil",
    ),
    (
        "MIES",
        "Envejeciendo Juntos, Protección Especial y Discapacidades",
        50,
        "personas se informaron de los servicios de Envejeciendo Juntos, Protección Especial y "
        "Discapacidades",
    ),
    (
        "Ministerio de Salud Pública",
        "",
        12,
        "usuarios recibieron atención, en el control de la presión arterial",
    ),
    ("BanEcuador", "", 17, "atenciones con información sobre microcréditos y apertura de cuentas"),
    (
        "Ministerio de Educación",
        "",
        8,
        "atenciones con información de ofertas académicas post bachillerato",
    ),
    (
        "Ministerio de Agricultura y Ganadería",
        "",
        10,
        "atenciones con información sobre asesoramiento técnico en cultivos y cría de animales "
        "menores",
    ),
)


async def test_the_tacamoros_brigade_attendance_is_recorded_and_exported_as_in_the_report(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    staff = ["--staff-id", str(calvas.staff_id)]
    held = cli(
        database_url,
        "asistencia",
        "evento-realizado",
        "--parish",
        "Tacamoros",
        "--kind",
        "brigada_social",
        "--held-on",
        "2024-11-21",
        "--title",
        "Brigada Social por el Nuevo Ecuador",
        "--place",
        "Tacamoros, fiestas de parroquialización",
        "--participants",
        "200",
        *staff,
    )
    assert held.returncode == 0, held.stderr
    assert held.stdout.strip() == "Evento 1 registrado."
    for institution, service, people, detail in ATTENTIONS:
        done = cli(
            database_url,
            "asistencia",
            "registrar",
            "--event",
            "1",
            "--institution",
            institution,
            "--service",
            service,
            "--people",
            str(people),
            "--detail",
            detail,
            *staff,
        )
        assert done.returncode == 0, done.stderr
    opened = cli(
        database_url,
        "dialogues",
        "open",
        "--parish",
        "Tacamoros",
        "--title",
        "Diálogo Ciudadano Tacamoros 2024-11-21",
        "--held-on",
        "2024-11-21",
        "--event",
        "1",
        *staff,
    )
    assert opened.returncode == 0, opened.stderr

    exported = cli(
        database_url,
        "reports",
        "export",
        "--dialogue",
        "1",
        "--format",
        "csv",
        "--out",
        str(tmp_path),
        *staff,
    )

    assert exported.returncode == 0, exported.stderr
    with (tmp_path / "dialogo_1_asistencia.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["Evento", "Fecha", "Parroquia", "Participantes"]
    assert rows[1][0] == "Brigada Social por el Nuevo Ecuador"
    assert rows[1][1] == "21/11/2024" and rows[1][3] == "200"
    assert [(r[4], int(r[6])) for r in rows[2:10]] == [(a[0], a[2]) for a in ATTENTIONS]
    assert rows[10][0] == "TOTAL ATENCIONES" and rows[10][6] == str(sum(a[2] for a in ATTENTIONS))
    sentences = [r[0] for r in rows[11:] if r[0]]
    assert "Participación: 200 ciudadanos." in sentences
    assert (
        "Los servicios MIES, atendieron a: 20 niñas y niños participan en actividades lúdicas, "
        "mediante el servicio de Desarrollo Infantil, 15 personas atendidas en Balcón de "
        "Servicios, solicitan información sobre el acceso a los bonos y pensiones, 40 personas "
        "sensibilizadas en nutrición y alimentación saludable a través del servicio de "
        "Desarrollo Infantil, 50 personas se informaron de los servicios de Envejeciendo Juntos, "
        "Protección Especial y Discapacidades."
    ) in sentences
    assert (
        "Ministerio de Salud Pública, 12 usuarios recibieron atención, en el control de la "
        "presión arterial."
    ) in sentences
    assert (
        "BanEcuador, 17 atenciones con información sobre microcréditos y apertura de cuentas."
        in sentences
    )
