"""Celery tasks of the rota; they take ids and call services."""

import datetime

from celery import shared_task

from core.retry import DATABASE_RETRY

from .models import Rotation
from .services import rotation_generate, rotations_extend_all


@shared_task(name="rota.extend_rotations", **DATABASE_RETRY)
def extend_rotations() -> int:
    """Extend every active rotation to its horizon (scheduled nightly by Celery beat)."""
    return rotations_extend_all()


@shared_task(name="rota.generate_rotation", **DATABASE_RETRY)
def generate_rotation(rotation_id: int, until: str | None = None) -> int:
    """Generate one rotation's shifts up to ``until`` (ISO date) or its horizon."""
    rotation = Rotation.objects.filter(pk=rotation_id).first()
    if rotation is None:
        return 0
    day = datetime.date.fromisoformat(until) if until else None
    return rotation_generate(rotation=rotation, until=day)
