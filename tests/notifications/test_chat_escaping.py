"""Chat posts escape what people typed: no channel pings, no disguised links.

Slack reads ``<!channel>``, ``<@U1>`` and ``<url|label>`` as mentions and links; escaping ``&``,
``<`` and ``>`` (https://api.slack.com/reference/surfaces/formatting#escaping) shows them as
typed. Only Rota's own links are formatted as links. Each kind of message is sent for real to
a local chat service and the posted JSON is read back.
"""

import datetime
import re

import pytest
from django.conf import settings

from incidents import services as incident_services
from notifications import services
from notifications.messages import Content, Link, Section, render_chat
from rota import services as rota_services
from tests.notifications.factories import NotificationPreferenceFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
WEEK = 7 * DAY

HOSTILE = "<!channel> <https://evil.example/x|Open the runbook> & more"
ESCAPED = "&lt;!channel&gt; &lt;https://evil.example/x|Open the runbook&gt; &amp; more"
HOSTILE_NAME = "<@U0ADMIN>"
ESCAPED_NAME = "&lt;@U0ADMIN&gt;"


def assert_only_own_links(text: str) -> None:
    """Every <...> in a chat text is one of Rota's own links; nothing hostile is raw."""
    for inside in re.findall(r"<([^>]*)>", text):
        assert inside.startswith(f"{settings.SITE_URL}/"), inside
    assert "<!channel>" not in text and "<@U0ADMIN>" not in text and "<https://evil" not in text


def chat_to(user, server, **extra):
    return NotificationPreferenceFactory(
        user=user,
        email_enabled=False,
        chat_enabled=True,
        chat_webhook_url=server.url,
        **extra,
    )


@pytest.fixture
def hostile_rotation(team, alice, bob):
    return RotationFactory(name=HOSTILE, team=team, participants=[alice, bob])


def test_a_reminder_escapes_the_rotation_name(hostile_rotation, alice, now, deliver, chat_server):
    server = chat_server()
    chat_to(alice, server, lead_times=[60])
    ShiftFactory(rotation=hostile_rotation, user=alice, start=now + 50 * MINUTE)

    deliver(now)

    (payload,) = server.delivered
    text = payload["text"]
    assert f"Rotation: {ESCAPED}" in text
    assert_only_own_links(text)
    # Rota's own link to the team's rota is a link, labelled.
    assert f"<{settings.SITE_URL}/rotations/{hostile_rotation.pk}/|Rotation>" in text


def test_a_handoff_escapes_rotation_and_person_names(
    hostile_rotation, alice, bob, now, deliver, chat_server
):
    server = chat_server()
    alice.first_name, alice.last_name = HOSTILE_NAME, ""
    alice.save()
    chat_to(bob, server)
    start = now - MINUTE
    ShiftFactory(rotation=hostile_rotation, user=alice, start=start - WEEK, end=start)
    ShiftFactory(rotation=hostile_rotation, user=bob, start=start, end=start + WEEK)

    deliver(now)

    (payload,) = server.delivered
    text = payload["text"]
    # Handoffs name the rotation in the subject and the person handing over in the body.
    assert ESCAPED in text
    assert ESCAPED_NAME in text and HOSTILE_NAME not in text
    assert_only_own_links(text)


def test_a_change_notice_escapes_who_made_the_change(
    hostile_rotation, team, alice, bob, now, deliver, chat_server, monkeypatch
):
    server = chat_server()
    chat_to(alice, server)
    manager = MembershipFactory(
        team=team, role="manager", user=UserFactory(first_name=HOSTILE_NAME, last_name="")
    ).user
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    shift = ShiftFactory(rotation=hostile_rotation, user=alice, start=now + 2 * DAY)
    rota_services.shift_reassign(shift=shift, user=bob, by=manager)

    deliver(now + MINUTE)  # noted; the batch window is still open
    deliver(now + 7 * MINUTE)

    (payload,) = server.delivered
    text = payload["text"]
    assert f"{ESCAPED}: the shift" in text
    assert f"(by {ESCAPED_NAME})" in text
    assert_only_own_links(text)


def test_a_rota_warning_escapes_the_rotation_name(
    hostile_rotation, team, alice, bob, now, chat_server, django_capture_on_commit_callbacks
):
    server = chat_server()
    manager = MembershipFactory(team=team, role="manager").user
    chat_to(manager, server)
    start = datetime.datetime(2024, 6, 3, 8, tzinfo=datetime.UTC)
    ShiftFactory(rotation=hostile_rotation, user=alice, start=start, end=start + WEEK)
    # Nobody after the first week: a gap to warn about.

    enqueued = []
    with django_capture_on_commit_callbacks(execute=True):
        services.rota_warnings_scan(now=now, enqueue=enqueued.extend)
    for delivery_id in enqueued:
        services.delivery_send(delivery_id=delivery_id, now=now)

    (payload,) = server.delivered
    text = payload["text"]
    assert ESCAPED in text
    assert_only_own_links(text)


def test_a_page_escapes_the_incident_title(
    team, alice, chat_server, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents import queue, tasks

    monkeypatch.setattr(queue, "publish_page", tasks.deliver_page)
    server = chat_server()
    chat_to(alice, server)
    t0 = datetime.datetime(2030, 7, 1, 10, tzinfo=datetime.UTC)
    ShiftFactory(rotation=RotationFactory(team=team, timezone="UTC"), user=alice, start=t0 - DAY)
    ComponentFactory(slug="checkout", name="Checkout & <b>", owner_team=team)

    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.incident_create(
            title=HOSTILE, component="checkout", severity="SEV1", at=t0
        )

    (payload,) = server.delivered
    text = payload["text"]
    assert f"Incident #{incident.pk}: {ESCAPED}" in text
    assert "Component: Checkout &amp; &lt;b&gt; (checkout)" in text
    assert_only_own_links(text)
    url = f"{settings.SITE_URL}{incident.get_absolute_url()}"
    assert f"<{url}|Acknowledge it to stop the escalation>" in text


def test_render_chat_links_only_rotas_own_addresses():
    content = Content(
        subject="A & B",
        intro="<!here>",
        sections=[
            Section(
                "Links <x>",
                [
                    Link("Rotation <1>", f"{settings.SITE_URL}/rotations/1/?a=1&b=2"),
                    # Typed in by a person: shown as text, never as a labelled link.
                    Link("Runbook", "https://evil.example/x|Open"),
                    "plain > text",
                ],
            )
        ],
    )

    assert render_chat(content, "Europe/London") == (
        "*A &amp; B*\n"
        "&lt;!here&gt;\n"
        "\n"
        "*Links &lt;x&gt;*\n"
        f"• <{settings.SITE_URL}/rotations/1/?a=1&amp;b=2|Rotation &lt;1&gt;>\n"
        "• Runbook: https://evil.example/x|Open\n"
        "• plain &gt; text\n"
        "\n"
        "_Times in Europe/London._"
    )
    # E-mail and the plain text keep the line as it was written.
    assert str(content.sections[0].lines[0]) == (
        f"Rotation <1>: {settings.SITE_URL}/rotations/1/?a=1&b=2"
    )


def test_a_timebox_notice_escapes_the_bug_title_and_a_typed_ticket_url(
    team, alice, deliver, chat_server
):
    from incidents import services as incidents
    from tests.incidents.factories import BugFactory

    server = chat_server()
    chat_to(alice, server)
    started = datetime.datetime(2024, 5, 31, 14, tzinfo=datetime.UTC)  # Friday 15:00 BST
    ends = datetime.datetime(2024, 6, 3, 14, tzinfo=datetime.UTC)  # one working day later
    bug = BugFactory(
        title=HOSTILE,
        ticket_url="https://tickets.example.com/1?a=<b>",
        component=ComponentFactory(slug="checkout", owner_team=team),
        created_at=started - DAY,
    )
    incidents.bug_investigation_start(bug=bug, by=alice, at=started)

    deliver(ends)

    (payload,) = server.delivered
    text = payload["text"]
    assert text.startswith(f"*Timebox over: bug #{bug.pk} {ESCAPED}*")
    assert "Ticket: https://tickets.example.com/1?a=&lt;b&gt;" in text
    assert f"<{settings.SITE_URL}/bugs/{bug.pk}/|On the bug's page>" in text
    assert_only_own_links(text)
