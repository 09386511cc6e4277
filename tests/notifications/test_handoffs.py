import datetime

import pytest
from django.core import mail

from notifications.models import Delivery
from tests.ownership.factories import MembershipFactory, TeamFactory
from tests.rota.factories import ShiftFactory, TeamRotationFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
WEEK = datetime.timedelta(days=7)


def test_incoming_and_outgoing_people_are_told_at_the_handoff(
    rotation, alice, bob, now, deliver, monkeypatch
):
    start = now - MINUTE
    ShiftFactory(rotation=rotation, user=alice, start=start - WEEK, end=start)
    ShiftFactory(rotation=rotation, user=bob, start=start, end=start + WEEK)

    class Incident:
        severity, title, status = "SEV2", "Card payments time out", "acknowledged"

        def get_absolute_url(self):
            return "/incidents/7/"

    monkeypatch.setattr(
        "notifications.content.open_incidents_for_rotation", lambda rotation: [Incident()]
    )
    deliver(now)
    messages = {m.to[0]: m for m in mail.outbox}
    assert set(messages) == {"alice@example.com", "bob@example.com"}
    subject = "Handoff: Payments on-call passes from Alice Martin to Bob Stone"
    assert {m.subject for m in messages.values()} == {subject}
    assert "You are on duty for Payments on-call now, taking over from Alice Martin." in (
        messages["bob@example.com"].body
    )
    assert "Your duty on Payments on-call has ended; Bob Stone takes over." in (
        messages["alice@example.com"].body
    )
    assert (
        "- SEV2 Card payments time out (acknowledged) http://localhost:8000/incidents/7/"
        in messages["bob@example.com"].body
    )
    assert "- Bob Stone: Mon 3 Jun 2024, 09:59 BST - Mon 10 Jun 2024, 09:59 BST" in (
        messages["bob@example.com"].body
    )

    deliver(now + MINUTE)
    assert len(mail.outbox) == 2


def test_without_incidents_the_handoff_says_none_are_open(rotation, alice, now, deliver):
    ShiftFactory(rotation=rotation, user=alice, start=now - MINUTE)
    deliver(now)
    assert "- No open incidents." in mail.outbox[0].body
    assert mail.outbox[0].subject == "Handoff: Payments on-call passes to Alice Martin"
    assert "You are on duty for Payments on-call now.\n" in mail.outbox[0].body


def test_a_team_handoff_goes_to_leads_managers_and_both_team_channels(
    team, alice, now, deliver, chat_server
):
    server = chat_server()
    lead = MembershipFactory(team=team, role="lead").user
    other = TeamFactory(name="Search", chat_webhook_url=server.url)
    other_manager = MembershipFactory(team=other, role="manager").user
    MembershipFactory(team=other)  # an engineer: reminded before, not told at the handoff
    team.chat_webhook_url = server.url
    team.save()
    rotation = TeamRotationFactory(name="Support", participants=[other, team])
    ShiftFactory(rotation=rotation, user=None, team=other, start=now - WEEK, end=now)
    ShiftFactory(rotation=rotation, user=None, team=team, start=now, end=now + WEEK)
    deliver(now)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([lead.email, other_manager.email])
    assert len(server.delivered) == 2
    assert all("Payments takes over Support from Search" in p["text"] for p in server.delivered)


def test_a_handoff_long_past_is_not_sent(rotation, alice, now, deliver):
    ShiftFactory(rotation=rotation, user=alice, start=now - datetime.timedelta(hours=1))
    deliver(now)
    assert Delivery.objects.filter(kind="handoff").count() == 0
