"""Writes of the reports app: a team's capacity settings."""

from django.db import transaction

from ownership.models import Team

from .models import TeamCapacity

CAPACITY_FIELDS = (
    "buffer_percent",
    "team_size",
    "hours_per_day",
    "alert_chat",
    "alert_webhook_url",
)


@transaction.atomic
def team_capacity_update(*, team: Team, **data) -> TeamCapacity:
    """Change some of a team's capacity settings, creating its row the first time.

    Fields are those of ``CAPACITY_FIELDS`` (percent, people, hours a day, alert switches);
    raise TypeError for any other and ValidationError for values out of range.
    """
    unknown = set(data) - set(CAPACITY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    capacity, _ = TeamCapacity.objects.select_for_update().get_or_create(team=team)
    for name, value in data.items():
        setattr(capacity, name, value)
    capacity.full_clean()
    capacity.save()
    return capacity
