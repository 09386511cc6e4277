"""What triage agendas and timebox notices say, composed when they are sent.

They read the bugs as they are when sent, and are not sent once they no longer apply (the
meeting moved, the bug was decided, the timebox changed). Registered with
``notifications.sources`` by the incidents app.
"""

import datetime

from django.conf import settings
from django.urls import reverse

from notifications.conf import setting
from notifications.messages import (
    Audience,
    Content,
    Link,
    NoLongerApplies,
    Section,
    in_words,
    local,
)
from notifications.models import Delivery
from ownership.models import Membership, Team
from ownership.selectors import LEADER_ROLES

from ..models import Bug
from ..selectors import triage_queue
from .timebox import team_leaders, timebox_readers
from .triage import meeting_at

LISTED = 25  # bugs listed per section of an agenda; the heading says how many in all


def _day(value: datetime.date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _name(user) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


def _link(name: str, **kwargs) -> str:
    return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs)}"


def _holds_role(user_id: int, team_id: int, roles) -> bool:
    return Membership.objects.filter(team_id=team_id, user_id=user_id, role__in=roles).exists()


def _bug_line(bug: Bug, tz, now) -> str:
    filed = bug.created_at.astimezone(tz).date()
    age = (now.astimezone(tz).date() - filed).days  # calendar days, as the reader counts
    text = (
        f"{bug.severity} #{bug.pk} {bug.title} ({bug.component.name}) - filed "
        f"{_day(filed)}, {age} day{'s' if age != 1 else ''} ago"
    )
    if bug.investigation_started_at is None:
        text += "; not investigated yet"
    else:
        who = _name(bug.investigator)
        ends = local(bug.timebox_ends_at, tz)
        verb = "ran out" if bug.timebox_ends_at <= now else "ends"
        text += f"; investigated by {who}, timebox {verb} {ends}"
    return f"{text} {_link('portal-bug', pk=bug.pk)}"


def _listed(heading: str, bugs: list[Bug], tz, now, *, empty: str = "") -> Section | None:
    if not bugs and not empty:
        return None
    lines = [_bug_line(bug, tz, now) for bug in bugs[:LISTED]] or [empty]
    if len(bugs) > LISTED:
        lines.append(f"... and {len(bugs) - LISTED} more.")
    return Section(f"{heading} ({len(bugs)})", lines)


def triage(delivery: Delivery, audience: Audience, now) -> Content:
    """List the team's undecided bugs for its triage meeting: overrun, waiting, all."""
    team = Team.objects.filter(pk=delivery.payload["team_id"]).first()
    day = datetime.date.fromisoformat(delivery.payload["day"])
    if team is None or meeting_at(team, day) != delivery.occurs_at:
        raise NoLongerApplies("The triage meeting moved or was cancelled.")
    roles = LEADER_ROLES
    if not _holds_role(audience.user_id, team.pk, roles):
        raise NoLongerApplies("The person is no longer a lead or manager of the team.")
    bugs = list(triage_queue(team=team, now=now))
    if not bugs:
        raise NoLongerApplies("Nothing is waiting for triage.")
    tz, meeting = audience.tz, delivery.occurs_at
    waiting_days = setting("NOTIFICATIONS_TRIAGE_WAITING_DAYS")
    cutoff = now - datetime.timedelta(days=waiting_days)
    count = len(bugs)
    when = f"starts {in_words(meeting - now)}" if meeting > now else "has started"
    sections = [
        _listed("Investigation past its timebox", [b for b in bugs if b.overrun], tz, now),
        _listed(
            f"Waiting more than {waiting_days} days",
            [b for b in bugs if b.created_at <= cutoff],
            tz,
            now,
        ),
        _listed("All undecided bugs, worst first", bugs, tz, now),
        Section(
            "Links",
            [
                Link("Triage queue", f"{_link('portal-team', slug=team.slug)}#triage"),
                f"API: {_link('bug-list')}?triage_queue={team.slug}",
            ],
        ),
    ]
    return Content(
        subject=f"Triage agenda: {team.name}, {local(meeting, tz)} - {count} undecided "
        f"bug{'s' if count != 1 else ''}",
        intro=f"{team.name}'s weekly bug triage {when} ({local(meeting, tz)}). {count} "
        f"bug{'s wait' if count != 1 else ' waits'} for a decision: fixed, turned into an "
        "estimated story, or won't fix.",
        sections=[section for section in sections if section is not None],
    )


def timebox(delivery: Delivery, audience: Audience, now) -> Content:
    """Say that a bug's investigation timebox ran out, with the choices and a link."""
    bug = (
        Bug.objects.select_related("component", "team", "investigator")
        .filter(pk=delivery.payload["bug"])
        .first()
    )
    if bug is None:
        raise NoLongerApplies("The bug was deleted.")
    if bug.outcome or bug.investigation_finished_at is not None:
        raise NoLongerApplies("The bug was decided.")
    if bug.timebox_ends_at != delivery.occurs_at:
        raise NoLongerApplies("The timebox changed; its new end is told instead.")
    leaders = team_leaders([bug.team_id]) if bug.team_id else {}
    if audience.user_id not in timebox_readers(bug.investigator_id, bug.team_id, leaders):
        raise NoLongerApplies("The person no longer investigates the bug or leads its team.")
    tz = audience.tz
    days = f"{bug.timebox_days}-working-day"
    ended = local(bug.timebox_ends_at, tz)
    if audience.user_id == bug.investigator_id:
        intro = f"The {days} timebox of your investigation of bug #{bug.pk} ran out at {ended}."
    else:
        who = _name(bug.investigator)
        intro = (
            f"The {days} timebox of the investigation of bug #{bug.pk} by {who} ran out at {ended}."
        )
    details = [
        f"Severity: {bug.get_severity_display()}",
        f"Component: {bug.component.name} ({bug.component.slug})",
        f"Team: {bug.team.name if bug.team_id else 'none'}",
        f"Investigation started: {local(bug.investigation_started_at, tz)}",
        f"Timebox ended: {ended}",
    ]
    if bug.ticket_url:
        details.append(f"Ticket: {bug.ticket_url}")
    url = _link("portal-bug", pk=bug.pk)
    return Content(
        subject=f"Timebox over: bug #{bug.pk} {bug.title}",
        intro=intro + " Time to decide what becomes of it.",
        sections=[
            Section("Bug", details),
            Section(
                "Decide",
                [
                    "Fixed: it is fixed now",
                    "Story: turn it into an estimated story (link and points)",
                    "Won't fix: close it without a fix",
                    Link("On the bug's page", url),
                    f"Or by API: POST {_link('bug-decide', pk=bug.pk)} with "
                    '{"outcome": "fixed" | "story" | "wont_fix"}',
                ],
            ),
        ],
    )


BUILDERS = {
    Delivery.Kind.TRIAGE: triage,
    Delivery.Kind.TIMEBOX: timebox,
}
