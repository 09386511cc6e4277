"""Integration: pages and sends on queues and workers of their own, on a real Redis broker.

Two workers, as in production (see the Procfile): one consuming this run's sends queue, one
its pages queue. A chat receiver that answers and then drips its body a byte a second
must neither hold a page back nor hold a send beyond the webhook deadline; a broker that is
down when an incident is stored must not lose the page.
"""

import datetime
import time
import uuid

import pytest
import redis
from django.db import connection
from django.utils import timezone

from incidents.models import Incident, Page
from incidents.tasks import scan_escalations
from notifications import services
from notifications.models import Delivery
from portal.celery import app
from tests.ownership.factories import ComponentFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory

from .chat import DrippingServer
from .factories import NotificationPreferenceFactory
from .worker import Worker, mail_in, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

MINUTE = datetime.timedelta(minutes=1)
WEBHOOK_DEADLINE = 4  # seconds, in the sends worker
REQUEUE_AFTER = 3  # seconds, in the pages worker (60 in real use)


@pytest.fixture(scope="module")
def workers(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    """A sends worker and a pages worker, each on a queue of this run's own."""
    workdir = tmp_path_factory.mktemp("queues")
    run = uuid.uuid4().hex[:10]
    sends, pages = f"rota-test-sends-{run}", f"rota-test-pages-{run}"
    mail_dir = workdir / "mail"
    mail_dir.mkdir()
    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    common = {"database": database, "broker": redis_url, "mail_dir": mail_dir, "log_dir": workdir}
    started = {
        "sends": Worker(queue=sends, page_queue=pages, webhook_timeout=WEBHOOK_DEADLINE, **common),
        "pages": Worker(queue=pages, page_queue=pages, page_requeue_after=REQUEUE_AFTER, **common),
    }
    try:
        for worker in started.values():
            worker.start()
            worker.mail_dir = mail_dir
        yield started
    finally:
        for worker in started.values():
            worker.stop()
        redis.Redis.from_url(redis_url).delete(sends, pages)


@pytest.fixture
def broker(settings, redis_url, workers):
    """Point this process's Celery app at a broker URL (Redis by default) and the queues."""
    before = app.conf.broker_url

    def point(url=redis_url):
        app.conf.broker_url = url
        # Kombu keeps its pools by broker URL; forget the app's, and it finds the right one.
        app._pool = None
        app.amqp._producer_pool = None

    settings.NOTIFICATIONS_TASK_QUEUE = workers["sends"].queue
    settings.INCIDENTS_PAGE_QUEUE = workers["pages"].queue
    for path in workers["pages"].mail_dir.iterdir():
        path.unlink()
    point()
    yield point
    point(before)


def mail_of(workers):
    """Return the worker's mail folder (both workers write to the same one)."""
    return workers["pages"].mail_dir


def _carol_on_call(team):
    """Put carol on call for the team now and return the component it owns."""
    now = timezone.now()
    ShiftFactory(
        rotation=RotationFactory(team=team, timezone="UTC"),
        user=UserFactory(username="carol"),
        start=now - datetime.timedelta(days=1),
        end=now + datetime.timedelta(days=1),
    )
    return ComponentFactory(slug="checkout", owner_team=team)


def test_a_dripping_chat_receiver_neither_delays_a_page_nor_outlives_its_deadline(
    workers, broker, rotation, alice, bob, staff_client
):
    with DrippingServer() as drip:
        # Alice's and Bob's reminders go to the dripping receiver and fill both slots of the
        # sends worker: without a total deadline each would hold its slot for 10 minutes.
        # Two turns one after the other (one rotation holds no overlapping shifts), both
        # starting within the hour, so both one-hour reminders are due now.
        for offset, user in ((20, alice), (40, bob)):
            NotificationPreferenceFactory(
                user=user, email_enabled=False, chat_enabled=True, chat_webhook_url=drip.url
            )
            start = timezone.now() + offset * MINUTE
            ShiftFactory(rotation=rotation, user=user, start=start, end=start + 20 * MINUTE)
        component = _carol_on_call(rotation.team)
        services.notifications_scan()
        wait_for(lambda: len(drip.received) == 2, timeout=20, what="both sends to start")
        started = time.monotonic()

        # Meanwhile an incident pages carol by e-mail, on the pages worker.
        answer = staff_client.post(
            "/api/v1/incidents/",
            {"title": "Checkout down", "component": component.slug, "severity": "SEV1"},
            format="json",
        )
        assert answer.status_code == 201, answer.content
        wait_for(lambda: Page.objects.filter(status="sent").exists(), timeout=10, what="the page")
        paged_after = time.monotonic() - started
        assert paged_after < WEBHOOK_DEADLINE  # the sends were still dripping
        [(to, subject)] = [(str(m["To"]), str(m["Subject"])) for m in mail_in(mail_of(workers))]
        assert to == "carol@example.com" and "Checkout down" in subject

        # The dripping sends are cut at the deadline and marked for a retry, not left hanging.
        wait_for(
            lambda: Delivery.objects.filter(last_error__contains="too slow").count() == 2,
            timeout=WEBHOOK_DEADLINE + 6,
            what="the dripping sends to be cut",
        )
        assert time.monotonic() - started < WEBHOOK_DEADLINE + 6
        for row in Delivery.objects.all():
            assert row.status in ("pending", "sending")  # retrying, never sent
            assert row.sent_at is None
            assert f"within {WEBHOOK_DEADLINE:g} s" in row.last_error
    # The receiver is gone: the retries fail fast; stop them for the next test.
    Delivery.objects.update(status="failed", claim=None)


def test_a_broker_down_at_creation_answers_201_and_the_page_goes_out_once_it_is_back(
    workers, broker, team, staff_client
):
    component = _carol_on_call(team)
    broker("redis://127.0.0.1:1/0")  # nothing listens there: every publish fails

    answer = staff_client.post(
        "/api/v1/incidents/",
        {"title": "Checkout down", "component": component.slug, "severity": "SEV1"},
        format="json",
    )

    assert answer.status_code == 201, answer.content
    incident = Incident.objects.get(pk=answer.json()["id"])
    page = Page.objects.get(incident=incident)
    assert page.status == "pending"

    # The broker is back. The next scans (beat runs one a minute; two here, as two beats
    # might) hand the stranded page over once it is older than the requeue window.
    broker()
    returned = time.monotonic()
    time.sleep(REQUEUE_AFTER + 0.5)
    scans = [scan_escalations.apply_async(queue=workers["pages"].queue) for _ in range(2)]
    wait_for(
        lambda: Page.objects.filter(pk=page.pk, status="sent").exists(),
        timeout=20,
        what="the stranded page to go out",
    )
    assert time.monotonic() - returned < 60
    wait_for(
        lambda: all(f"[{scan.id}] succeeded" in workers["pages"].log() for scan in scans),
        timeout=20,
        what="both scans",
    )
    mails = [(str(m["To"]), str(m["Subject"])) for m in mail_in(mail_of(workers))]
    assert mails == [("carol@example.com", f"[SEV1] Incident #{incident.pk}: Checkout down")]
