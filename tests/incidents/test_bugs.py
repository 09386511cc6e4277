"""Bugs: who fixes them, the working-day timebox, overrun flags and the triage queue."""

import datetime

import pytest

from incidents import selectors, services
from incidents.exceptions import BugStateError
from incidents.workdays import add_working_days
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory
from tests.rota.factories import SupportPolicyFactory

from .factories import BugFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
FRIDAY_3PM_LONDON = datetime.datetime(2030, 1, 11, 15, tzinfo=UTC)  # GMT in January


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        # Friday 15:00 plus one working day is Monday 15:00.
        (
            datetime.datetime(2030, 1, 11, 15, tzinfo=UTC),
            1,
            datetime.datetime(2030, 1, 14, 15, tzinfo=UTC),
        ),
        # Tuesday plus two is Thursday.
        (
            datetime.datetime(2030, 1, 8, 10, tzinfo=UTC),
            2,
            datetime.datetime(2030, 1, 10, 10, tzinfo=UTC),
        ),
        # A Saturday start counts from Monday.
        (
            datetime.datetime(2030, 1, 12, 10, tzinfo=UTC),
            1,
            datetime.datetime(2030, 1, 15, 10, tzinfo=UTC),
        ),
    ],
)
def test_working_days_skip_the_weekend(start, days, end):
    assert add_working_days(start, days, "Europe/London") == end


def test_working_days_keep_the_local_time_across_a_clock_change():
    # Friday 28 March 2031, 09:00 in London (GMT); clocks go forward on Sunday.
    start = datetime.datetime(2031, 3, 28, 9, tzinfo=UTC)
    assert add_working_days(start, 1, "Europe/London") == datetime.datetime(
        2031, 3, 31, 8, tzinfo=UTC
    )


def test_a_bug_goes_to_the_team_its_support_policy_names():
    owner, sre = TeamFactory(), TeamFactory(slug="sre")
    component = ComponentFactory(owner_team=owner)
    plain = ComponentFactory(owner_team=owner)
    SupportPolicyFactory(model="dedicated", dedicated_team=sre, components=[component])

    supported = services.bug_create(title="Totals wrong", component=component)
    owned = services.bug_create(title="Typo", component=plain)

    assert (supported.team, owned.team) == (sre, owner)


def test_starting_sets_the_timebox_in_the_teams_working_days(user):
    bug = BugFactory(team=TeamFactory(timezone="Europe/London"))

    bug = services.bug_investigation_start(bug=bug, by=user, at=FRIDAY_3PM_LONDON)

    assert (bug.investigator, bug.investigation_started_at) == (user, FRIDAY_3PM_LONDON)
    assert bug.timebox_ends_at == datetime.datetime(2030, 1, 14, 15, tzinfo=UTC)
    assert bug.state == "investigating"


def test_an_investigation_past_its_timebox_is_flagged(user):
    late = BugFactory()
    on_time = BugFactory()
    finished_late = BugFactory()
    for bug in (late, on_time, finished_late):
        services.bug_investigation_start(bug=bug, by=user, at=FRIDAY_3PM_LONDON)
    monday_4pm = datetime.datetime(2030, 1, 14, 16, tzinfo=UTC)
    services.bug_decide(
        bug=on_time, outcome="fixed", by=user, at=datetime.datetime(2030, 1, 14, 11, tzinfo=UTC)
    )
    services.bug_decide(
        bug=finished_late,
        outcome="story",
        story_url="https://jira.example.com/PAY-9",
        story_points=5,
        by=user,
        at=monday_4pm,
    )

    flags = {bug.pk: bug.overrun for bug in selectors.bug_list(now=monday_4pm)}

    assert flags == {late.pk: True, on_time.pk: False, finished_late.pk: True}
    late.refresh_from_db()
    assert late.overran(now=monday_4pm) is True
    not_yet = selectors.bug_list(now=datetime.datetime(2030, 1, 14, 14, tzinfo=UTC))
    assert not_yet.get(pk=late.pk).overrun is False


def test_the_triage_queue_is_worst_first_then_oldest_and_only_open_bugs(user):
    team = TeamFactory()
    day = datetime.timedelta(days=1)
    start = datetime.datetime(2030, 1, 1, 9, tzinfo=UTC)
    minor_old = BugFactory(team=team, severity="SEV3", created_at=start)
    major_new = BugFactory(team=team, severity="SEV2", created_at=start + 3 * day)
    major_old = BugFactory(team=team, severity="SEV2", created_at=start + day)
    low = BugFactory(team=team, severity="SEV4", created_at=start)
    decided = BugFactory(team=team, severity="SEV1", created_at=start)
    services.bug_decide(bug=decided, outcome="wont_fix", by=user)
    BugFactory(severity="SEV1")  # another team's

    queue = list(selectors.triage_queue(team=team))

    assert queue == [major_old, major_new, minor_old, low]


def test_a_story_outcome_needs_its_link_and_estimate(user):
    from django.core.exceptions import ValidationError

    bug = BugFactory()

    with pytest.raises(ValidationError) as refused:
        services.bug_decide(bug=bug, outcome="story", by=user)

    assert set(refused.value.message_dict) == {"story_url", "story_points"}


def test_a_decided_bug_cannot_be_started_or_decided_again(user):
    bug = BugFactory()
    services.bug_decide(bug=bug, outcome="wont_fix", by=user)

    with pytest.raises(BugStateError):
        services.bug_investigation_start(bug=bug, by=user)
    with pytest.raises(BugStateError):
        services.bug_decide(bug=bug, outcome="fixed", by=user)


def test_an_investigation_starts_once(user):
    bug = BugFactory()
    services.bug_investigation_start(bug=bug, by=user, investigator=UserFactory())

    with pytest.raises(BugStateError, match="started investigating"):
        services.bug_investigation_start(bug=bug, by=user)
