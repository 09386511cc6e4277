"""Celery tasks of the importers app; they take ids and call services."""

from celery import shared_task

from core.retry import DATABASE_RETRY

from .queue import RUN_IMPORT
from .services import import_run_execute


@shared_task(name=RUN_IMPORT, **DATABASE_RETRY)
def run_import(run_id: int) -> str:
    """Apply an import the admin queued after its dry run; return its final status."""
    run = import_run_execute(run_id=run_id)
    return run.status if run is not None else "skipped"
