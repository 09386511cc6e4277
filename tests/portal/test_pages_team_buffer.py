"""The team page shows the support buffer left this sprint, as the load report counts it.

Payments (tests.reports.capacity_world): a 64 h buffer in sprint 11 (3-16 June 2024).
"""

import datetime

import pytest
from django.utils import timezone

from ownership import services as ownership
from tests.reports.capacity_world import NOW, build, work

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def buffer_text(client, world) -> str:
    client.force_login(world.engineers[0])
    html = client.get(world.team.get_absolute_url()).content.decode()
    section = html.split('id="buffer"', 1)[1].split("</section>", 1)[0]
    return " ".join(section.split())


def test_hours_and_share_left(client):
    world = build()
    work(world, 52 * 60)  # 12 h of 64 h left: 18.8%
    text = buffer_text(client, world)
    assert "<strong>12 h left</strong> (18.8% of the buffer)" in text
    assert "Sprint 11, Mon 3 Jun – Sun 16 Jun 2024: 52 h of support work so far" in text
    assert "against a buffer of 64 h (20% of 320 h)" in text


def test_an_overrun_buffer_says_by_how_much(client):
    world = build()
    work(world, 66 * 60)  # 2 h over: 103.1% used
    text = buffer_text(client, world)
    assert "<strong>Buffer overrun by 2 h</strong> (103.1% used)" in text


def test_a_team_without_a_buffer_says_so_and_the_triage_meeting_is_shown(client):
    world = build()
    world.team.capacity.buffer_percent = 0
    world.team.capacity.save()
    ownership.team_update(team=world.team, triage_day="monday", triage_time=datetime.time(10))
    text = buffer_text(client, world)
    assert "No support buffer planned for this sprint." in text
    assert "Weekly bug triage: Mondays at 10:00 (Europe/London)." in text
