"""A team's public holidays taken from the ``holidays`` package by country and subdivision.

The days are *materialised*: kept as the team's ``Unavailability`` rows of kind public
holiday (source ``holidays``, keyed ``<code>/<YYYY-MM-DD>``), from 1 January of last year to
31 December ``YEARS_AHEAD`` years on. Generation, restrictions, routing, checks and reports
already read a team's holidays from those rows in one query each; holidays computed on the fly
would have to be merged into every one of those loaders (including the SQL that joins the team
on support to its holidays), with the risk that one forgets. The rows are written when the
team's ``public_holidays`` changes and refreshed by the nightly job, which rolls the window into
a new year and picks up corrections from a newer ``holidays`` release.
"""

import datetime
import logging
from dataclasses import dataclass

import holidays
from django.db import transaction

from ownership.models import Team

from ..models import Unavailability
from ._common import rota_touch, team_holidays_touch

logger = logging.getLogger(__name__)

YEARS_AHEAD = 5  # the longest rotation horizon is 260 weeks


@dataclass
class HolidaySync:
    created: int = 0
    updated: int = 0
    deleted: int = 0


def public_holiday_dates(
    code: str, first: datetime.date, last: datetime.date
) -> dict[datetime.date, str]:
    """Return {date: name} of the public holidays of ``code`` (e.g. "DE-BY") in [first, last].

    Names of two holidays on one day are joined with "; ". Source: the ``holidays`` package.
    """
    country, _, subdivision = code.partition("-")
    calendar = holidays.country_holidays(
        country, subdiv=subdivision or None, years=range(first.year, last.year + 1)
    )
    return {
        day: "; ".join(calendar.get_list(day)) for day in sorted(calendar) if first <= day <= last
    }


def _window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return datetime.date(today.year - 1, 1, 1), datetime.date(today.year + YEARS_AHEAD, 12, 31)


@transaction.atomic
def team_public_holidays_sync(*, team: Team, today: datetime.date | None = None) -> HolidaySync:
    """Make the team's package holidays in the window match ``team.public_holidays``.

    Rows of another code, or of days no longer holidays, are deleted within the window (older
    ones stay, so past reports keep their holidays); with an empty code all in the window go.
    Safe to repeat: nothing changes when nothing did.
    """
    first, last = _window(today or datetime.date.today())
    wanted = {}
    if team.public_holidays:
        for day, name in public_holiday_dates(team.public_holidays, first, last).items():
            wanted[f"{team.public_holidays}/{day.isoformat()}"] = (day, name[:200])
    existing = {
        row.external_uid: row
        for row in Unavailability.objects.filter(
            team=team, source=Unavailability.Source.HOLIDAYS, end_date__gte=first
        )
    }
    result = HolidaySync()
    to_create, to_update = [], []
    for key, (day, name) in wanted.items():
        row = existing.pop(key, None)
        if row is None:
            to_create.append(
                Unavailability(
                    team=team,
                    start_date=day,
                    end_date=day,
                    reason=name,
                    kind=Unavailability.Kind.PUBLIC_HOLIDAY,
                    source=Unavailability.Source.HOLIDAYS,
                    external_uid=key,
                )
            )
        elif row.reason != name:
            row.reason = name
            to_update.append(row)
    Unavailability.objects.bulk_create(to_create, batch_size=500)
    Unavailability.objects.bulk_update(to_update, ["reason"], batch_size=500)
    if existing:
        Unavailability.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    result.created, result.updated, result.deleted = (
        len(to_create),
        len(to_update),
        len(existing),
    )
    if to_create or existing:
        # The days added or gone re-cut the team's restricted rotations: their calendar
        # events change, so their SEQUENCE rises and every feed's fingerprint with it.
        changed = [(row.start_date, row.end_date) for row in [*to_create, *existing.values()]]
        team_holidays_touch(team_id=team.pk, spans=changed)
        rota_touch()  # a holiday switches restricted rotations: cached on-call answers change
    return result


def sync_on_team_holidays_changed(sender, *, team: Team, **kwargs) -> None:
    """Receiver of ``ownership.signals.team_holidays_changed``: sync that team's holidays now."""
    team_public_holidays_sync(team=team)


def public_holidays_refresh_all(*, today: datetime.date | None = None) -> int:
    """Sync the package holidays of every team that takes them; return the rows created."""
    created = 0
    for team in Team.objects.exclude(public_holidays="").order_by("pk"):
        try:
            created += team_public_holidays_sync(team=team, today=today).created
        except Exception:  # e.g. a package release that dropped the subdivision
            logger.exception("Could not refresh the public holidays of team %s", team.pk)
    return created
