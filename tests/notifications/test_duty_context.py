"""Reminders and handoffs say what the duty covers, who is before and after, with links.

The organisation: Payments (London) owns Checkout API (with a runbook), Refunds, and Ledger;
Search owns Search. A dedicated policy gives Ledger to the Platform support team. So the
person rotation "Payments on-call" answers for Checkout API and Refunds only (Ledger is
routed to Platform support, Search to Search's own rotation).

The turn order on the rota: Alice Martin, then Bob Stone, then Dana Lee.
"""

import datetime

import pytest
from django.core import mail

from rota.models import SupportPolicy
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import ShiftFactory, SupportPolicyFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
WEEK = datetime.timedelta(days=7)
SITE = "http://localhost:8000"


@pytest.fixture
def organisation(team, rotation):
    ComponentFactory(
        name="Checkout API",
        slug="checkout-api",
        owner_team=team,
        runbook_url="https://runbooks.example.com/checkout-api",
    )
    ComponentFactory(name="Refunds", slug="refunds", owner_team=team)
    ledger = ComponentFactory(name="Ledger", slug="ledger", owner_team=team)
    ComponentFactory(
        name="Search",
        slug="search",
        owner_team=TeamFactory(name="Search", slug="search"),
        runbook_url="https://runbooks.example.com/search",
    )
    SupportPolicyFactory(
        name="Ledger by platform support",
        model=SupportPolicy.Model.DEDICATED,
        dedicated_team=TeamFactory(name="Platform support", slug="platform-support"),
        components=[ledger],
    )


@pytest.fixture
def dana(team):
    user = UserFactory(username="dana", first_name="Dana", last_name="Lee")
    MembershipFactory(team=team, user=user)
    return user


def lines(body: str, heading: str) -> list[str]:
    """Return the "- " lines of one section of a plain-text message."""
    after = body.split(f"\n{heading}\n", 1)[1]
    found = []
    for line in after.splitlines():
        if not line.startswith("- "):
            break
        found.append(line[2:])
    return found


def expected_sections(rotation) -> dict:
    return {
        "What it covers": [
            "Team: Payments",
            "Rotation: Payments on-call",
            "Components: Checkout API, Refunds",
        ],
        "Before and after": ["Taking over from: Alice Martin", "Next on duty: Dana Lee"],
        "Links": [
            f"Rotation: {SITE}/rotations/{rotation.pk}/",
            "Runbook of Checkout API: https://runbooks.example.com/checkout-api",
            f"Incidents: {SITE}/incidents/?team=payments",
        ],
    }


def test_a_reminder_says_what_the_shift_covers_and_who_is_around_it(
    organisation, rotation, alice, bob, dana, now, deliver
):
    start = now + 61 * MINUTE  # the 24 h reminder of Bob's shift is due now
    ShiftFactory(rotation=rotation, user=alice, start=start - WEEK, end=start)
    ShiftFactory(rotation=rotation, user=bob, start=start, end=start + WEEK)
    ShiftFactory(rotation=rotation, user=dana, start=start + WEEK, end=start + 2 * WEEK)

    deliver(now)

    [message] = [m for m in mail.outbox if m.to == ["bob@example.com"]]
    assert message.subject.startswith("Reminder: your Payments on-call shift starts")
    for heading, expected in expected_sections(rotation).items():
        assert lines(message.body, heading) == expected, heading
    assert "Ledger" not in message.body and "Search" not in message.body
    html = message.alternatives[0][0]
    assert f'href="{SITE}/rotations/{rotation.pk}/"' in html


def test_a_handoff_says_the_same_for_the_incoming_person(
    organisation, rotation, alice, bob, dana, now, deliver
):
    start = now - MINUTE
    ShiftFactory(rotation=rotation, user=alice, start=start - WEEK, end=start)
    ShiftFactory(rotation=rotation, user=bob, start=start, end=start + WEEK)
    ShiftFactory(rotation=rotation, user=dana, start=start + WEEK, end=start + 2 * WEEK)

    deliver(now)

    messages = {m.to[0]: m for m in mail.outbox}
    assert messages["bob@example.com"].subject == (
        "Handoff: Payments on-call passes from Alice Martin to Bob Stone"
    )
    for heading, expected in expected_sections(rotation).items():
        assert lines(messages["bob@example.com"].body, heading) == expected, heading
    # Alice hands over: she reads the same context of Bob's shift.
    assert lines(messages["alice@example.com"].body, "Before and after") == [
        "Taking over from: Alice Martin",
        "Next on duty: Dana Lee",
    ]


def test_with_nobody_before_or_after_the_message_says_so(organisation, rotation, bob, now, deliver):
    start = now + 61 * MINUTE
    ShiftFactory(rotation=rotation, user=bob, start=start, end=start + WEEK)

    deliver(now)

    [message] = mail.outbox
    assert lines(message.body, "Before and after") == [
        "Taking over from: nobody",
        "Next on duty: nobody",
    ]
