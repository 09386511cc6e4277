"""Find the rota problems of the coming weeks, and the managers to warn about them."""

import datetime
from collections import defaultdict

from ownership.models import Membership
from rota.models import RotationParticipant
from rota.selectors.checks import schedule_checks

from ..keys import warning_key
from ..models import Delivery
from ..plans import Plan, plans_for_person
from ..recipients import recipients_for
from .duties import members_by_team

WEEKS_AHEAD = 4
LISTED = 20  # problems of each sort listed per rotation; the count says how many in all


def _who(user=None, team=None) -> str:
    if user is not None:
        return user.get_full_name() or user.get_username()
    return team.name if team is not None else "nobody"


def _problems(check) -> dict:
    gaps = [{"start": s.isoformat(), "end": e.isoformat()} for s, e in check.gaps]
    doubles = [
        {
            "start": d.start.isoformat(),
            "end": d.end.isoformat(),
            "who": _who(d.user),
            "kind": d.kind,
            "other_rotation": d.other_rotation_id,
        }
        for d in check.double_bookings
    ]
    conflicts = [
        {
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
            "who": _who(c.user, c.team),
            "reason": c.unavailability.reason or c.unavailability.get_kind_display(),
        }
        for c in check.conflicts
    ]
    return {
        "id": check.rotation.pk,
        "name": check.rotation.name,
        "counts": {"gaps": len(gaps), "double_bookings": len(doubles), "conflicts": len(conflicts)},
        "gaps": gaps[:LISTED],
        "double_bookings": doubles[:LISTED],
        "conflicts": conflicts[:LISTED],
    }


def rotation_managers(rotations) -> dict[int, set[int]]:
    """Return the managers of each rotation's team (of its participant teams if it has none)."""
    teams = {r.pk: {r.team_id} if r.team_id else set() for r in rotations}
    orphans = [r.pk for r in rotations if r.team_id is None]
    for rotation_id, team_id in RotationParticipant.objects.filter(
        rotation_id__in=orphans, team__isnull=False
    ).values_list("rotation_id", "team_id"):
        teams[rotation_id].add(team_id)
    managers = members_by_team(
        {t for ids in teams.values() for t in ids}, roles=[Membership.Role.MANAGER]
    )
    return {pk: {u for t in ids for u in managers.get(t, ())} for pk, ids in teams.items()}


def week_of(now: datetime.datetime) -> datetime.date:
    """Return the Monday (UTC) of the ISO week of ``now``."""
    day = now.astimezone(datetime.UTC).date()
    return day - datetime.timedelta(days=day.weekday())


def rota_warnings(*, now: datetime.datetime, weeks: int = WEEKS_AHEAD) -> list[Plan]:
    """Return a plan per manager of a rotation with gaps, double bookings or leave conflicts.

    Each manager gets one message per ISO week listing all their rotations' problems.
    """
    checks = [check for check in schedule_checks(weeks=weeks, now=now) if not check.ok]
    if not checks:
        return []
    managers = rotation_managers([check.rotation for check in checks])
    found: dict[int, list[dict]] = defaultdict(list)
    for check in checks:
        problems = _problems(check)
        for user_id in managers[check.rotation.pk]:
            found[user_id].append(problems)
    people = recipients_for(found)
    week = week_of(now)
    plans = []
    for user_id, rotations in sorted(found.items()):
        if user_id not in people:
            continue
        plans += plans_for_person(
            people[user_id],
            kind=Delivery.Kind.WARNING,
            key=warning_key(user_id=user_id, week=week),
            now=now,
            occurs_at=datetime.datetime.combine(week, datetime.time(), tzinfo=datetime.UTC),
            urgent=False,
            payload={"weeks": weeks, "from": now.isoformat(), "rotations": rotations},
        )
    return plans
