"""Six months of history for the demo organisation, so that every report shows something.

``seed_history`` is a section of ``portal.demo.seed``. It sets up what a running rota would
have (a sprint calendar, an on-call rotation per team, a rotating support shift for the
discovery areas, a first line for the customer-facing areas) unless a section before it did,
generates their shifts from six months ago, and records what happened since: public holidays
and leave, a few overrides, incidents of every severity (a few components get most of them)
with their pages and timelines, and bugs with timeboxed investigations and outcomes.

Incidents are routed with ``rota.routing.responders`` as of their own instant, so responding
teams and people follow the policies and the shifts of the time; the rows are then written in
bulk (the services would page people and take minutes). Everything comes from the seed's fixed
random source: every demo database holds the same history.
"""

import datetime
from collections import Counter

from django.contrib.auth.models import Group, Permission

from core.timeutil import local_at, zone
from incidents.models import Bug, EscalationPolicy, Incident, Page, Severity, TimelineEntry
from incidents.models.choices import default_urgency
from incidents.workdays import add_working_days
from ownership.models import Component, Membership
from ownership.selectors import component_owner_at
from reports.models import TeamCapacity
from rota import services as rota
from rota.models import Override, Rotation, Shift, SprintCalendar, SupportPolicy, Unavailability
from rota.routing import responders

WEEKS = 26
INCIDENTS_PER_WEEK = 16
BUGS_PER_WEEK = 5
DAY = datetime.timedelta(days=1)
FIRST_LINE_AREAS = ("payments-area", "checkout-area", "identity-area")
ROTATING_AREAS = ("search-area", "catalog-area")
ROTATING_TEAMS = ("catalog", "search")
FIRST_LINE_TEAM = "sre"
BUFFERS = {"payments": 25, "sre": 40, "data": 15}
SEVERITY_WEIGHTS = {1: (8, 27, 40, 25), 2: (3, 20, 47, 30), 3: (1, 9, 50, 40), 4: (0, 4, 36, 60)}
MITIGATION = (("rollback", 45), ("restart", 25), ("config", 20), ("hotfix", 10))
SEVERITIES = (Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4)
BUG_TITLES = (
    "Totals off by one cent on multi-currency orders", "Retry loop never gives up on 4xx",
    "Results miss items added in the last minute", "Timeout too short for large exports",
    "Duplicate e-mails after a failed send", "Pagination skips items with equal timestamps",
)  # fmt: skip
TITLES = (
    "Error rate above 5%", "p99 latency above 2 s", "Pods crash-looping after deploy",
    "Connection pool exhausted", "Queue consumers stalled", "Elevated 5xx at the edge",
    "Disk almost full", "Third-party API timing out",
)  # fmt: skip


def _weekday(year, month, weekday, nth) -> datetime.date:
    """Return the nth (1-based; -1 = last) ``weekday`` of a month."""
    if nth > 0:
        first = datetime.date(year, month, 1)
        return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = datetime.date(year + month // 12, month % 12 + 1, 1) - DAY
    return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)


# Public holidays where the teams work (those on a fixed date or weekday; the Easter holidays
# are left out): (month, day), or ("weekday", month, weekday, nth) such as the last Monday.
HOLIDAYS = {
    "Europe/London": [
        ((1, 1), "New Year's Day"), (("weekday", 5, 0, 1), "Early May bank holiday"),
        (("weekday", 5, 0, -1), "Spring bank holiday"),
        (("weekday", 8, 0, -1), "Summer bank holiday"), ((12, 25), "Christmas Day"),
        ((12, 26), "Boxing Day"),
    ],
    "Europe/Berlin": [
        ((1, 1), "Neujahr"), ((5, 1), "Tag der Arbeit"), ((10, 3), "Tag der Deutschen Einheit"),
        ((12, 25), "Erster Weihnachtstag"), ((12, 26), "Zweiter Weihnachtstag"),
    ],
    "America/New_York": [
        ((1, 1), "New Year's Day"), (("weekday", 1, 0, 3), "Martin Luther King Jr. Day"),
        (("weekday", 5, 0, -1), "Memorial Day"), ((7, 4), "Independence Day"),
        (("weekday", 9, 0, 1), "Labor Day"), (("weekday", 11, 3, 4), "Thanksgiving"),
        ((12, 25), "Christmas Day"),
    ],
    "Asia/Kolkata": [
        ((1, 26), "Republic Day"), ((8, 15), "Independence Day"), ((10, 2), "Gandhi Jayanti"),
        ((12, 25), "Christmas Day"),
    ],
}  # fmt: skip


def holidays(tz: str, year: int) -> dict[datetime.date, str]:
    """Return the main public holidays of a year where a team in ``tz`` works."""
    days = {}
    for rule, name in HOLIDAYS.get(tz, [((1, 1), "New Year's Day"), ((12, 25), "Christmas")]):
        day = _weekday(year, *rule[1:]) if rule[0] == "weekday" else datetime.date(year, *rule)
        days[day] = name
    return days


class _History:
    """The state of one run: the window, the teams and their people, and what was made."""

    def __init__(self, seed):
        self.seed, self.rng = seed, seed.rng
        self.end = seed.now
        self.start = seed.days_ago(7 * WEEKS)  # a Monday, 09:00 head-office time
        self.first_day = self.start.date()
        self.teams = seed.teams
        self.people: dict[int, list] = {}  # team id -> people who take duty, by username
        for membership in Membership.objects.select_related("user").order_by("user__username"):
            if membership.role != Membership.Role.MANAGER:
                self.people.setdefault(membership.team_id, []).append(membership.user)
        self.rotations: dict[str, Rotation] = {}
        self.absences = self.pages = 0


def _absences(h: _History) -> None:
    """Record public holidays per team and one to three spells of leave per person."""
    rows = []
    years = range(h.first_day.year, h.end.year + 2)
    horizon = h.end.date() + datetime.timedelta(weeks=10)
    for team in h.teams.values():
        for year in years:
            for day, name in sorted(holidays(team.timezone, year).items()):
                if h.first_day - 30 * DAY <= day <= horizon:
                    rows.append(
                        Unavailability(
                            team=team, start_date=day, end_date=day, reason=name,
                            kind=Unavailability.Kind.PUBLIC_HOLIDAY,
                        )
                    )  # fmt: skip
    span = (horizon - h.first_day).days
    for team_id in sorted(h.people):
        for person in h.people[team_id]:
            for _ in range(h.rng.randint(1, 3)):
                first = h.first_day + h.rng.randint(0, span - 14) * DAY
                length = h.rng.choice([1, 2, 3, 5, 5, 7, 9, 12])
                rows.append(
                    Unavailability(
                        user=person, start_date=first, end_date=first + (length - 1) * DAY,
                        reason=h.rng.choice(["Holiday", "Holiday", "Conference", "Family"]),
                    )
                )  # fmt: skip
    Unavailability.objects.bulk_create(rows)
    h.absences = len(rows)


def _calendar(h: _History) -> SprintCalendar:
    calendar = SprintCalendar.objects.order_by("id").first()
    if calendar is None:
        calendar = rota.sprint_calendar_create(
            name="Two-week sprints",
            start_date=h.first_day,
            length_days=14,
            timezone="Europe/London",
        )
    return calendar


def _rotations(h: _History, calendar: SprintCalendar) -> None:
    """Give every team without one a weekly on-call rotation; add the discovery team shift."""
    until = h.end.date() + datetime.timedelta(weeks=8)
    made = []
    for slug, team in h.teams.items():
        rotation = Rotation.objects.filter(team=team, kind=Rotation.Kind.PERSON, active=True)
        rotation = rotation.order_by("id").first()
        if rotation is None and h.people.get(team.pk):
            rotation = rota.rotation_create(
                name=f"{team.name} on call", kind=Rotation.Kind.PERSON, team=team,
                shift_length_unit=Rotation.Unit.WEEKS, timezone=team.timezone,
                start_date=h.first_day, participants=h.people[team.pk],
                fairness=Rotation.Fairness.BALANCE_WEEKENDS,
            )  # fmt: skip
            made.append(rotation)
        if rotation is not None:
            h.rotations[slug] = rotation
    teams = [h.teams[s] for s in ROTATING_TEAMS if s in h.teams]
    if len(teams) == len(ROTATING_TEAMS) and not Rotation.objects.filter(kind="team").exists():
        shift = rota.rotation_create(
            name="Discovery support", kind=Rotation.Kind.TEAM,
            shift_length_unit=Rotation.Unit.SPRINTS, shift_length_count=2,
            sprint_calendar=calendar, timezone=calendar.timezone,
            start_date=calendar.sprint_start(calendar.first_sprint_from(h.first_day) - 1),
            participants=teams,
        )  # fmt: skip
        follower = rota.rotation_create(
            name="Discovery support on call", kind=Rotation.Kind.PERSON,
            follows_team_rotation=shift, timezone=calendar.timezone,
            start_date=shift.start_date,
        )  # fmt: skip
        h.rotations["discovery"], h.rotations["discovery-people"] = shift, follower
        made += [shift, follower]
    rota.rotations_generate(rotations=made, until=until, now=h.start)


def _overrides(h: _History) -> int:
    """Let colleagues cover a day of about one past shift in eight (sick days, appointments)."""
    rows = []
    shifts = Shift.objects.filter(
        rotation__in=[r for r in h.rotations.values() if r.kind == Rotation.Kind.PERSON],
        user__isnull=False, start__gte=h.start, end__lte=h.end,
    ).select_related("rotation").order_by("start", "id")  # fmt: skip
    for shift in shifts:
        team_id = shift.rotation.team_id
        others = [p for p in h.people.get(team_id, []) if p.pk != shift.user_id]
        if not others or h.rng.random() > 0.125:
            continue
        start = shift.start + h.rng.randint(0, 5) * DAY
        rows.append(
            Override(
                rotation=shift.rotation, user=h.rng.choice(others), start=start,
                end=min(start + DAY, shift.end), reason="Covering a sick day",
            )
        )  # fmt: skip
    Override.objects.bulk_create(rows)
    return len(rows)


def _policies(h: _History) -> None:
    """Run the customer-facing areas with an SRE first line and discovery on a rotating shift."""
    if SupportPolicy.objects.exists():
        return
    rota.support_policy_create(name="Default: total ownership", model="ownership")
    first_line = h.rotations.get(FIRST_LINE_TEAM)
    areas = [h.seed.components[s] for s in FIRST_LINE_AREAS if s in h.seed.components]
    if first_line is not None and areas:
        policy = rota.support_policy_create(
            name="Customer-facing: SRE first line", model="ownership",
            first_line_rotation=first_line, components=areas,
            description="SRE is paged first, rolls back or restarts, and hands the fix over.",
        )  # fmt: skip
        # The first line gets a head start before the owning team's primary is paged.
        EscalationPolicy.objects.create(
            support_policy=policy, primary_delay_minutes=15, secondary_delay_minutes=20,
            lead_delay_minutes=30,
        )  # fmt: skip
    if "discovery" in h.rotations:
        rota.support_policy_create(
            name="Discovery: rotating support", model="rotating",
            team_rotation=h.rotations["discovery"],
            components=[h.seed.components[s] for s in ROTATING_AREAS],
        )  # fmt: skip


def _moment(h: _History, tz: str) -> datetime.datetime:
    """Return a moment in the window: mostly working hours (deploys), sometimes any time."""
    latest = (h.end - h.start).days - 2
    day = h.first_day + h.rng.randint(0, latest) * DAY
    if h.rng.random() < 0.68:
        while day.weekday() >= 5:
            day -= DAY
        clock = datetime.time(h.rng.randint(9, 16), h.rng.randint(0, 59))
    else:
        clock = datetime.time(h.rng.randint(0, 23), h.rng.randint(0, 59))
    return local_at(day, clock, zone(tz))


def _pick(h: _History, pairs):
    return h.rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _components(h: _History) -> tuple[list, list]:
    """Return the components incidents happen in, with skewed weights (a few get most)."""
    parts = sorted(
        (c for c in h.seed.components.values() if c.kind != Component.Kind.AREA),
        key=lambda c: c.slug,
    )
    h.rng.shuffle(parts)
    parts.sort(key=lambda c: c.tier)  # critical components are busier, in a random order
    weights = [1 / (rank + 1) ** 1.15 for rank in range(len(parts))]
    return parts, weights


def _working(at: datetime.datetime, tz: str) -> bool:
    local = at.astimezone(zone(tz))
    return local.weekday() < 5 and 9 <= local.hour < 17


def _next_morning(at: datetime.datetime, tz: str) -> datetime.datetime:
    """Return the start of the next working morning (09:00 local) at or after ``at``."""
    local = at.astimezone(zone(tz))
    day = local.date() if local.hour < 9 else local.date() + DAY
    while day.weekday() >= 5:
        day += DAY
    return local_at(day, datetime.time(9), zone(tz))


def _add_working_hours(start: datetime.datetime, hours: float, tz: str) -> datetime.datetime:
    """Return the instant ``hours`` working hours (Mon-Fri 09-17 local) after ``start``."""
    at, left = start, datetime.timedelta(hours=hours)
    while left > datetime.timedelta():
        if not _working(at, tz):
            at = _next_morning(at, tz)
        closes = local_at(at.astimezone(zone(tz)).date(), datetime.time(17), zone(tz))
        step = min(left, closes - at)
        at, left = at + step, left - step
    return at


def _minutes(h: _History, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=h.rng.randint(low, high))


# Per severity: minutes to acknowledge and to mitigate (ranges), and how often it is mitigated.
TIMES = {
    Severity.SEV1: ((1, 8), (5, 60), 0.92), Severity.SEV2: ((2, 15), (10, 90), 0.85),
    Severity.SEV3: ((5, 60), (15, 180), 0.5), Severity.SEV4: ((10, 240), (30, 480), 0.2),
}  # fmt: skip


def _incident(h: _History, component, at, route, owner) -> tuple[Incident, dict]:
    """Return an unsaved resolved incident and what happened to it (who, when, which pages)."""
    rng, tz = h.rng, (route.responding_team or owner or component.effective_owner_team).timezone
    severity = rng.choices(SEVERITIES, weights=SEVERITY_WEIGHTS[component.tier])[0]
    urgency = default_urgency(severity)
    primary = route.primary.user if route.primary else None
    secondary = route.secondary.user if route.secondary else None
    first_line = route.first_line.user if route.first_line else None
    if urgency == "backlog" and not _working(at, tz):
        acknowledged = _next_morning(at, tz) + _minutes(h, 5, 60)  # nobody is woken for it
    else:
        acknowledged = at + _minutes(h, *TIMES[severity][0]) * (1 if _working(at, tz) else 2)
    ack_by = first_line or primary
    if first_line is None and secondary is not None and acknowledged - at > _minutes(h, 5, 5):
        ack_by = secondary if rng.random() < 0.5 else primary
    mitigated = kind = mitigated_by = None
    if rng.random() < TIMES[severity][2]:
        kind = _pick(h, MITIGATION)
        mitigated = acknowledged + _minutes(h, *TIMES[severity][1])
        by_first_line = first_line is not None and kind != "hotfix" and rng.random() < 0.85
        mitigated_by = first_line if by_first_line else (primary or ack_by)
        resolved = mitigated + _minutes(h, 20, 360)
    else:
        resolved = acknowledged + _minutes(h, 30, 2880 if severity == Severity.SEV4 else 480)
    resolved = min(resolved, h.end - datetime.timedelta(minutes=30))
    incident = Incident(
        title=f"{component.name}: {rng.choice(TITLES)}",
        description="Recorded in the demo history.",
        severity=severity, urgency=urgency, status=Incident.Status.RESOLVED,
        component=component, owning_team=owner, responding_team=route.responding_team,
        responder=primary, secondary_responder=secondary, first_line_responder=first_line,
        support_policy=route.policy, support_model=route.model, created_at=at,
        acknowledged_at=acknowledged, acknowledged_by=ack_by,
        mitigated_at=mitigated, mitigated_by=mitigated_by, mitigation_kind=kind or "",
        resolved_at=resolved, resolved_by=mitigated_by or ack_by,
    )  # fmt: skip
    if rng.random() < 0.35:
        spent = min((resolved - acknowledged).total_seconds() / 60, 600)
        incident.logged_minutes = max(10, int(spent * rng.uniform(0.5, 1.3)))
    if severity == Severity.SEV1:
        incident.postmortem_url = "https://wiki.example.com/postmortems/demo"
        incident.postmortem_done = rng.random() < 0.7
    return incident, {"primary": primary, "secondary": secondary, "first_line": first_line}


def _pages_and_timeline(incidents, people, delays) -> int:
    """Record the pages each interrupting incident sent and every incident's timeline."""
    pages, entries = [], []
    for incident, who in zip(incidents, people, strict=True):
        at = incident.created_at
        team = incident.responding_team.slug if incident.responding_team else "no team"
        entries.append(TimelineEntry(
            incident=incident, kind=TimelineEntry.Kind.STATUS, at=at,
            text=f"Triggered: {incident.severity} in {incident.component.slug}; routed to {team} "
            f"({incident.support_model} support).", data={"status": "triggered"},
        ))  # fmt: skip
        if incident.urgency == "interrupting":
            first, second = delays.get(incident.support_policy_id, (0, 5))
            steps = [("primary", who["primary"], first), ("secondary", who["secondary"], second)]
            if who["first_line"] is not None:
                steps.insert(0, ("first_line", who["first_line"], 0))
            for step, user, delay in steps:
                sent = at + datetime.timedelta(minutes=delay, seconds=4)
                if user is None or (delay and incident.acknowledged_at <= sent):
                    continue
                pages.append(Page(
                    incident=incident, step=step, user=user, channel=Page.Channel.EMAIL,
                    key=Page.make_key(incident_id=incident.pk, step=step, user_id=user.pk,
                                      channel=Page.Channel.EMAIL),
                    created_at=sent, status=Page.Status.SENT, sent_at=sent, attempts=1,
                ))  # fmt: skip
                entries.append(TimelineEntry(
                    incident=incident, kind=TimelineEntry.Kind.PAGE, at=sent,
                    text=f"Paged {user.username} ({step.replace('_', ' ')}) by e-mail.",
                    data={"step": step, "user": user.username},
                ))  # fmt: skip
        for status, when, by in (
            ("acknowledged", incident.acknowledged_at, incident.acknowledged_by),
            ("mitigated", incident.mitigated_at, incident.mitigated_by),
            ("resolved", incident.resolved_at, incident.resolved_by),
        ):
            if when is not None:
                name = by.username if by else "nobody"
                extra = f" ({incident.mitigation_kind})" if status == "mitigated" else ""
                entries.append(TimelineEntry(
                    incident=incident, kind=TimelineEntry.Kind.STATUS, at=when, author=by,
                    text=f"{status.capitalize()} by {name}{extra}.", data={"status": status},
                ))  # fmt: skip
    Page.objects.bulk_create(pages, batch_size=500)
    TimelineEntry.objects.bulk_create(entries, batch_size=500)
    return len(pages)


def _record_incidents(h: _History) -> list[Incident]:
    parts, weights = _components(h)
    loaded = Component.objects.select_related("effective_owner_team").in_bulk([c.pk for c in parts])
    plans = []
    for _ in range(WEEKS * INCIDENTS_PER_WEEK):
        component = loaded[h.rng.choices(parts, weights=weights)[0].pk]
        team = component.effective_owner_team
        plans.append((_moment(h, team.timezone if team else "UTC"), component))
    plans.sort(key=lambda plan: (plan[0], plan[1].pk))
    incidents, people = [], []
    for at, component in plans:
        route = responders(component=component, at=at)
        period = component_owner_at(component=component, at=at)
        owner = period.team if period is not None else route.owning_team
        incident, who = _incident(h, component, at, route, owner)
        incidents.append(incident)
        people.append(who)
    Incident.objects.bulk_create(incidents, batch_size=500)
    delays = {
        row.support_policy_id: (row.primary_delay_minutes, row.secondary_delay_minutes)
        for row in EscalationPolicy.objects.all()
    }
    h.pages = _pages_and_timeline(incidents, people, delays)
    return incidents


def _investigate(h: _History, bug: Bug, tz: str) -> None:
    """Fill in a bug's triage: investigation started after the weekly triage, its outcome."""
    rng = h.rng
    day = _next_morning(bug.created_at, tz).astimezone(zone(tz)).date()
    day += (1 - day.weekday()) % 7 * DAY  # the weekly triage meeting is on Tuesdays
    triage = local_at(day, datetime.time(10), zone(tz))
    start = _add_working_hours(triage, rng.uniform(1, 16), tz)
    if start >= h.end:
        return
    bug.timebox_days = _pick(h, ((1, 70), (2, 25), (3, 5)))
    bug.investigator = rng.choice(h.people.get(bug.team_id) or [None])
    bug.investigation_started_at = start
    bug.timebox_ends_at = add_working_days(start, bug.timebox_days, tz)
    budget = 8.0 * bug.timebox_days
    hours = rng.uniform(2, budget) if rng.random() < 0.62 else rng.uniform(1.1, 2.5) * budget
    finished = _add_working_hours(start, hours, tz)
    if finished >= h.end:
        return
    bug.investigation_finished_at = finished
    bug.outcome = _pick(h, ((Bug.Outcome.FIXED, 45), (Bug.Outcome.STORY, 40), ("wont_fix", 15)))
    if bug.outcome == Bug.Outcome.STORY:
        bug.story_points = rng.choice([2, 3, 5, 8, 13])
        bug.story_url = "https://jira.example.com/browse/DEMO-1"
    bug.decided_by = bug.investigator


def _record_bugs(h: _History, incidents: list[Incident]) -> list[Bug]:
    """File follow-up bugs for incidents handed over, and bugs found in the normal course."""
    bugs = []
    for incident in incidents:
        handed_over = incident.responding_team_id != incident.owning_team_id or (
            incident.first_line_responder_id is not None
            and incident.mitigated_by_id == incident.first_line_responder_id
        )
        chance = 0.8 if handed_over else (0.3 if incident.severity in SEVERITIES[:2] else 0.05)
        if incident.owning_team is None or h.rng.random() > chance:
            continue
        bugs.append(Bug(
            title=f"Follow-up: {incident.title}"[:200], component=incident.component,
            severity=incident.severity, team=incident.owning_team, incident=incident,
            created_at=(incident.mitigated_at or incident.resolved_at) + _minutes(h, 5, 120),
        ))  # fmt: skip
    parts, _ = _components(h)
    for _ in range(WEEKS * BUGS_PER_WEEK):
        component = h.rng.choice(parts[: len(parts) // 2] * 2 + parts)
        team = component.effective_owner_team
        at = _moment(h, team.timezone if team else "UTC")
        route = responders(component=component, at=at)
        bugs.append(Bug(
            title=f"{component.name}: {h.rng.choice(BUG_TITLES)}",
            component=component, severity=h.rng.choice(SEVERITIES[1:]),
            team=route.responding_team or route.owning_team, created_at=at,
        ))  # fmt: skip
    for bug in bugs:
        if bug.team is not None and bug.created_at < h.end:
            _investigate(h, bug, bug.team.timezone)
    bugs = [bug for bug in bugs if bug.created_at < h.end]
    Bug.objects.bulk_create(bugs, batch_size=500)
    return bugs


def _capacities(h: _History) -> None:
    rows = [
        TeamCapacity(team=h.teams[slug], buffer_percent=percent)
        for slug, percent in BUFFERS.items()
        if slug in h.teams and not TeamCapacity.objects.filter(team=h.teams[slug]).exists()
    ]
    TeamCapacity.objects.bulk_create(rows)
    group = Group.objects.filter(name="Managers").first()
    if group is not None:  # managers set their team's buffer in the admin
        group.permissions.add(*Permission.objects.filter(content_type__app_label="reports"))


def seed_history(seed) -> None:
    """Record six months of rota, leave, incidents, pages and bugs for the demo organisation."""
    h = _History(seed)
    _absences(h)
    calendar = _calendar(h)
    _rotations(h, calendar)
    overrides = _overrides(h)
    _policies(h)
    _capacities(h)
    incidents = _record_incidents(h)
    bugs = _record_bugs(h, incidents)
    severities = Counter(i.severity for i in incidents)
    seed.log(
        f"history since {h.start:%Y-%m-%d}: {len(incidents)} incidents "
        f"({', '.join(f'{s} {severities[s]}' for s in SEVERITIES)}), {h.pages} pages, "
        f"{len(bugs)} bugs, {overrides} overrides, {h.absences} spells of leave and holidays"
    )
