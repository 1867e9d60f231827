"""`data` commands: reference data, the demo data set, and the coverage check."""

from __future__ import annotations

import asyncio
import tomllib

import typer

from bot.cli.common import load_settings
from bot.domain.clock import utc_now
from bot.domain.payment_status import load_texts, reason_coverage
from bot.services.territory import Coverage, TerritoryDirectory
from bot.storage.db import create_engine, create_session_factory
from bot.storage.demo_data import load_demo_data
from bot.storage.reference_data import DATA_DIR, ReferenceCounts, load_reference_data

data_app = typer.Typer(help="Datos de referencia y de demostración.", no_args_is_help=True)


async def _load(database_url: str, demo: bool) -> tuple[ReferenceCounts, int]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            counts = await load_reference_data(session)
            added = await load_demo_data(session, utc_now()) if demo else 0
        return counts, added
    finally:
        await engine.dispose()


@data_app.command("load")
def data_load(
    demo: bool = typer.Option(False, help="también carga los datos de demostración"),
) -> None:
    """Loads provinces, cantons, parishes, zones and district directorates (idempotent)."""
    settings = load_settings()
    counts, added = asyncio.run(_load(settings.database_url, demo))
    typer.echo(
        f"Provincias: {counts.provinces} · Cantones: {counts.cantons} · "
        f"Parroquias: {counts.parishes} · "
        f"Zonas: {counts.zones} · Direcciones distritales: {counts.districts} · "
        f"Cantones con distrito asignado: {counts.mapped_cantons}"
    )
    if demo:
        typer.echo(f"Datos de demostración añadidos: {added} filas.")


def _walk(node: object, found: list[tuple[str, str]], where: str) -> None:
    """Collects every table tagged P or U (one press source, uncertain) in a rules file."""
    if isinstance(node, dict):
        tag = str(node.get("tag") or node.get("confidence") or "").upper()
        if tag in ("P", "U", "P/U", "U/P"):
            label = node.get("code") or node.get("title") or node.get("name") or where
            found.append((tag, f"{where}: {label}"))
        for key, value in node.items():
            _walk(value, found, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, found, f"{where}[{index}]")


def _programmes(rules: dict[str, object]) -> list[tuple[str, bool]]:
    """(programme, has a source) for the programmes of eligibility.toml, whatever its shape."""
    listed = rules.get("programmes")
    if isinstance(listed, list):
        return [
            (str(p.get("code") or p.get("name")), bool(p.get("source")))
            for p in listed
            if isinstance(p, dict)
        ]
    skip = {"sources", "registro_social", "texts", "documents"}
    return [
        (key, bool(value.get("source")))
        for key, value in rules.items()
        if isinstance(value, dict) and key not in skip and ("amount" in value or "name" in value)
    ]


async def _coverage(database_url: str) -> Coverage:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            territory = await TerritoryDirectory.load(session)
        return territory.coverage()
    finally:
        await engine.dispose()


def _percent(part: int, whole: int) -> str:
    return f"{part} de {whole} ({100 * part / whole:.0f} %)" if whole else "0"


@data_app.command("check")
def data_check() -> None:
    """Prints the data's coverage: offices per parish, addresses, sourced programmes, open facts."""
    settings = load_settings()
    cov = asyncio.run(_coverage(settings.database_url))
    tags = " · ".join(f"{tag}: {count}" for tag, count in cov.parishes_by_confidence.items())
    typer.echo("Oficinas")
    typer.echo(
        f"  Parroquias con oficina conocida: {_percent(cov.parishes_with_office, cov.parishes)}"
    )
    typer.echo(f"    por confianza (V confirmado, P prensa, D derivado, U incierto): {tags or '-'}")
    typer.echo(
        f"  Parroquias con dirección de su oficina: "
        f"{_percent(cov.parishes_with_address, cov.parishes)}"
    )
    typer.echo(
        f"  Parroquias sin oficina conocida: {cov.parishes - cov.parishes_with_office} "
        f"(reciben su coordinación zonal y la línea gratuita: {cov.parishes_with_zone_only}; "
        f"solo la línea gratuita: {cov.parishes_without_zone})"
    )
    typer.echo(f"  Cantones con oficina: {_percent(cov.cantons_with_office, cov.cantons)}")
    typer.echo(
        f"  Oficinas: {cov.offices} · con dirección: {cov.offices_with_address} · "
        f"con horario: {cov.offices_with_hours} · con teléfono: {cov.offices_with_phone}"
    )
    unconfirmed: list[tuple[str, str]] = []
    rules_path = DATA_DIR / "eligibility.toml"
    if rules_path.is_file():
        rules = tomllib.loads(rules_path.read_text(encoding="utf-8"))
        programmes = _programmes(rules)
        sourced = sum(1 for _, has in programmes if has)
        typer.echo("Programas")
        typer.echo(f"  Programas con fuente: {_percent(sourced, len(programmes))}")
        missing = [name for name, has in programmes if not has]
        if missing:
            typer.echo(f"  Sin fuente: {', '.join(missing)}")
    reasons = reason_coverage(load_texts())
    typer.echo("Motivos de pago")
    typer.echo(
        f"  Motivos de pago con fuente pública: {_percent(reasons.sourced, reasons.reasons)} · "
        f"sin confirmar (U): {len(reasons.unconfirmed)}"
    )
    if reasons.unconfirmed:
        typer.echo(f"  Sin confirmar: {', '.join(reasons.unconfirmed)}")
    for path in sorted(DATA_DIR.glob("*.toml")):
        _walk(tomllib.loads(path.read_text(encoding="utf-8")), unconfirmed, path.stem)
    typer.echo(f"Datos aún sin confirmar (P o U) en los archivos de reglas: {len(unconfirmed)}")
    for tag, where in unconfirmed:
        typer.echo(f"  [{tag}] {where}")
