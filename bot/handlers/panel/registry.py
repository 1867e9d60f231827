"""Registry import by upload: the file is saved, imported in the background, progress polled.

The import is the CLI's (`bot.services.registry_import.import_registry`: streamed, validated row
by row, all-or-nothing for the data, row errors to a CSV report). The page starts it as a
background task of this process and the browser polls its progress with HTMX every second
(without JavaScript the page refreshes itself); when it ends the page shows the summary and the
row-error report to download. Jobs live in this process's memory: a restart forgets the progress
bar, not the import (its `import_runs` row and report files stay).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, RedirectResponse, Response

from bot.domain.errors import N_
from bot.handlers.panel.core import PREFIX, PanelRequest, PanelState
from bot.services.audit import record
from bot.services.authz import Action, authorize
from bot.services.registry_import import (
    ImportFileError,
    ImportRolledBack,
    ImportSummary,
    import_registry,
)

log = logging.getLogger(__name__)

MAX_JOBS_KEPT = 50  # finished jobs beyond these are forgotten (their files stay on disk)
MAX_UPLOAD_BYTES = 1 << 30  # 1 GiB: a national registry of ~1.4 M rows is ~200 MB
_CHUNK = 1 << 20


@dataclass
class ImportJob:
    """One upload being imported: who started it, how far it is, how it ended."""

    id: str
    staff_id: int
    file_name: str
    total_bytes: int
    read_bytes: int = 0
    status: str = "running"  # running | done | failed
    summary: ImportSummary | None = None
    error: str | None = None
    errors_path: Path | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def percent(self) -> int:
        """How much of the file has been read, 0–100."""
        if self.status != "running":
            return 100
        return min(99, int(100 * self.read_bytes / self.total_bytes)) if self.total_bytes else 0


async def _run(state: PanelState, job: ImportJob, path: Path) -> None:
    services = state.services

    def progress(read: int) -> None:
        job.read_bytes = read

    try:
        summary = await import_registry(
            services.engine,
            path,
            now=services.clock(),
            staff_id=job.staff_id,
            progress=progress,
            errors_path=job.errors_path,
        )
    except ImportFileError as error:
        job.status, job.error = "failed", str(error)
    except ImportRolledBack:
        job.status = "failed"
        job.error = N_("La importación falló y se deshizo: el registro quedó como estaba.")
    except Exception:  # a background task must record its end, whatever happened
        log.exception("registry upload import failed")
        job.status = "failed"
        job.error = N_("La importación falló y se deshizo: el registro quedó como estaba.")
    else:
        job.summary, job.status = summary, "done"
    async with services.session_factory() as db, db.begin():
        await record(
            db,
            at=services.clock(),
            actor_kind="staff",
            actor=f"staff:{job.staff_id}",
            action="registry.import",
            target=f"import_run:{job.summary.run_id}" if job.summary else None,
            outcome=job.status,
            detail={
                "rows_read": job.summary.rows_read if job.summary else 0,
                "rows_failed": job.summary.rows_failed if job.summary else 0,
                "source": "panel",
            },
        )


async def registry_home(ctx: PanelRequest, *, error: str | None = None) -> Response:
    """GET /panel/registro: the upload form and this process's recent imports."""
    await authorize(ctx.db, ctx.who.scope, Action.IMPORT_REGISTRY, now=ctx.now)
    jobs = sorted(ctx.state.jobs.values(), key=lambda j: j.id)[-10:]
    return ctx.render("registry.html", section="registro", jobs=jobs, error=error)


async def registry_upload(ctx: PanelRequest) -> Response:
    """POST /panel/registro: saves the uploaded CSV and starts its import in the background."""
    await authorize(ctx.db, ctx.who.scope, Action.IMPORT_REGISTRY, now=ctx.now)
    form = await ctx.request.form()
    upload = form.get("archivo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await registry_home(ctx, error=ctx.tr.t("Elija el archivo CSV del registro."))
    directory = Path(ctx.services.settings.panel_upload_dir)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    job_id = secrets.token_hex(8)
    path = directory / f"registro-{job_id}.csv"
    size = 0
    with path.open("wb") as target:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                target.close()
                path.unlink(missing_ok=True)
                return await registry_home(ctx, error=ctx.tr.t("El archivo es demasiado grande."))
            target.write(chunk)
    job = ImportJob(
        id=job_id,
        staff_id=ctx.who.scope.staff_id,
        file_name=Path(upload.filename).name[:120],
        total_bytes=size,
        errors_path=path.with_name(path.stem + ".errores.csv"),
    )
    finished = [key for key, kept in ctx.state.jobs.items() if kept.status != "running"]
    for key in finished[: max(0, len(ctx.state.jobs) - MAX_JOBS_KEPT + 1)]:
        del ctx.state.jobs[key]
    ctx.state.jobs[job_id] = job
    job.task = asyncio.create_task(_run(ctx.state, job, path))
    return RedirectResponse(f"{PREFIX}/registro/trabajos/{job_id}", status_code=303)


def _job(ctx: PanelRequest) -> ImportJob | None:
    job = ctx.state.jobs.get(str(ctx.request.path_params["job_id"]))
    return job


async def registry_job(ctx: PanelRequest) -> Response:
    """GET /panel/registro/trabajos/{id}: progress (an HTMX fragment when polled), then summary."""
    await authorize(ctx.db, ctx.who.scope, Action.IMPORT_REGISTRY, now=ctx.now)
    job = _job(ctx)
    if job is None:
        return ctx.render(
            "message.html", status_code=404, message=ctx.tr.t("No existe esa importación.")
        )
    template = "_import_job.html" if ctx.request.headers.get("HX-Request") else "import_job.html"
    return ctx.render(template, section="registro", job=job)


async def registry_errors(ctx: PanelRequest) -> Response:
    """GET /panel/registro/trabajos/{id}/errores.csv: the row-error report (line, column, why)."""
    await authorize(ctx.db, ctx.who.scope, Action.IMPORT_REGISTRY, now=ctx.now)
    job = _job(ctx)
    if (
        job is None
        or job.status == "running"
        or job.errors_path is None
        or not job.errors_path.is_file()
    ):
        return ctx.render(
            "message.html", status_code=404, message=ctx.tr.t("No existe esa importación.")
        )
    return FileResponse(
        job.errors_path,
        media_type="text/csv; charset=utf-8",
        filename=f"{Path(job.file_name).stem}.errores.csv",
    )
