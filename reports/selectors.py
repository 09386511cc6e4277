"""Load what the reports need in a fixed number of queries, as plain records.

Whatever the number of incidents, bugs, pages, people or shifts, :func:`report_data` runs the
same queries: the sprint calendar, teams, memberships, components, leave and holidays,
incidents, pages and bugs; for fairness and the model comparison, who takes turns in a
rotation; for fairness, person rotations with their shifts and overrides; for the model
comparison, the rotating support policy's team rotation with its final schedule.
"""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from core.timeutil import ONE_DAY, local_at, zone
from incidents.models import Bug, Incident, Page
from ownership.models import Component, Membership, OwnershipPeriod, Team
from rota.models import Rotation, RotationParticipant, SprintCalendar, SupportPolicy, Unavailability
from rota.selectors import segments_for

from .models import DEFAULT_BUFFER_PERCENT, DEFAULT_HOURS_PER_DAY
from .records import (
    BugRecord,
    Cadence,
    ComponentInfo,
    DutySpan,
    IncidentRecord,
    PageRecord,
    Period,
    PersonInfo,
    ReportData,
    TeamInfo,
    TeamRotationInfo,
    TeamShift,
)

DEFAULT_DAYS = 182  # a report without dates covers the last 26 weeks
FALLBACK_CADENCE = Cadence("Two-week sprints", datetime.date(2024, 1, 1), 14, "UTC")
DUTY_ROLES = (Membership.Role.ENGINEER, Membership.Role.LEAD)
PAGED = (Page.Status.SENT,)


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


def _components(component: Component | None):
    """Return every component's record, and the ids of ``component``'s subtree (or None)."""
    rows = list(Component.objects.values_list("id", "slug", "name", "parent_id"))
    infos = {pk: ComponentInfo(pk, slug, name) for pk, slug, name, _ in rows}
    if component is None:
        return infos, None
    children = {}
    for pk, _, _, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    subtree, stack = set(), [component.pk]
    while stack:
        pk = stack.pop()
        if pk not in subtree:
            subtree.add(pk)
            stack.extend(children.get(pk, ()))
    return infos, subtree


def _incidents(period: Period, subtree) -> tuple[list[IncidentRecord], set]:
    """Return the incidents created in the period, and the ids of those with page rows."""
    owner_bug = Bug.objects.filter(incident=OuterRef("pk"), team=OuterRef("owning_team"))
    any_page = Page.objects.filter(incident=OuterRef("pk"))
    rows = Incident.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if subtree is not None:
        rows = rows.filter(component_id__in=subtree)
    rows = rows.annotate(owner_bug=Exists(owner_bug), paged=Exists(any_page)).values_list(
        "id", "created_at", "severity", "urgency", "component_id", "owning_team_id",
        "responding_team_id", "responder_id", "acknowledged_at", "mitigated_at", "resolved_at",
        "mitigation_kind", "logged_minutes", "first_line_responder_id", "mitigated_by_id",
        "owner_bug", "paged",
    )  # fmt: skip
    records, paged = [], set()
    for row in rows.order_by("created_at", "id"):
        *fields, owner_bug, has_pages = row
        record = IncidentRecord(*fields)
        handed_over = (
            record.responding_team_id != record.owning_team_id
            or record.first_line_user_id is not None
        )
        if owner_bug and handed_over and record.owning_team_id is not None:
            record = IncidentRecord(*fields, bounced=True)
        if has_pages:
            paged.add(record.id)
        records.append(record)
    return records, paged


def _pages(period: Period, subtree, incidents: list[IncidentRecord], paged: set):
    """Return one page per incident, step and person, plus implicit ones (see below).

    An interrupting incident recorded without any page row (imported, or raised without
    escalation) counts as one page to its first-line responder, else its primary, at creation.
    """
    rows = Page.objects.filter(
        status__in=PAGED,
        created_at__gte=period.start - ONE_DAY,
        created_at__lt=period.end,
        user__isnull=False,
    )
    if subtree is not None:
        rows = rows.filter(incident__component_id__in=subtree)
    seen, pages = set(), []
    for incident_id, user_id, step, created, sent, team_id in rows.values_list(
        "incident_id", "user_id", "step", "created_at", "sent_at", "incident__responding_team_id"
    ).order_by("created_at", "id"):
        at = sent or created
        if (incident_id, step, user_id) in seen or not period.contains(at):
            continue
        seen.add((incident_id, step, user_id))
        pages.append(PageRecord(incident_id, user_id, at, step, team_id))
    for incident in incidents:
        user_id = incident.first_line_user_id or incident.responder_id
        if incident.urgency != "interrupting" or incident.id in paged or user_id is None:
            continue
        step = "first_line" if incident.first_line_user_id else "primary"
        pages.append(
            PageRecord(incident.id, user_id, incident.created_at, step, incident.responding_team_id)
        )
    pages.sort(key=lambda page: page.at)
    return pages


def _bug_logged_field() -> list[str]:
    """Return ["logged_minutes"] once bugs record logged time, else nothing."""
    names = {f.name for f in Bug._meta.get_fields()}
    return ["logged_minutes"] if "logged_minutes" in names else []


def _bugs(period: Period, subtree) -> list[BugRecord]:
    owner = OwnershipPeriod.objects.filter(
        component=OuterRef("component"), valid_from__lte=OuterRef("created_at")
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("created_at")))
    # Filed in the period, or investigated during some of it (hours fall where they're worked).
    in_period = (
        Q(created_at__gte=period.start, created_at__lt=period.end)
        | Q(investigation_started_at__gte=period.start, investigation_started_at__lt=period.end)
        | Q(investigation_started_at__lt=period.start, investigation_finished_at__gt=period.start)
    )
    rows = Bug.objects.filter(in_period)
    if subtree is not None:
        rows = rows.filter(component_id__in=subtree)
    logged = _bug_logged_field()
    rows = rows.annotate(owner=Subquery(owner.order_by("-valid_from").values("team_id")[:1]))
    records = []
    for row in rows.values(
        "id", "created_at", "team_id", "component_id", "owner", "incident_id", "timebox_days",
        "investigation_started_at", "investigation_finished_at", "timebox_ends_at", "outcome",
        *logged,
    ).order_by("created_at", "id"):  # fmt: skip
        row["owning_team_id"] = row.pop("owner")
        records.append(BugRecord(**row))
    return records


def _duty(period: Period, people: dict) -> list[DutySpan]:
    """Return the final schedule of every person rotation in the period (three or four queries).

    The fourth loads public holidays, when a rotation is restricted to (or out of) business hours.
    """
    rotations = list(Rotation.objects.filter(kind=Rotation.Kind.PERSON).order_by("id"))
    spans = []
    for rotation_id, segments in segments_for(rotations, period.start, period.end).items():
        for segment in segments:
            if segment.user is None:
                continue
            if segment.user.pk not in people:
                user = segment.user
                people[user.pk] = PersonInfo(
                    id=user.pk,
                    username=user.username,
                    name=user.get_full_name() or user.username,
                    team_ids=(),
                    timezone="UTC",
                )
            key = (
                f"override:{segment.override_id}"
                if segment.is_override
                else f"shift:{segment.shift_id}"
            )
            spans.append(DutySpan(segment.user.pk, rotation_id, segment.start, segment.end, key))
    return spans


def _turn_takers(people: dict) -> frozenset:
    """Return the people who take turns in some rotation (one query).

    A person rotation's participants take turns; so do the engineers and leads of every team
    in a team rotation that a person rotation follows (its shifts are dealt among them).
    """
    followed = Rotation.objects.filter(follows_team_rotation=OuterRef("rotation_id"))
    rows = RotationParticipant.objects.annotate(followed=Exists(followed)).values_list(
        "user_id", "team_id", "followed"
    )
    users, teams = set(), set()
    for user_id, team_id, is_followed in rows:
        if user_id is not None:
            users.add(user_id)
        elif is_followed:
            teams.add(team_id)
    for person in people.values():
        if teams.intersection(person.team_ids):
            users.add(person.id)
    return frozenset(users)


def _team_rotation(period: Period, teams: dict) -> TeamRotationInfo | None:
    """Return the rotation of the rotating support policy, with its shifts in the period.

    With several rotating policies, the default one (naming no components) wins, else the one
    whose rotation has the most teams, then the oldest. Four queries at most.
    """
    policies = (
        SupportPolicy.objects.filter(model=SupportPolicy.Model.ROTATING)
        .annotate(
            named=Exists(SupportPolicy.components.through.objects.filter(policy=OuterRef("pk"))),
            teams=Count("team_rotation__participants"),
        )
        .select_related("team_rotation")
        .order_by("named", "-teams", "id")
    )
    policy = policies.first()
    if policy is None:
        return None
    rotation = policy.team_rotation
    participants = tuple(
        RotationParticipant.objects.filter(rotation=rotation, team__isnull=False)
        .order_by("position", "id")
        .values_list("team_id", flat=True)
    )
    # A day's slack each side: shifts hand over at a local time, not at midnight.
    start, end = period.start - ONE_DAY, period.end + ONE_DAY
    shifts = tuple(
        TeamShift(segment.team.pk, segment.start, segment.end)
        for segment in segments_for([rotation], start, end)[rotation.pk]
        if segment.team is not None and segment.team.pk in teams
    )
    count, unit = rotation.shift_length_count, rotation.shift_length_unit
    return TeamRotationInfo(
        id=rotation.pk,
        name=rotation.name,
        policy=policy.name,
        participants=participants,
        shift_sprints=count if unit == Rotation.Unit.SPRINTS else None,
        shift_length=f"{count} {unit if count != 1 else unit.rstrip('s')}",
        start=local_at(rotation.start_date, rotation.handoff_time, zone(rotation.timezone)),
        shifts=shifts,
    )


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
    components, subtree = _components(component)
    incidents, paged = _incidents(period, subtree)
    data = ReportData(
        cadence=cadence,
        period=period,
        now=now,
        teams=teams,
        people=people,
        components=components,
        incidents=incidents,
        pages=_pages(period, subtree, incidents, paged),
        bugs=_bugs(period, subtree),
        team_id=team.pk if team is not None else None,
        component_id=component.pk if component is not None else None,
    )
    if duty or rotation:
        data.turn_takers = _turn_takers(data.people)
    if duty:
        data.duty = _duty(period, data.people)
    if rotation:
        data.team_rotation = _team_rotation(period, data.teams)
    return data
