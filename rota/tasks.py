"""Celery tasks of the rota; they take ids and call services."""

from celery import shared_task

from core.retry import DATABASE_RETRY

from .services import rotations_extend_all


@shared_task(name="rota.extend_rotations", **DATABASE_RETRY)
def extend_rotations() -> int:
    """Extend every active rotation to its horizon (scheduled nightly by Celery beat)."""
    return rotations_extend_all()
