"""Demo incidents and bugs: a few months of history for the demo organisation.

``seed_incidents`` is a section of ``portal.demo.seed``: it takes the shared ``DemoSeed``
state (people, teams, components, the clock and the random source) and records everything
through the incidents services, dated in the past, so timelines, timestamps and routing come
out as they would in real use. Nobody is paged: the history is over before the demo starts.
"""

import datetime

from ownership.models import Component, Membership

from . import services
from .models import Bug, EscalationPolicy, Incident, Integration, Severity

WEEKS = 12
INCIDENTS = 28
TITLES = [
    "Error rate above 5%",
    "p99 latency above 2 s",
    "Pods crash-looping after deploy",
    "Database connections exhausted",
    "Queue consumers stalled",
    "Certificate about to expire",
    "Disk almost full",
    "Third-party API timing out",
]
CAUSES = [
    ("rollback", "Rolled back the last release."),
    ("restart", "Restarted the stuck workers."),
    ("config", "Raised the connection pool limit."),
    ("hotfix", "Deployed a hotfix for the null check."),
]
BUG_TITLES = [
    "Totals off by one cent on multi-currency orders",
    "Retry loop never gives up on 4xx",
    "Search results miss items added in the last minute",
    "Timeout too short for large exports",
    "Password reset link expires immediately in some time zones",
    "Duplicate e-mails after a failed send",
    "Pagination skips items with equal timestamps",
    "Crash when the profile picture is missing",
]
SEVERITIES = [Severity.SEV1, Severity.SEV2, Severity.SEV2, Severity.SEV3, Severity.SEV3]


def _team_people(seed) -> dict[int, list]:
    people: dict[int, list] = {}
    for membership in Membership.objects.select_related("user").order_by("user__username"):
        people.setdefault(membership.team_id, []).append(membership.user)
    return people


def _actor(seed, incident: Incident, people):
    if incident.responder is not None:
        return incident.responder
    team_id = incident.responding_team_id or incident.owning_team_id
    return seed.rng.choice(people.get(team_id) or [seed.admin])


def _incident(seed, component: Component, at: datetime.datetime, people, *, open_one=False):
    rng = seed.rng
    severity = rng.choice(SEVERITIES)
    incident = services.incident_create(
        title=f"{component.name}: {rng.choice(TITLES)}",
        description="Raised from the demo history.",
        component=component,
        severity=severity,
        at=at,
        escalate=False,
    )
    actor = _actor(seed, incident, people)
    acknowledged = at + datetime.timedelta(minutes=rng.randint(1, 25))
    services.incident_acknowledge(incident=incident, by=actor, at=acknowledged)
    if open_one:
        services.incident_note(
            incident=incident,
            by=actor,
            text="Looking into it; dashboards point at the database.",
            at=acknowledged + datetime.timedelta(minutes=3),
        )
        return incident
    kind, note = rng.choice(CAUSES)
    mitigated = acknowledged + datetime.timedelta(minutes=rng.randint(5, 90))
    services.incident_mitigate(incident=incident, by=actor, kind=kind, at=mitigated, note=note)
    resolved = mitigated + datetime.timedelta(minutes=rng.randint(10, 240))
    services.incident_resolve(incident=incident, by=actor, at=resolved)
    follow_up = {"logged_minutes": int((resolved - at).total_seconds() // 60)}
    if severity == Severity.SEV1:
        follow_up["postmortem_url"] = f"https://wiki.example.com/postmortems/{incident.pk}"
        follow_up["postmortem_done"] = rng.random() < 0.7
    services.incident_update(incident=incident, by=actor, **follow_up)
    return incident


def _bugs(seed, components, people) -> int:
    rng = seed.rng
    created = 0
    for n, title in enumerate(BUG_TITLES * 2):
        component = rng.choice(components)
        reported = seed.now - datetime.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8))
        bug = services.bug_create(
            title=title if n < len(BUG_TITLES) else f"{title} (again)",
            component=component,
            severity=rng.choice([*SEVERITIES, Severity.SEV4]),
            description="Found in the demo history.",
            at=reported,
        )
        created += 1
        members = people.get(bug.team_id) or [seed.admin]
        engineer = rng.choice(members)
        fate = n % 4
        if fate == 0:
            continue  # waits for the triage meeting
        started = reported + datetime.timedelta(days=rng.randint(0, 5))
        if started >= seed.now:
            continue
        bug = services.bug_investigation_start(bug=bug, by=engineer, at=started)
        if fate == 1:
            continue  # still investigating; an old one shows as overrun
        finished = started + datetime.timedelta(hours=rng.choice([3, 6, 30]))
        if finished >= seed.now:
            continue
        if fate == 2:
            services.bug_decide(bug=bug, outcome=Bug.Outcome.FIXED, by=engineer, at=finished)
        else:
            services.bug_decide(
                bug=bug,
                outcome=Bug.Outcome.STORY,
                story_url=f"https://jira.example.com/browse/DEMO-{100 + n}",
                story_points=rng.choice([2, 3, 5, 8]),
                by=engineer,
                at=finished,
            )
    return created


def seed_incidents(seed) -> None:
    """Record escalation defaults, two integrations, past incidents and bugs."""
    if not EscalationPolicy.objects.filter(support_policy__isnull=True).exists():
        EscalationPolicy.objects.create()
    services.integration_create(
        name="Prometheus (production)", kind=Integration.Kind.ALERTMANAGER, by=seed.admin
    )
    services.integration_create(
        name="Synthetic checks", kind=Integration.Kind.GENERIC, by=seed.admin
    )
    components = sorted(
        (c for c in seed.components.values() if c.kind != Component.Kind.AREA),
        key=lambda c: c.slug,
    )
    critical = [c for c in components if c.tier <= Component.Tier.IMPORTANT] or components
    people = _team_people(seed)
    start = seed.now - datetime.timedelta(weeks=WEEKS)
    span = (seed.now - start).total_seconds() - 6 * 3600
    moments = sorted(
        start + datetime.timedelta(seconds=seed.rng.uniform(0, span)) for _ in range(INCIDENTS)
    )
    for at in moments:
        _incident(seed, seed.rng.choice(critical), at, people)
    _incident(
        seed,
        seed.rng.choice(critical),
        seed.now - datetime.timedelta(minutes=40),
        people,
        open_one=True,
    )
    bugs = _bugs(seed, components, people)
    seed.log(
        f"{INCIDENTS + 1} incidents over {WEEKS} weeks (1 open), {bugs} bugs, "
        "2 alert integrations (regenerate their URLs in the admin)"
    )
