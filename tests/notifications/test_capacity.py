"""Buffer alerts: a team's managers (and its chat channel) hear once per threshold per sprint.

The team (tests.reports.capacity_world) has a 64 h buffer in sprint 11 (3-16 June 2024):
80% of it is 51.2 h and 100% is 64 h.
"""

import datetime

import pytest
from django.core import mail

from notifications import services
from notifications.models import Delivery
from tests.reports.capacity_world import NOW, UTC, another_team, build, work

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

HOUR = 60  # minutes


@pytest.fixture
def check(django_capture_on_commit_callbacks):
    """Return a function that runs the buffer check at an instant and sends what it found."""

    def run(at):
        enqueued = []
        with django_capture_on_commit_callbacks(execute=True):
            services.capacity_alerts_scan(now=at, enqueue=enqueued.extend)
        return [services.delivery_send(delivery_id=pk, now=at).status for pk in enqueued]

    return run


def test_passing_80_percent_tells_the_managers_and_the_team_channel_once(check, chat_server):
    server = chat_server()
    world = build(chat_webhook_url=server.url)
    work(world, 30 * HOUR)
    work(world, 22 * HOUR)  # 52 h of 64 h: 81.25%, shown as 81.2%
    assert check(NOW) == ["sent", "sent"]
    (message,) = mail.outbox
    assert message.to == [world.manager.email]
    assert message.subject == "Payments has used 81.2% of its support buffer this sprint"
    body = message.body
    assert "Sprint 11: Mon 3 Jun 2024 - Sun 16 Jun 2024" in body
    assert "- Support work so far: 52 h (incidents and bugs, counted as in the load report)" in (
        body
    )
    assert "- Buffer: 64 h (20% of 320 h of capacity)" in body
    assert "- Left: 12 h (18.8%)" in body
    assert "- As of: Mon 10 Jun 2024, 10:00 BST" in body
    assert "http://localhost:8000/reports/load/?team=payments" in body
    (post,) = server.delivered
    assert post["text"].startswith("*Payments has used 81.2% of its support buffer this sprint*")

    # The scanner ticks again, and again an hour later with a little more work: nothing new.
    work(world, 2 * HOUR)  # 54 h: still between 80% and 100%
    assert check(NOW) == []
    assert check(NOW + datetime.timedelta(hours=1)) == []
    assert len(mail.outbox) == 1 and len(server.delivered) == 1


def test_below_80_percent_nobody_is_told(check):
    world = build()
    work(world, 51 * HOUR)  # 51 h of 64 h: 79.7%
    assert check(NOW) == []
    assert mail.outbox == []


def test_exactly_80_percent_counts_as_reaching_it(check):
    world = build()
    work(world, 3072)  # 51.2 h = 80.0% of 64 h
    assert check(NOW) == ["sent"]
    assert mail.outbox[0].subject == "Payments has used 80% of its support buffer this sprint"


def test_then_100_percent_tells_once_more_and_says_by_how_much(check):
    world = build()
    work(world, 52 * HOUR)
    assert check(NOW) == ["sent"]
    work(world, 14 * HOUR)  # 66 h of 64 h: 103.1%, 2 h over
    later = NOW + datetime.timedelta(hours=2)
    assert check(later) == ["sent"]
    assert check(later) == []
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "Payments has used 81.2% of its support buffer this sprint",
        "Payments has used up its support buffer this sprint (103.1%)",
    ]
    assert "- Left: nothing (over by 2 h)" in mail.outbox[1].body
    assert "- As of: Mon 10 Jun 2024, 12:00 BST" in mail.outbox[1].body


def test_a_jump_past_both_thresholds_tells_only_the_higher_and_never_the_lower_later(check):
    world = build()
    incident = work(world, 70 * HOUR)  # 109.4% at the first check
    assert check(NOW) == ["sent"]
    assert "used up" in mail.outbox[0].subject
    # Someone corrects the logged time down to 52 h (81.2%): 80% is not told after 100%.
    incident.logged_minutes = 52 * HOUR
    incident.save()
    assert check(NOW + datetime.timedelta(minutes=15)) == []
    assert Delivery.objects.filter(kind="capacity").count() == 1


def test_the_next_sprint_starts_afresh(check):
    world = build()
    work(world, 52 * HOUR)
    assert check(NOW) == ["sent"]
    # Sprint 12 (17-30 June): last sprint's work does not count; 52 h of new work does.
    next_sprint = datetime.datetime(2024, 6, 20, 9, 0, tzinfo=UTC)
    assert check(next_sprint) == []
    work(world, 52 * HOUR, at=datetime.datetime(2024, 6, 18, 10, 0, tzinfo=UTC))
    assert check(next_sprint) == ["sent"]
    assert "Sprint 12: Mon 17 Jun 2024 - Sun 30 Jun 2024" in mail.outbox[1].body
    assert Delivery.objects.filter(kind="capacity").count() == 2


def test_a_manager_who_switched_buffer_alerts_off_is_not_told_but_the_channel_is(
    check, chat_server
):
    server = chat_server()
    world = build(chat_webhook_url=server.url)
    NotificationPreferenceFactory(user=world.manager, capacity_alerts=False)
    work(world, 52 * HOUR)
    assert check(NOW) == ["sent"]
    assert mail.outbox == []
    assert len(server.delivered) == 1


def test_switching_off_after_the_check_skips_the_message_not_yet_sent(
    django_capture_on_commit_callbacks,
):
    world = build()
    work(world, 52 * HOUR)
    enqueued = []
    with django_capture_on_commit_callbacks(execute=True):
        services.capacity_alerts_scan(now=NOW, enqueue=enqueued.extend)
    NotificationPreferenceFactory(user=world.manager, capacity_alerts=False)
    (pk,) = enqueued
    assert services.delivery_send(delivery_id=pk, now=NOW).status == "skipped"
    assert mail.outbox == []


def test_the_alert_webhook_replaces_the_team_channel_and_can_be_switched_off(check, chat_server):
    team_channel, managers_channel = chat_server(), chat_server()
    world = build(chat_webhook_url=team_channel.url, alert_webhook_url=managers_channel.url)
    work(world, 52 * HOUR)
    assert check(NOW) == ["sent", "sent"]
    assert team_channel.delivered == []
    assert len(managers_channel.delivered) == 1

    quiet = another_team("Quiet", "quiet", chat_webhook_url=team_channel.url, alert_chat=False)
    work(quiet, 52 * HOUR)
    assert check(NOW) == ["sent"]  # Quiet's manager by e-mail; no chat post
    assert team_channel.delivered == []


def test_times_are_in_the_managers_time_zone(check):
    world = build()
    NotificationPreferenceFactory(user=world.manager, timezone="America/New_York")
    work(world, 52 * HOUR)
    check(NOW)
    assert "- As of: Mon 10 Jun 2024, 05:00 EDT" in mail.outbox[0].body
    assert "Times are in America/New_York." in mail.outbox[0].body


def test_a_team_without_a_buffer_is_never_told(check):
    world = build()
    world.team.capacity.buffer_percent = 0
    world.team.capacity.save()
    work(world, 52 * HOUR)
    assert check(NOW) == []


# The sprint calendar, the load report's loading (teams, leave, memberships, components,
# incidents and the bugs of their owning teams, pages, bugs), what was told already, managers,
# their preferences and team zones, the alert channels (capacities, teams), the keys that
# exist, and the insert of the new rows in a savepoint (insert, read back by batch).
CHECK_QUERIES = 20


@pytest.mark.parametrize("teams", [1, 5])
def test_the_check_costs_the_same_queries_for_one_team_or_many(django_assert_num_queries, teams):
    worlds = [build()] + [another_team(f"Team {n}", f"team-{n}") for n in range(teams - 1)]
    for world in worlds:
        work(world, 52 * HOUR)
    with django_assert_num_queries(CHECK_QUERIES):
        result = services.capacity_alerts_scan(now=NOW, enqueue=lambda ids: None)
    assert result.created == teams
