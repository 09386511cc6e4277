import pytest

from notifications.models import NotificationPreference
from tests.ownership.factories import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]

URL = "/api/v1/me/notification-preferences/"


def test_a_person_without_preferences_reads_the_defaults(
    user_client, user, django_assert_max_num_queries
):
    MembershipFactory(user=user, team=TeamFactory(timezone="Europe/Paris"))
    with django_assert_max_num_queries(5):
        response = user_client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "email": user.email,
        "email_enabled": True,
        "chat_enabled": False,
        "chat_webhook_url": "",
        "lead_times": [1440, 60],
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "timezone": "",
        "effective_timezone": "Europe/Paris",
        "capacity_alerts": True,
        "triage_agenda": True,
        "timebox_alerts": True,
        "feed_busy": False,
    }
    assert not NotificationPreference.objects.exists()


def test_a_person_changes_some_preferences(user_client, user):
    response = user_client.patch(
        URL,
        {"lead_times": [15, 2880], "quiet_hours_start": "22:00", "quiet_hours_end": "07:30"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["lead_times"] == [2880, 15]
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("22:00", "07:30")
    saved = NotificationPreference.objects.get(user=user)
    assert saved.lead_times == [2880, 15]
    assert user_client.get(URL).json()["lead_times"] == [2880, 15]


def test_put_replaces_the_preferences(user_client, user):
    response = user_client.put(
        URL,
        {
            "email_enabled": False,
            "chat_enabled": True,
            "chat_webhook_url": "https://chat.example.com/hooks/me",
            "lead_times": [30],
            "timezone": "America/New_York",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    saved = NotificationPreference.objects.get(user=user)
    assert (saved.email_enabled, saved.chat_enabled, saved.lead_times, saved.timezone) == (
        False,
        True,
        [30],
        "America/New_York",
    )
    assert response.json()["effective_timezone"] == "America/New_York"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lead_times": []}, "lead_times"),
        ({"lead_times": [0]}, "lead_times"),
        ({"lead_times": [60, 60]}, "lead_times"),
        ({"lead_times": [99999999]}, "lead_times"),
        ({"lead_times": "soon"}, "lead_times"),
        ({"chat_enabled": True}, "chat_webhook_url"),
        ({"chat_webhook_url": "ftp://chat.example.com"}, "chat_webhook_url"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "25:00"}, "quiet_hours_start"),
    ],
)
def test_bad_preferences_are_refused_field_by_field(user_client, body, field):
    response = user_client.patch(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not NotificationPreference.objects.exists()


def test_only_signed_in_people_have_preferences(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.patch(URL, {"lead_times": [5]}, format="json").status_code == 401


def test_the_schema_documents_the_preferences_without_warnings(tmp_path, settings):
    import yaml
    from django.core.management import call_command

    settings.ROOT_URLCONF = "tests.notifications.urls"
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert set(schema["paths"][URL]) == {"get", "put", "patch"}
    fields = schema["components"]["schemas"]["NotificationPreference"]["properties"]
    assert {"lead_times", "quiet_hours_start", "chat_webhook_url"} <= set(fields)


def test_the_api_root_still_answers_with_the_preferences_registered(user_client):
    assert user_client.get("/api/v1/").status_code == 200


def test_a_person_switches_kinds_of_message_off_and_on(user_client, user):
    response = user_client.patch(
        URL, {"capacity_alerts": False, "triage_agenda": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["capacity_alerts"], body["triage_agenda"], body["timebox_alerts"]) == (
        False,
        False,
        True,
    )
    saved = NotificationPreference.objects.get(user=user)
    assert (saved.capacity_alerts, saved.triage_agenda, saved.timebox_alerts) == (
        False,
        False,
        True,
    )
    assert user_client.patch(URL, {"triage_agenda": True}, format="json").json()["triage_agenda"]
    bad = user_client.patch(URL, {"timebox_alerts": "maybe"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["timebox_alerts"]
