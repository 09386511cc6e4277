"""Webhook addresses are checked when saved: a private address is refused on every path.

One validator (core.netsafety.validate_webhook_url) guards a person's chat webhook (API,
portal settings page, admin), a team's (API, admin, catalog import) and a team's buffer alert
webhook (API), so a private address is refused with the field named, rather than accepted
and failing only when a page is sent.
"""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from core.netsafety import validate_webhook_url
from notifications.models import NotificationPreference
from ownership.catalog import services as catalog_services
from ownership.catalog.report import CatalogImportError
from ownership.models import Team
from reports.models import TeamCapacity
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

PUBLIC = "93.184.216.34"  # a global address
PRIVATE_ADDRESSES = [
    ("http://10.0.0.5/hooks/x", "The host 10.0.0.5 is not a public address."),
    ("http://169.254.169.254/latest/meta-data/", "The host 169.254.169.254 is not a public"),
    ("http://127.0.0.1:8080/hook", "The host 127.0.0.1 is not a public address."),
    ("http://[::1]/hook", "The host ::1 is not a public address."),
    ("https://localhost/hook", "The host localhost is a name on a private network"),
    ("https://chat.internal/hook", "The host chat.internal is a name on a private network"),
    # A public-looking name that resolves to a private address (see the resolver below).
    ("https://hooks.corp.example/x", "The host hooks.corp.example is not a public address."),
    # Loopback written as inet_aton(3) reads it: one number, or shortened.
    ("http://2130706433/", "The host 2130706433 is 127.0.0.1, not a public address."),
    ("http://127.1/", "The host 127.1 is 127.0.0.1, not a public address."),
    ("http://0x7f.1/hook", "The host 0x7f.1 is 127.0.0.1, not a public address."),
]
MESSAGE_END = "Webhooks may only point at public addresses."


@pytest.fixture(autouse=True)
def resolver(monkeypatch, settings):
    """Resolve names without the network: corp.example is private, unknown.example fails."""
    # The test settings let the chat tests reach 127.0.0.1; this module checks the rule itself.
    settings.ROTA_OUTBOUND_ALLOWED_HOSTS = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host.endswith("corp.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port))]
        if host.endswith("unknown.example"):
            raise socket.gaierror(-2, "Name or service not known")
        if host.endswith(".example.com"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("core.netsafety.socket.getaddrinfo", fake)


@pytest.mark.parametrize(("address", "message"), PRIVATE_ADDRESSES)
def test_the_validator_refuses_private_addresses_saying_why(address, message):
    with pytest.raises(ValidationError) as raised:
        validate_webhook_url(address)
    (text,) = raised.value.messages
    assert text.startswith(message) and text.endswith(MESSAGE_END)
    assert raised.value.code == "private_address"


def test_a_single_label_host_is_refused_when_saved_and_when_sent():
    from core.netsafety import UnsafeURL, check_public_url, validate_webhook_address

    # A bare name is looked up in the server's own search domains: an internal machine. A URL
    # field refuses it as no URL (Django's validator wants a dot), the import too.
    with pytest.raises(ValidationError):
        validate_webhook_address("https://mattermost/hooks/x")
    with pytest.raises(UnsafeURL, match="mattermost is a name on a private network"):
        check_public_url("https://mattermost/hooks/x")


@pytest.mark.parametrize(
    "address",
    [
        "https://hooks.example.com/services/T0/B0/x",  # resolves to a public address
        f"https://{PUBLIC}/hook",
        # Unresolvable now: accepted (DNS may be down), checked again when a message is sent.
        "https://hooks.unknown.example/x",
        "",
    ],
)
def test_the_validator_accepts_public_and_unresolved_addresses(address):
    validate_webhook_url(address)


def test_the_allowed_hosts_setting_lets_a_private_host_through(settings):
    settings.ROTA_OUTBOUND_ALLOWED_HOSTS = ["chat.internal"]
    validate_webhook_url("https://chat.internal/hook")
    with pytest.raises(ValidationError):
        validate_webhook_url("https://other.internal/hook")


@pytest.mark.django_db
@pytest.mark.parametrize(("address", "message"), PRIVATE_ADDRESSES[:3])
def test_the_api_refuses_a_private_personal_webhook_naming_the_field(make_client, address, message):
    alice = UserFactory(username="alice")
    answer = make_client(alice).patch(
        "/api/v1/me/notification-preferences/",
        {"chat_webhook_url": address, "chat_enabled": True},
        format="json",
    )
    assert answer.status_code == 400
    (text,) = answer.json()["chat_webhook_url"]
    assert text.startswith(message)
    assert not NotificationPreference.objects.filter(user=alice).exclude(chat_webhook_url="")


@pytest.mark.django_db
def test_the_api_saves_a_public_personal_webhook(make_client):
    alice = UserFactory(username="alice")
    url = "https://hooks.example.com/services/T0/B0/x"
    answer = make_client(alice).patch(
        "/api/v1/me/notification-preferences/", {"chat_webhook_url": url}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert NotificationPreference.objects.get(user=alice).chat_webhook_url == url


@pytest.mark.django_db
def test_the_settings_page_refuses_a_private_personal_webhook():
    alice = UserFactory(username="alice")
    client = Client()
    client.force_login(alice)
    answer = client.post(
        "/me/notifications/",
        {
            "email_enabled": "on",
            "chat_enabled": "on",
            "chat_webhook_url": "http://10.0.0.5/hooks/x",
            "lead_times": "1d, 1h",
            "timezone": "",
        },
    )
    assert answer.status_code == 200
    assert "The host 10.0.0.5 is not a public address." in answer.content.decode()
    assert not NotificationPreference.objects.filter(user=alice).exclude(chat_webhook_url="")


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["http://2130706433/", "http://127.1/"])
def test_the_settings_page_gives_one_clear_message_for_a_shorthand_loopback(address):
    # Not "Enter a valid URL." and "Chat messages need a webhook URL." together: one message,
    # saying the address is private.
    alice = UserFactory(username="alice")
    client = Client()
    client.force_login(alice)
    answer = client.post(
        "/me/notifications/",
        {"chat_enabled": "on", "chat_webhook_url": address, "lead_times": "1d", "timezone": ""},
    )
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert list(errors) == ["chat_webhook_url"], errors
    (text,) = errors["chat_webhook_url"]
    assert "is 127.0.0.1, not a public address" in text and text.endswith(MESSAGE_END)


@pytest.mark.django_db
def test_the_admin_refuses_a_private_personal_webhook(admin_client):
    alice = UserFactory(username="alice")
    answer = admin_client.post(
        "/admin/notifications/notificationpreference/add/",
        {
            "user": alice.pk,
            "timezone": "",
            "email_enabled": "on",
            "chat_webhook_url": "http://169.254.169.254/latest/",
            "lead_times": "[60]",
            "quiet_hours_start": "",
            "quiet_hours_end": "",
        },
    )
    assert answer.status_code == 200
    assert "The host 169.254.169.254 is not a public address." in answer.content.decode()
    assert not NotificationPreference.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_a_teams_webhook_is_refused_in_the_api_and_the_admin(staff_client, admin_client):
    answer = staff_client.post(
        "/api/v1/teams/",
        {"slug": "a", "name": "A", "chat_webhook_url": "https://chat.internal/hook"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["chat_webhook_url"][0].startswith("The host chat.internal is a name")
    assert not Team.objects.filter(slug="a").exists()

    team = TeamFactory(slug="payments", timezone="UTC")
    form = {
        "name": team.name,
        "slug": team.slug,
        "kind": team.kind,
        "description": "",
        "timezone": "UTC",
        "email": "",
        "chat_channel": "",
        "chat_webhook_url": "http://10.0.0.5/hook",
        "triage_day": "",
        "triage_time": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    answer = admin_client.post(f"/admin/ownership/team/{team.pk}/change/", form)
    assert answer.status_code == 200
    assert "The host 10.0.0.5 is not a public address." in answer.content.decode()
    team.refresh_from_db()
    assert team.chat_webhook_url == ""


@pytest.mark.django_db
def test_a_buffer_alert_webhook_is_refused_in_the_api(make_client):
    team = TeamFactory(slug="payments")
    manager = MembershipFactory(team=team, role="manager").user
    answer = make_client(manager).patch(
        "/api/v1/teams/payments/capacity/",
        {"alert_webhook_url": "http://127.0.0.1:9/hook"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["alert_webhook_url"][0].startswith("The host 127.0.0.1 is not")
    assert not TeamCapacity.objects.exclude(alert_webhook_url="").exists()


@pytest.mark.django_db
def test_the_catalog_import_refuses_a_private_team_webhook():
    document = """
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations:
    rota.dev/chat-webhook: http://10.0.0.5/hook
spec:
  type: team
"""
    with pytest.raises(CatalogImportError) as raised:
        catalog_services.catalog_import(text=document)
    assert not Team.objects.filter(slug="payments").exists()
    assert any("10.0.0.5 is not a public address" in error for error in raised.value.errors)


@pytest.fixture
def admin_client(db, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345")
    client.force_login(admin)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["not a url", "ftp:/x", "http://"])
def test_text_that_is_no_url_is_told_so_once(staff_client, make_client, value):
    # The URL field and the webhook validator both check the syntax; the answer names the
    # problem once, whichever webhook field it is.
    from tests.ownership.factories import MembershipFactory

    alice = UserFactory(username="alice")
    team = TeamFactory(slug="payments")
    MembershipFactory(team=team, user=alice, role="manager")
    once = {"chat_webhook_url": ["Enter a valid URL."]}
    personal = make_client(alice).patch(
        "/api/v1/me/notification-preferences/", {"chat_webhook_url": value}, format="json"
    )
    assert (personal.status_code, personal.json()) == (400, once)
    teams = staff_client.patch(
        "/api/v1/teams/payments/", {"chat_webhook_url": value}, format="json"
    )
    assert (teams.status_code, teams.json()) == (400, once)
    capacity = make_client(alice).patch(
        "/api/v1/teams/payments/capacity/", {"alert_webhook_url": value}, format="json"
    )
    assert (capacity.status_code, capacity.json()) == (
        400,
        {"alert_webhook_url": once["chat_webhook_url"]},
    )


def test_the_catalog_import_still_refuses_text_that_is_no_url():
    from core.netsafety import validate_webhook_address

    with pytest.raises(ValidationError) as raised:
        validate_webhook_address("not a url")
    assert raised.value.messages == ["Enter a valid URL."]
    validate_webhook_address("")  # no address: nothing to check
