"""Loading report data from the database: periods, filters, absences, pages, owners, duty."""

import datetime

import pytest

from incidents.models import Page
from ownership import services as ownership
from reports.selectors import report_cadence, report_data, report_period
from rota.models import Unavailability
from tests.incidents.factories import BugFactory, IncidentFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.rota.factories import (
    OverrideFactory,
    RotationFactory,
    ShiftFactory,
    SprintCalendarFactory,
    UnavailabilityFactory,
)

from .factories import TeamCapacityFactory

UTC = datetime.UTC
NOW = datetime.datetime(2024, 3, 1, 12, tzinfo=UTC)


def at(month, day, hour=10):
    return datetime.datetime(2024, month, day, hour, tzinfo=UTC)


def page(incident, user, when, step="primary", channel="email", status=Page.Status.SENT):
    return Page.objects.create(
        incident=incident, user=user, step=step, channel=channel, created_at=when,
        sent_at=when, status=status,
        key=Page.make_key(incident_id=incident.pk, step=step, user_id=user.pk, channel=channel),
    )  # fmt: skip


@pytest.fixture
def alpha(db):
    team = TeamFactory(slug="alpha", name="Alpha", timezone="Europe/Berlin")
    for username, role in (("ann", "engineer"), ("bob", "lead"), ("max", "manager")):
        MembershipFactory(team=team, user__username=username, role=role)
    return team


def test_period_defaults_to_the_last_26_weeks_and_widens_to_whole_sprints(db):
    SprintCalendarFactory(start_date=datetime.date(2024, 1, 1), length_days=14, timezone="UTC")
    cadence = report_cadence()
    period = report_period(cadence, now=NOW)
    assert (period.first_day, period.last_day) == (datetime.date(2023, 9, 2), NOW.date())
    wide = report_period(cadence, datetime.date(2024, 1, 10), datetime.date(2024, 1, 16),
                         whole_sprints=True)  # fmt: skip
    assert (wide.first_day, wide.last_day) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 1, 28),
    )


def test_without_a_sprint_calendar_reports_use_two_week_sprints(db):
    cadence = report_cadence()
    assert (cadence.length_days, cadence.timezone) == (14, "UTC")


def test_teams_people_capacity_holidays_and_leave(alpha):
    TeamCapacityFactory(team=alpha, buffer_percent=30, team_size=5)
    plain = TeamFactory(slug="plain")
    ann = alpha.memberships.get(user__username="ann").user
    UnavailabilityFactory(user=None, team=alpha, start_date=datetime.date(2024, 1, 1),
                          end_date=datetime.date(2024, 1, 1),
                          kind=Unavailability.Kind.PUBLIC_HOLIDAY)  # fmt: skip
    UnavailabilityFactory(user=ann, start_date=datetime.date(2024, 1, 8),
                          end_date=datetime.date(2024, 1, 9))  # fmt: skip
    data = report_data(first_day=datetime.date(2024, 1, 1), last_day=datetime.date(2024, 1, 31))
    team = data.teams[alpha.pk]
    assert (team.buffer_percent, team.size, team.timezone) == (30, 5, "Europe/Berlin")
    assert team.holidays == {datetime.date(2024, 1, 1)}
    assert [data.people[m].username for m in team.members] == ["ann", "bob"]  # not the manager
    other = data.teams[plain.pk]
    assert (other.buffer_percent, other.size, other.owns_components) == (20, 0, False)
    person = data.people[ann.pk]
    assert person.leave == ((datetime.date(2024, 1, 8), datetime.date(2024, 1, 9)),)
    assert person.holidays == {datetime.date(2024, 1, 1)}
    assert person.timezone == "Europe/Berlin"


def test_incidents_by_period_and_component_subtree(alpha):
    area = ComponentFactory(slug="area", owner_team=alpha)
    inside = ComponentFactory(slug="inside", parent=area, owner_team=None)
    elsewhere = ComponentFactory(slug="elsewhere")
    kept = IncidentFactory(component=inside, created_at=at(1, 10))
    IncidentFactory(component=elsewhere, created_at=at(1, 11))
    IncidentFactory(component=inside, created_at=at(3, 10))  # after the period
    data = report_data(first_day=datetime.date(2024, 1, 1), last_day=datetime.date(2024, 1, 31),
                       component=area)  # fmt: skip
    assert [i.id for i in data.incidents] == [kept.pk]
    assert data.incidents[0].owning_team_id == alpha.pk
    assert data.components[inside.pk].slug == "inside"


def test_pages_once_per_step_and_person_and_implicit_pages(alpha):
    ann = alpha.memberships.get(user__username="ann").user
    paged = IncidentFactory(created_at=at(1, 10), responder=ann)
    page(paged, ann, at(1, 10), channel="email")
    page(paged, ann, at(1, 10), channel="chat")  # the same page on another channel
    page(paged, ann, at(1, 10), step="secondary", status=Page.Status.CANCELLED)
    quiet = IncidentFactory(created_at=at(1, 12), responder=ann)  # recorded without pages
    IncidentFactory(created_at=at(1, 13), responder=ann, urgency="backlog")
    data = report_data(first_day=datetime.date(2024, 1, 1), last_day=datetime.date(2024, 1, 31))
    assert [(p.incident_id, p.user_id, p.step) for p in data.pages] == [
        (paged.pk, ann.pk, "primary"),
        (quiet.pk, ann.pk, "primary"),
    ]


def test_bugs_carry_the_owner_at_filing_time_and_incidents_know_when_they_bounced(alpha):
    beta = TeamFactory(slug="beta")
    component = ComponentFactory(owner_team=alpha, at=at(1, 1))
    component.owner_team = beta
    component.save()
    ownership.ownership_recompute(touched=[component.pk], at=at(1, 20))
    before = BugFactory(component=component, team=alpha, created_at=at(1, 10))
    after = BugFactory(component=component, team=beta, created_at=at(1, 25))
    # Beta answered for Alpha's component (the owner then) and filed the fix for Alpha.
    handed = IncidentFactory(component=component, created_at=at(1, 11), owning_team=alpha,
                             responding_team=beta, resolved_at=at(1, 12))  # fmt: skip
    BugFactory(component=component, team=alpha, incident=handed, created_at=at(1, 12))
    kept = IncidentFactory(component=component, created_at=at(1, 11), owning_team=alpha,
                           responding_team=alpha, resolved_at=at(1, 12))  # fmt: skip
    BugFactory(component=component, team=alpha, incident=kept, created_at=at(1, 12))
    data = report_data(first_day=datetime.date(2024, 1, 1), last_day=datetime.date(2024, 1, 31))
    owners = {b.id: b.owning_team_id for b in data.bugs}
    assert owners[before.pk] == alpha.pk
    assert owners[after.pk] == beta.pk
    bounced = {i.id: i.bounced for i in data.incidents}
    assert bounced == {handed.pk: True, kept.pk: False}


def test_only_a_bug_of_the_owning_team_makes_a_handed_over_incident_bounce(alpha):
    beta = TeamFactory(slug="beta")
    component = ComponentFactory(owner_team=alpha)
    handed = {
        "component": component,
        "owning_team": alpha,
        "responding_team": beta,
        "resolved_at": at(1, 12),
    }
    # Beta answered each for Alpha; only the first led to a bug filed for Alpha.
    to_owner = IncidentFactory(created_at=at(1, 11), **handed)
    BugFactory(component=component, team=alpha, incident=to_owner, created_at=at(1, 12))
    kept_by_beta = IncidentFactory(created_at=at(1, 12), **handed)
    BugFactory(component=component, team=beta, incident=kept_by_beta, created_at=at(1, 12))
    nobody_s = IncidentFactory(created_at=at(1, 13), **handed)
    BugFactory(component=component, team=None, incident=nobody_s, created_at=at(1, 13))
    # A bug of Alpha's on another incident does not count for this one.
    BugFactory(component=component, team=alpha, created_at=at(1, 14))
    unlinked = IncidentFactory(created_at=at(1, 14), **handed)

    data = report_data(first_day=datetime.date(2024, 1, 1), last_day=datetime.date(2024, 1, 31))

    assert {i.id: i.bounced for i in data.incidents} == {
        to_owner.pk: True,
        kept_by_beta.pk: False,
        nobody_s.pk: False,
        unlinked.pk: False,
    }


def test_duty_is_the_final_schedule_clipped_to_the_period(alpha):
    ann = alpha.memberships.get(user__username="ann").user
    bob = alpha.memberships.get(user__username="bob").user
    rotation = RotationFactory(team=alpha)
    ShiftFactory(rotation=rotation, user=ann, start=at(1, 29, 9), end=at(2, 5, 9))
    OverrideFactory(rotation=rotation, user=bob, start=at(1, 30, 9), end=at(1, 30, 17))
    data = report_data(first_day=datetime.date(2024, 1, 1), last_day=datetime.date(2024, 1, 31),
                       duty=True)  # fmt: skip
    spans = [(s.user_id, s.start, s.end, s.key.split(":")[0]) for s in data.duty]
    assert spans == [
        (ann.pk, at(1, 29, 9), at(1, 30, 9), "shift"),
        (bob.pk, at(1, 30, 9), at(1, 30, 17), "override"),
        (ann.pk, at(1, 30, 17), at(2, 1, 0), "shift"),
    ]
