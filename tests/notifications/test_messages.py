import datetime

import pytest
from django.core import mail

from notifications.messages import in_words, local
from tests.rota.factories import OverrideFactory, ShiftFactory

from .factories import NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


def test_a_reminder_e_mail_names_the_shift_in_the_recipients_time_zone(
    rotation, alice, now, deliver
):
    ShiftFactory(
        rotation=rotation,
        user=alice,
        start=now + 45 * MINUTE,
        end=now + 45 * MINUTE + datetime.timedelta(days=7),
    )
    deliver(now)
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    # 09:45 UTC on 3 June is 10:45 British Summer Time.
    assert message.subject == (
        "Reminder: your Payments on-call shift starts Mon 3 Jun 2024, 10:45 BST"
    )
    assert "Your shift on Payments on-call starts in 45 minutes." in message.body
    assert "- Ends: Mon 10 Jun 2024, 10:45 BST" in message.body
    assert "Times are in Europe/London." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<li>Starts: Mon 3 Jun 2024, 10:45 BST</li>" in html
    assert message.extra_headers["X-Rota-Delivery"].startswith("reminder/shift-")


def test_a_person_with_their_own_time_zone_reads_their_local_time(rotation, alice, now, deliver):
    NotificationPreferenceFactory(user=alice, timezone="Asia/Kolkata")
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    deliver(now)
    # 09:30 UTC is 15:00 in India (UTC+05:30).
    assert mail.outbox[0].subject.endswith("starts Mon 3 Jun 2024, 15:00 IST")


def test_a_chat_reminder_is_posted_as_slack_compatible_json(
    rotation, alice, now, deliver, chat_server
):
    server = chat_server()
    NotificationPreferenceFactory(
        user=alice, email_enabled=False, chat_enabled=True, chat_webhook_url=server.url
    )
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    deliver(now)
    assert mail.outbox == []
    (payload,) = server.delivered
    assert set(payload) == {"text"}
    assert payload["text"].startswith(
        "*Reminder: your Payments on-call shift starts Mon 3 Jun 2024, 10:30 BST*"
    )
    assert "• Starts: Mon 3 Jun 2024, 10:30 BST" in payload["text"]


def test_a_team_channel_hears_of_its_support_shift_a_day_ahead(
    team, alice, now, deliver, chat_server
):
    from tests.rota.factories import TeamRotationFactory

    server = chat_server()
    team.chat_webhook_url = server.url
    team.save()
    rotation = TeamRotationFactory(name="Support", participants=[team])
    ShiftFactory(rotation=rotation, user=None, team=team, start=now + 23 * 60 * MINUTE)
    deliver(now)
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert (
        mail.outbox[0].subject
        == "Reminder: Payments takes over Support on Tue 4 Jun 2024, 09:00 BST"
    )
    (payload,) = server.delivered
    assert "Payments takes over Support in 23 hours." in payload["text"]


def test_an_override_reminder_says_whose_cover_it_is(rotation, alice, bob, now, deliver):
    ShiftFactory(rotation=rotation, user=alice, start=now - datetime.timedelta(days=1))
    OverrideFactory(rotation=rotation, user=bob, start=now + 10 * MINUTE, reason="Dentist")
    deliver(now)
    messages = {m.to[0]: m for m in mail.outbox}
    message = messages["bob@example.com"]
    assert message.subject == "Reminder: you cover Payments on-call from Mon 3 Jun 2024, 10:10 BST"
    assert "- Reason: Dentist" in message.body
    # Alice's shift (2 Jun 09:00 UTC - 9 Jun 09:00 UTC) resumes when the 8-hour cover ends:
    # 3 Jun 17:10 UTC = 18:10 BST, eight hours ahead, so her day-ahead reminder is due now.
    resumes = messages["alice@example.com"]
    assert (
        resumes.subject == "Reminder: your Payments on-call shift resumes Mon 3 Jun 2024, 18:10 BST"
    )
    assert "- Ends: Sun 9 Jun 2024, 10:00 BST" in resumes.body
    assert "- Bob Stone: Mon 3 Jun 2024, 10:10 BST - Mon 3 Jun 2024, 18:10 BST" in resumes.body


def test_times_and_distances_read_naturally():
    instant = datetime.datetime(2024, 12, 24, 23, 30, tzinfo=datetime.UTC)
    from zoneinfo import ZoneInfo

    assert local(instant, ZoneInfo("Europe/Berlin")) == "Wed 25 Dec 2024, 00:30 CET"
    assert local(instant, ZoneInfo("America/Los_Angeles")) == "Tue 24 Dec 2024, 15:30 PST"
    assert in_words(datetime.timedelta(minutes=1)) == "in 1 minute"
    assert in_words(datetime.timedelta(minutes=90)) == "in 1 hour 30 min"
    assert in_words(datetime.timedelta(hours=24)) == "in 24 hours"
    assert in_words(datetime.timedelta(days=3, hours=2)) == "in 3 days 2 hours"
