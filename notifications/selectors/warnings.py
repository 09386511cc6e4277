"""Find the rota problems of the coming weeks, and the managers to warn about them.

Two sorts of problem: each rotation's gaps, double bookings and leave conflicts
(rota.selectors.checks.schedule_checks), and the critical components that nobody covers out of
hours (rota.selectors.cover_gaps). A manager hears about a rotation of their team (or of
their participant teams), about a double booking in either of its two rotations, and about a
component their team owns or responds to; each problem once.
"""

import datetime
from collections import defaultdict

from ownership.models import Membership
from rota.models import RotationParticipant, RoutingSettings
from rota.selectors.checks import schedule_checks
from rota.selectors.cover_gaps import cover_gaps

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


def _double(booking) -> dict:
    item = {
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "who": _who(booking.user),
        "kind": booking.kind,
        "other_rotation": booking.other_rotation_id,
    }
    if booking.kind == "elsewhere" and booking.other_rotation is not None:
        item["rotation_name"] = booking.rotation.name
        item["other_rotation_name"] = booking.other_rotation.name
    return item


def _problems(rotation, gaps=(), doubles=(), conflicts=()) -> dict:
    gaps = [{"start": s.isoformat(), "end": e.isoformat()} for s, e in gaps]
    doubles = [_double(d) for d in doubles]
    conflicts = [
        {
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
            "who": _who(c.user, c.team),
            "reason": c.unavailability.reason or c.unavailability.get_kind_display(),
        }
        for c in conflicts
    ]
    return {
        "id": rotation.pk,
        "name": rotation.name,
        "counts": {"gaps": len(gaps), "double_bookings": len(doubles), "conflicts": len(conflicts)},
        "gaps": gaps[:LISTED],
        "double_bookings": doubles[:LISTED],
        "conflicts": conflicts[:LISTED],
    }


def _component(gap) -> dict:
    component = gap.component
    return {
        "slug": component.slug,
        "name": component.name,
        "tier": component.tier,
        "teams": [team.name for team in gap.teams],
        "hours": round(gap.hours, 2),
        "counts": {"uncovered": len(gap.spans)},
        "uncovered": [
            {
                "start": span.start.isoformat(),
                "end": span.end.isoformat(),
                "team": span.team.name if span.team is not None else None,
                "timezone": span.timezone,
            }
            for span in gap.spans[:LISTED]
        ],
    }


def _rotation_teams(rotations) -> dict[int, set[int]]:
    """Return the team of each rotation (its participant teams if it has none)."""
    teams = {r.pk: {r.team_id} if r.team_id else set() for r in rotations}
    orphans = [r.pk for r in rotations if r.team_id is None]
    if orphans:
        for rotation_id, team_id in RotationParticipant.objects.filter(
            rotation_id__in=orphans, team__isnull=False
        ).values_list("rotation_id", "team_id"):
            teams[rotation_id].add(team_id)
    return teams


def rotation_managers(rotations) -> dict[int, set[int]]:
    """Return the managers of each rotation's team (of its participant teams if it has none)."""
    teams = _rotation_teams(rotations)
    managers = members_by_team(
        {t for ids in teams.values() for t in ids}, roles=[Membership.Role.MANAGER]
    )
    return {pk: {u for t in ids for u in managers.get(t, ())} for pk, ids in teams.items()}


def _component_teams(gaps) -> list[set[int]]:
    """Return, per gap, the teams to warn: responders and owner, else the fallback team."""
    found = []
    for gap in gaps:
        owner = gap.component.effective_owner_team_id
        found.append({team.pk for team in gap.teams} | ({owner} if owner else set()))
    if any(not teams for teams in found):
        fallback = (
            RoutingSettings.objects.filter(pk=RoutingSettings.SINGLETON_ID)
            .values_list("fallback_team_id", flat=True)
            .first()
        )
        for teams in found:
            if not teams and fallback is not None:
                teams.add(fallback)
    return found


def week_of(now: datetime.datetime) -> datetime.date:
    """Return the Monday (UTC) of the ISO week of ``now``."""
    day = now.astimezone(datetime.UTC).date()
    return day - datetime.timedelta(days=day.weekday())


def _by_manager(checks, gaps) -> dict[int, dict]:
    """Return, per manager, {"rotations": [...], "components": [...]}, each problem once.

    A double booking is held by one of its two rotations; the managers of the other hear of
    it under that other rotation unless they manage both.
    """
    rotations = {check.rotation.pk: check.rotation for check in checks}
    for check in checks:
        for booking in check.double_bookings:
            if booking.other_rotation is not None:
                rotations.setdefault(booking.other_rotation.pk, booking.other_rotation)
    rotation_teams = _rotation_teams(list(rotations.values()))
    component_teams = _component_teams(gaps)
    managers = members_by_team(
        {t for ids in [*rotation_teams.values(), *component_teams] for t in ids},
        roles=[Membership.Role.MANAGER],
    )

    def managing(team_ids) -> set[int]:
        return {u for t in team_ids for u in managers.get(t, ())}

    # (manager, rotation id) -> [gaps, double bookings, conflicts]
    found: dict[tuple, list] = {}
    for check in checks:
        for user_id in managing(rotation_teams[check.rotation.pk]):
            found[user_id, check.rotation.pk] = [
                check.gaps,
                list(check.double_bookings),
                check.conflicts,
            ]
    for check in checks:
        mine = managing(rotation_teams[check.rotation.pk])
        for booking in check.double_bookings:
            if booking.other_rotation is None:
                continue
            other = booking.other_rotation.pk
            for user_id in managing(rotation_teams[other]) - mine:
                found.setdefault((user_id, other), [[], [], []])[1].append(booking)
    result: dict[int, dict] = defaultdict(lambda: {"rotations": [], "components": []})
    for (user_id, rotation_id), (gaps_, doubles, conflicts) in found.items():
        if gaps_ or doubles or conflicts:
            result[user_id]["rotations"].append(
                _problems(rotations[rotation_id], gaps_, doubles, conflicts)
            )
    for gap, teams in zip(gaps, component_teams, strict=True):
        for user_id in managing(teams):
            result[user_id]["components"].append(_component(gap))
    for problems in result.values():
        problems["rotations"].sort(key=lambda r: (r["name"], r["id"]))
    return result


def rota_warnings(*, now: datetime.datetime, weeks: int = WEEKS_AHEAD) -> list[Plan]:
    """Return a plan per manager of a rotation or component with problems in ``weeks`` weeks.

    Problems: gaps, double bookings and leave conflicts of rotations, and guarded components
    nobody covers out of hours. Each manager gets one message per ISO week listing them all.
    """
    checks = [check for check in schedule_checks(weeks=weeks, now=now) if not check.ok]
    gaps = cover_gaps(weeks=weeks, now=now)
    if not checks and not gaps:
        return []
    found = _by_manager(checks, gaps)
    people = recipients_for(found)
    week = week_of(now)
    plans = []
    for user_id, problems in sorted(found.items()):
        if user_id not in people:
            continue
        plans += plans_for_person(
            people[user_id],
            kind=Delivery.Kind.WARNING,
            key=warning_key(user_id=user_id, week=week),
            now=now,
            occurs_at=datetime.datetime.combine(week, datetime.time(), tzinfo=datetime.UTC),
            urgent=False,
            payload={"weeks": weeks, "from": now.isoformat(), **problems},
        )
    return plans
