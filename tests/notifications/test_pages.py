import datetime

import pytest

from notifications.models import NotificationPreference

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]

URL = "/me/notifications/"


def test_a_person_sets_their_preferences_on_the_portal(client, user):
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'value="1d, 1h"' in page.content.decode()

    response = client.post(
        URL,
        {
            "email_enabled": "on",
            "lead_times": "2d, 90m, 15",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "timezone": "Europe/Berlin",
            "chat_webhook_url": "",
        },
    )
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=user)
    assert saved.lead_times == [2880, 90, 15]
    assert (saved.quiet_hours_start, saved.quiet_hours_end) == (
        datetime.time(22),
        datetime.time(7),
    )
    assert "Europe/Berlin" in client.get(URL).content.decode()


def test_mistakes_are_shown_on_the_form(client, user):
    client.force_login(user)
    response = client.post(URL, {"lead_times": "soon", "chat_enabled": "on"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "is not a lead time" in text
    assert not NotificationPreference.objects.exists()


def test_the_page_needs_a_signed_in_person(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_portal_lets_a_person_switch_kinds_of_message_off(client, user):
    client.force_login(user)
    html = client.get(URL).content.decode()
    for name in ("capacity_alerts", "triage_agenda", "timebox_alerts"):
        assert f'name="{name}"' in html
    response = client.post(
        URL,
        {
            "email_enabled": "on",
            "lead_times": "1d, 1h",
            "timezone": "",
            "chat_webhook_url": "",
            "capacity_alerts": "on",
            "timebox_alerts": "on",
        },
    )
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=user)
    assert (saved.capacity_alerts, saved.triage_agenda, saved.timebox_alerts) == (
        True,
        False,
        True,
    )


def test_the_time_zone_help_speaks_to_the_person(client, user):
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert "empty: your team&#x27;s." in html or "empty: your team's." in html
    assert "the person&#x27;s team" not in html and "the person's team" not in html
