"""Writes of the importers app: an import from the admin, dry run first, then applied."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.retry import DATABASE_UNAVAILABLE as DATABASE_ERRORS
from importers import registry
from importers.base import ImportRefused, execute

from .models import ImportRun
from .queue import publish_import

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 100  # rows between two progress writes
PROGRESS_SECONDS = 24 * 3600


class NotApplicable(Exception):
    """The import is not waiting to be applied (refused, already applied or running)."""


def _progress_key(run_id: int) -> str:
    return f"importers:run:{run_id}:progress"


def import_run_progress(run: ImportRun) -> tuple[int, int | None]:
    """Return (done, total) of a run: live from the cache while it runs, else as stored.

    The import writes in one transaction, which other connections cannot see into, so the
    worker counts in the cache (a shared one, CACHE_URL, when web and worker are separate).
    """
    if run.in_progress:
        live = cache.get(_progress_key(run.pk))
        if live is not None:
            return live
    return run.done, run.total


def _dry_run(run: ImportRun) -> ImportRun:
    info = registry.get(run.importer)
    data = bytes(run.data)
    try:
        report = execute(info.run, data, source=run.importer, options=run.options, dry_run=True)
    except ImportRefused as error:
        run.status, run.error = ImportRun.Status.REFUSED, str(error)
        run.report, run.unmapped = {}, []
    else:
        run.status, run.error, run.report = ImportRun.Status.CHECKED, "", report.as_dict()
        hook = getattr(info.run, "unmapped_services", None)
        run.unmapped = hook(data, run.options.get("mapping") or {}) if hook else []
    run.save()
    return run


def import_run_check(
    *,
    importer: str,
    file_name: str,
    data: bytes,
    mapping: dict | None = None,
    options: dict | None = None,
    by=None,
) -> ImportRun:
    """Store the file and dry-run it; return the run (``CHECKED``, or ``REFUSED`` with why).

    ``options`` are the importer's own ({name: string}, e.g. a schedule's ``rotation``); an
    importer refuses those it does not know. Raise ``KeyError`` for an unknown importer.
    """
    registry.get(importer)
    run = ImportRun(
        importer=importer,
        file_name=file_name[:255],
        data=data,
        options={**(options or {}), "mapping": dict(mapping or {})},
        created_by=by,
    )
    return _dry_run(run)


def import_run_remap(*, run: ImportRun, mapping: dict[str, str]) -> ImportRun:
    """Add ``mapping`` ({source name: component slug}) to the run's and dry-run it again.

    The picks are kept as the run's mapping (bug importers file them under ``components``),
    so the next import with this importer can start from them (:func:`last_mapping`).
    """
    if run.status != ImportRun.Status.CHECKED:
        raise NotApplicable(f"This import is {run.get_status_display().lower()}.")
    add = getattr(registry.get(run.importer).run, "add_picks", None)
    known = run.options.get("mapping") or {}
    merged = add(known, mapping) if add else {**known, **mapping}
    run.options = {**run.options, "mapping": merged}
    return _dry_run(run)


def last_mapping(importer: str) -> dict:
    """Return the mapping of the latest checked or applied run of ``importer`` ({} if none)."""
    runs = ImportRun.objects.filter(importer=importer).exclude(status=ImportRun.Status.REFUSED)
    for options in runs.values_list("options", flat=True)[:20]:
        if (options or {}).get("mapping"):
            return options["mapping"]
    return {}


@transaction.atomic
def import_run_apply(*, run: ImportRun) -> ImportRun:
    """Queue the real import of a dry-run-checked file; a Celery task runs it."""
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ImportRun.Status.CHECKED:
        raise NotApplicable(f"This import is {run.get_status_display().lower()}.")
    run.status = ImportRun.Status.QUEUED
    run.save(update_fields=["status"])
    transaction.on_commit(lambda: publish_import(run.pk))
    return run


def import_run_execute(*, run_id: int) -> ImportRun | None:
    """Run a queued import for real (the task's body); None when it is not queued or running.

    A task delivered twice (a worker lost mid-run) imports again: importers are idempotent.
    """
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None or not run.in_progress:
        return None
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.RUNNING, started_at=timezone.now()
    )
    key = _progress_key(run.pk)

    def progress(done: int, total: int | None) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            cache.set(key, (done, total), PROGRESS_SECONDS)

    info = registry.get(run.importer)
    fields = {"finished_at": None}
    try:
        report = execute(
            info.run, bytes(run.data), source=run.importer, options=run.options, progress=progress
        )
    except ImportRefused as error:
        fields.update(status=ImportRun.Status.FAILED, error=str(error))
    except DATABASE_ERRORS:
        raise  # the task is tried again; the run stays RUNNING meanwhile
    except Exception as error:
        logger.exception("import %s failed", run.pk)
        fields.update(status=ImportRun.Status.FAILED, error=f"{type(error).__name__}: {error}")
    else:
        done, total = cache.get(key) or (0, None)
        fields.update(
            status=ImportRun.Status.DONE,
            report=report.as_dict(),
            done=total if total is not None else done,
            total=total if total is not None else done,
        )
    fields["finished_at"] = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(**fields)
    cache.delete(key)
    run.refresh_from_db()
    return run
