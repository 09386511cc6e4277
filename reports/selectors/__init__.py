"""Load what the reports need in a fixed number of queries, as plain records.

Whatever the number of incidents, bugs, pages, people or shifts, :func:`report_data` runs the
same queries: the sprint calendar, teams, memberships, components, leave and holidays,
incidents, pages and bugs; for fairness and the model comparison, who takes turns in a
rotation; for fairness, person rotations with their shifts and overrides; for the model
comparison, the rotating support policy's team rotation with its final schedule.
"""

import datetime

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from core.timeutil import ONE_DAY, zone
from ownership.models import Component, Membership, Team
from rota.models import SprintCalendar, Unavailability

from ..models import DEFAULT_BUFFER_PERCENT, DEFAULT_HOURS_PER_DAY
from ..records import (
    Cadence,
    Period,
    PersonInfo,
    ReportData,
    TeamInfo,
)
from .duty import duty_spans, team_rotation_info, turn_takers
from .work import bugs_in, component_subtree, incidents_in, pages_in

DEFAULT_DAYS = 182  # a report without dates covers the last 26 weeks
FALLBACK_CADENCE = Cadence("Two-week sprints", datetime.date(2024, 1, 1), 14, "UTC")
DUTY_ROLES = (Membership.Role.ENGINEER, Membership.Role.LEAD)


def report_cadence() -> Cadence:
    """Return the sprint calendar most rotations use (one query), or two-week sprints."""
    calendar = (
        SprintCalendar.objects.annotate(uses=Count("rotations"))
        .order_by("-uses", "id")
        .only("name", "start_date", "length_days", "timezone")
        .first()
    )
    if calendar is None:
        return FALLBACK_CADENCE
    return Cadence(calendar.name, calendar.start_date, calendar.length_days, calendar.timezone)


def report_period(
    cadence: Cadence,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
    *,
    whole_sprints: bool = False,
    now: datetime.datetime | None = None,
) -> Period:
    """Return the period of a report: by default the last 26 weeks up to today.

    With ``whole_sprints`` and no dates given, the period ends with the last *finished* sprint:
    a sprint still running would be charged its whole standby but only part of its incidents.
    """
    today = (now or timezone.now()).astimezone(zone(cadence.timezone)).date()
    if whole_sprints and first_day is None and last_day is None:
        last_day = cadence.sprint(cadence.number(today) - 1).last_day
    last_day = last_day or (today if first_day is None else max(first_day, today))
    first_day = first_day or last_day - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if whole_sprints:
        first_day = cadence.sprint(cadence.number(first_day)).first_day
        last_day = cadence.sprint(cadence.number(last_day)).last_day
    return Period(first_day, last_day, cadence.timezone)


def _days(first: datetime.date, last: datetime.date, period: Period) -> set:
    """Return the dates of first..last that matter to the period (a day's slack each side)."""
    first = max(first, period.first_day - ONE_DAY)
    last = min(last, period.last_day + ONE_DAY)
    days, day = set(), first
    while day <= last:
        days.add(day)
        day += ONE_DAY
    return days


def _absences(period: Period):
    """Return holidays and leave by team and by person, from one query."""
    team_holidays, team_leave, own_holidays, leave = {}, {}, {}, {}
    rows = Unavailability.objects.filter(
        start_date__lte=period.last_day + ONE_DAY, end_date__gte=period.first_day - ONE_DAY
    ).values_list("team_id", "user_id", "kind", "start_date", "end_date")
    for team_id, user_id, kind, first, last in rows:
        holiday = kind == Unavailability.Kind.PUBLIC_HOLIDAY
        if team_id is not None and holiday:
            team_holidays.setdefault(team_id, set()).update(_days(first, last, period))
        elif team_id is not None:
            team_leave.setdefault(team_id, []).append((first, last))
        elif holiday:
            own_holidays.setdefault(user_id, set()).update(_days(first, last, period))
        else:
            leave.setdefault(user_id, []).append((first, last))
    return team_holidays, team_leave, own_holidays, leave


def _teams_and_people(period: Period):
    owning = Component.objects.filter(effective_owner_team=OuterRef("pk"))
    teams = list(
        Team.objects.select_related("capacity")
        .annotate(owns=Exists(owning))
        .only("id", "slug", "name", "timezone", "kind", "capacity")
    )
    memberships = Membership.objects.order_by("user__username", "team__name").values_list(
        "team_id", "user_id", "role", "user__username", "user__first_name", "user__last_name"
    )
    team_holidays, team_leave, own_holidays, leave = _absences(period)
    duty, everyone, person_rows = {}, {}, {}
    for team_id, user_id, role, username, first, last in memberships:
        everyone.setdefault(team_id, []).append(user_id)
        if role in DUTY_ROLES:
            duty.setdefault(team_id, []).append(user_id)
        row = person_rows.setdefault(user_id, [username, f"{first} {last}".strip(), []])
        row[2].append(team_id)
    infos = {}
    for team in teams:
        capacity = getattr(team, "capacity", None)
        members = tuple(duty.get(team.id, ()))
        size = _head_count(capacity, len(members), len(everyone.get(team.id, ())))
        infos[team.id] = TeamInfo(
            id=team.id,
            slug=team.slug,
            name=team.name,
            timezone=team.timezone,
            members=members,
            size=size,
            buffer_percent=capacity.buffer_percent if capacity else DEFAULT_BUFFER_PERCENT,
            hours_per_day=capacity.hours_per_day if capacity else DEFAULT_HOURS_PER_DAY,
            holidays=frozenset(team_holidays.get(team.id, ())),
            owns_components=team.owns,
            kind=team.kind,
        )
    people = {}
    for user_id, (username, name, team_ids) in person_rows.items():
        home = infos[team_ids[0]]
        away = list(leave.get(user_id, ()))
        for team_id in team_ids:
            away.extend(team_leave.get(team_id, ()))
        people[user_id] = PersonInfo(
            id=user_id,
            username=username,
            name=name or username,
            team_ids=tuple(team_ids),
            timezone=home.timezone,
            holidays=home.holidays | frozenset(own_holidays.get(user_id, ())),
            leave=tuple(away),
        )
    return infos, people


def _head_count(capacity, on_duty: int, members: int) -> int:
    """Return a team's head count: as planned, else its engineers and leads, else everyone."""
    return (capacity.team_size if capacity else None) or on_duty or members


def head_counts(*, slugs) -> dict:
    """Return {team slug: head count} for the teams named (two queries).

    The head count is the one the reports plan capacity with (see ``_head_count``).
    """
    teams = list(Team.objects.filter(slug__in=slugs).select_related("capacity").only(
        "id", "slug", "capacity"
    ))  # fmt: skip
    on_duty, members = {}, {}
    rows = Membership.objects.filter(team__in=teams).values_list("team_id", "role")
    for team_id, role in rows:
        members[team_id] = members.get(team_id, 0) + 1
        if role in DUTY_ROLES:
            on_duty[team_id] = on_duty.get(team_id, 0) + 1
    return {
        t.slug: _head_count(
            getattr(t, "capacity", None), on_duty.get(t.id, 0), members.get(t.id, 0)
        )
        for t in teams
    }


def report_data(
    *,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
    team: Team | None = None,
    component: Component | None = None,
    whole_sprints: bool = False,
    duty: bool = False,
    rotation: bool = False,
    now: datetime.datetime | None = None,
    cadence: Cadence | None = None,
) -> ReportData:
    """Load everything a report needs for a period, a team and a component subtree.

    ``cadence`` is the sprint calendar to report by when the caller has read it already.
    """
    now = now or timezone.now()
    cadence = cadence or report_cadence()
    period = report_period(cadence, first_day, last_day, whole_sprints=whole_sprints, now=now)
    teams, people = _teams_and_people(period)
    components, subtree = component_subtree(component)
    incidents, paged = incidents_in(period, subtree)
    data = ReportData(
        cadence=cadence,
        period=period,
        now=now,
        teams=teams,
        people=people,
        components=components,
        incidents=incidents,
        pages=pages_in(period, subtree, incidents, paged),
        bugs=bugs_in(period, subtree),
        team_id=team.pk if team is not None else None,
        component_id=component.pk if component is not None else None,
    )
    if duty or rotation:
        data.turn_takers = turn_takers(data.people)
    if duty:
        data.duty = duty_spans(period, data.people)
    if rotation:
        data.team_rotation = team_rotation_info(period, data.teams)
    return data
