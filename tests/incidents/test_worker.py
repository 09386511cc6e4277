"""Integration: escalation pages sent by a real Celery worker on a real Redis broker.

Uses the notifications app's worker harness (tests/notifications/worker.py): a ``celery
worker`` process of its own, consuming a queue of this run's own, writing mail to a folder.
"""

import datetime
import uuid

import pytest
import redis
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.models import Page
from incidents.tasks import scan_escalations
from portal.celery import app
from rota.models import Rotation
from tests.notifications.worker import Worker, mail_in, wait_for
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    """A worker of this module's own, on a queue of its own."""
    workdir = tmp_path_factory.mktemp("incident-worker")
    queue = f"rota-test-incidents-{uuid.uuid4().hex[:10]}"
    mail_dir = workdir / "mail"
    mail_dir.mkdir()
    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    started = Worker(
        database=database, broker=redis_url, queue=queue, mail_dir=mail_dir, log_dir=workdir
    ).start()
    started.mail_dir = mail_dir
    yield started
    started.stop()
    redis.Redis.from_url(redis_url).delete(queue)


@pytest.fixture
def on_worker(worker, redis_url, settings):
    """Publish this process's tasks to the worker's queue on Redis for the test."""
    before = app.conf.broker_url

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = redis_url
    reset_pools()
    settings.NOTIFICATIONS_TASK_QUEUE = worker.queue
    settings.INCIDENTS_PAGE_QUEUE = worker.queue
    yield worker
    wait_for(
        lambda: not Page.objects.filter(status="pending").exists(),
        timeout=20,
        what="pages to settle",
    )
    app.conf.broker_url = before
    reset_pools()


def mail(worker) -> list[tuple[str, str]]:
    return [(str(m["To"]), str(m["Subject"])) for m in mail_in(worker.mail_dir)]


def test_a_real_worker_pages_in_order_once_and_stops_on_acknowledge(on_worker):
    now = timezone.now()
    team = TeamFactory(slug="payments")
    for username, role in (("alice", Rotation.Role.PRIMARY), ("bob", Rotation.Role.SECONDARY)):
        rotation = RotationFactory(team=team, role=role, timezone="UTC")
        ShiftFactory(
            rotation=rotation,
            user=UserFactory(username=username),
            start=now - datetime.timedelta(days=1),
        )
    component = ComponentFactory(slug="checkout", owner_team=team)

    # Six minutes old: the secondary is due. Twenty minutes old but acknowledged: nothing is.
    due = services.incident_create(
        title="Checkout down", component=component, severity="SEV1", at=now - 6 * MINUTE
    )
    wait_for(lambda: len(mail_in(on_worker.mail_dir)) == 1, timeout=20, what="the first page")
    quiet = services.incident_create(
        title="Checkout slow", component=component, severity="SEV2", at=now - 20 * MINUTE
    )
    wait_for(lambda: len(mail_in(on_worker.mail_dir)) == 2, timeout=20, what="the second page")
    services.incident_acknowledge(incident=quiet, by=UserFactory(username="carol"))

    scans = [scan_escalations.apply_async(queue=on_worker.queue) for _ in range(2)]
    wait_for(
        lambda: all(f"[{scan.id}] succeeded" in on_worker.log() for scan in scans),
        timeout=20,
        what="both scans",
    )
    wait_for(lambda: len(mail_in(on_worker.mail_dir)) >= 3, timeout=20, what="the escalation")

    assert mail(on_worker) == [
        ("alice@example.com", f"[SEV1] Incident #{due.pk}: Checkout down"),
        ("alice@example.com", f"[SEV2] Incident #{quiet.pk}: Checkout slow"),
        ("bob@example.com", f"[SEV1] Incident #{due.pk}: Checkout down"),
    ]
    pages = sorted((p.incident_id, p.step, p.status) for p in Page.objects.all())
    assert pages == [
        (due.pk, "primary", "sent"),
        (due.pk, "secondary", "sent"),
        (quiet.pk, "primary", "sent"),
    ]
