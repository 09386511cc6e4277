import datetime

import pytest
from django.urls import reverse

from notifications.models import Delivery, NotificationPreference
from tests.rota.factories import ShiftFactory

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-12345")
    client.force_login(admin)
    return client


@pytest.fixture
def failed(rotation, alice, now, scan):
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)
    Delivery.objects.filter(pk=delivery_id).update(
        status="failed", attempts=5, last_error="SMTP server said no"
    )
    return Delivery.objects.get(pk=delivery_id)


def test_failed_deliveries_are_flagged_and_filterable(admin_client, failed):
    url = reverse("admin:notifications_delivery_changelist")
    page = admin_client.get(url, {"attention": "failed"}).content.decode()
    assert "⚠ failed" in page and "alice" in page
    assert "⚠ failed" not in admin_client.get(url, {"status": "sent"}).content.decode()
    detail = admin_client.get(reverse("admin:notifications_delivery_change", args=[failed.pk]))
    assert "SMTP server said no" in detail.content.decode()


def test_the_retry_action_queues_a_failed_delivery_again(
    admin_client, failed, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr("notifications.services.scan.enqueue_send", enqueued.extend)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:notifications_delivery_changelist"),
            {"action": "retry", "_selected_action": [failed.pk]},
            follow=True,
        )
    assert "1 delivery(ies) queued to be sent again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert enqueued == [failed.pk]


def test_rota_admins_edit_preferences_in_the_admin(admin_client, alice):
    url = reverse("admin:notifications_notificationpreference_add")
    response = admin_client.post(
        url,
        {
            "user": alice.pk,
            "timezone": "Europe/Madrid",
            "email_enabled": "on",
            "chat_webhook_url": "",
            "lead_times": "[120, 30]",
            "quiet_hours_start": "",
            "quiet_hours_end": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert NotificationPreference.objects.get(user=alice).lead_times == [120, 30]


def test_the_delivery_log_shows_occurrences_in_the_rotations_time(
    admin_client, rotation, alice, now, scan
):
    # The reminder of a shift starting at 09:30 UTC on Mon 3 Jun 2024 in a Kolkata rotation
    # is about 15:00 IST (UTC+05:30).
    rotation.timezone = "Asia/Kolkata"
    rotation.save()
    ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
    (delivery_id,) = scan(now)
    page = admin_client.get(reverse("admin:notifications_delivery_changelist")).content.decode()
    assert "Mon 03 Jun 2024 15:00 IST" in page
    detail = admin_client.get(reverse("admin:notifications_delivery_change", args=[delivery_id]))
    assert "Mon 03 Jun 2024 15:00 IST" in detail.content.decode()
