"""Integration: real Celery workers in their own processes, on a real Redis broker.

Each test run publishes to a queue of its own on Redis (``ROTA_TEST_REDIS_URL``, by default
database 11 on 127.0.0.1), so that runs side by side never take each other's messages. The
workers open the test database by name: a file on SQLite (see portal/settings/test.py), the
test database on PostgreSQL.
"""

import datetime
import threading
import uuid

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from notifications import services
from notifications.models import Delivery
from notifications.tasks import scan as scan_task
from portal.celery import app
from rota import services as rota_services
from tests.rota.factories import RotationFactory, ShiftFactory

from .factories import NotificationPreferenceFactory
from .worker import Worker, mail_in, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(scope="session")
def run_id():
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("celery")


def _queue_cleanup(url, *queues):
    client = redis.Redis.from_url(url)
    client.delete(*queues)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, redis_url, run_id, workdir):
    """A worker shared by the tests of this module, consuming this run's queue."""
    queue = f"rota-test-{run_id}"
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
    _queue_cleanup(redis_url, queue)


@pytest.fixture
def publish_to(settings, redis_url):
    """Point this process's Celery app at Redis and at a queue, for the test's duration."""
    before = app.conf.broker_url

    def reset_pools():
        # Kombu keeps its pools by broker URL; forget the app's, and it finds the right one.
        app._pool = None
        app.amqp._producer_pool = None

    def point(queue):
        app.conf.broker_url = redis_url
        reset_pools()
        settings.NOTIFICATIONS_TASK_QUEUE = queue

    yield point
    app.conf.broker_url = before
    reset_pools()


@pytest.fixture
def on_worker(worker, publish_to):
    """The shared worker, with this process publishing to it and its mail folder emptied."""
    for path in worker.mail_dir.iterdir():
        path.unlink()
    publish_to(worker.queue)
    worker.log_mark = len(worker.log())
    yield worker
    # Leave nothing in flight for the next test's empty database.
    wait_for(
        lambda: not Delivery.objects.filter(status__in=["pending", "sending"]).exists(),
        timeout=20,
        what="deliveries to settle",
    )


def received(worker, task: str) -> int:
    """Count the tasks of one name the worker received since the test began."""
    return worker.log()[worker.log_mark :].count(f"Task {task}[") - finished_count(worker, task)


def finished_count(worker, task: str) -> int:
    log = worker.log()[worker.log_mark :]
    return sum(
        1
        for line in log.splitlines()
        if f"Task {task}[" in line and ("] succeeded" in line or "] retry" in line)
    )


def finished(worker, task_id: str) -> bool:
    return f"[{task_id}] succeeded" in worker.log()


def mail_to(worker) -> list[tuple[str, str]]:
    return sorted((str(m["To"]), str(m["Subject"])) for m in mail_in(worker.mail_dir))


def sent_count(expected: int):
    return lambda: Delivery.objects.filter(status="sent").count() >= expected


@pytest.fixture
def people(team, alice, bob):
    return alice, bob


def test_a_due_reminder_is_delivered_once(on_worker, rotation, alice):
    ShiftFactory(rotation=rotation, user=alice, start=timezone.now() + 30 * MINUTE)
    first = scan_task.apply_async(queue=on_worker.queue)
    wait_for(sent_count(1), timeout=20, what="the reminder to be sent")
    wait_for(lambda: mail_in(on_worker.mail_dir), timeout=5, what="the mail file")
    assert finished(on_worker, first.id)

    second = scan_task.apply_async(queue=on_worker.queue)
    wait_for(lambda: finished(on_worker, second.id), timeout=20, what="the second scan")
    ((to, subject),) = mail_to(on_worker)
    assert to == "alice@example.com"
    assert subject.startswith("Reminder: your Payments on-call shift starts")
    assert Delivery.objects.get().status == "sent"
    assert received(on_worker, "notifications.send_delivery") == 1


def test_the_same_scan_twice_and_two_scanners_at_once_deliver_once(on_worker, rotation, people):
    alice, bob = people
    now = timezone.now()
    ShiftFactory(rotation=rotation, user=alice, start=now + 20 * MINUTE)
    ShiftFactory(rotation=RotationFactory(team=rotation.team), user=bob, start=now + 40 * MINUTE)

    barrier = threading.Barrier(2)
    errors = []

    def scanner():
        try:
            barrier.wait(timeout=10)
            services.notifications_scan(now=now)
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    services.notifications_scan(now=now)
    services.notifications_scan(now=now + MINUTE)
    wait_for(sent_count(2), timeout=20, what="both reminders to be sent")
    wait_for(lambda: len(mail_in(on_worker.mail_dir)) >= 2, timeout=5, what="two mail files")
    assert [to for to, _ in mail_to(on_worker)] == ["alice@example.com", "bob@example.com"]
    assert Delivery.objects.count() == 2
    assert received(on_worker, "notifications.send_delivery") == 2


def test_a_shift_reassigned_before_its_reminder_is_due_reminds_only_the_new_person(
    on_worker, rotation, people
):
    alice, bob = people
    for person in people:
        NotificationPreferenceFactory(user=person, lead_times=[60])
    # The reminder an hour ahead falls due three seconds from now.
    due = timezone.now() + datetime.timedelta(seconds=3)
    shift = ShiftFactory(rotation=rotation, user=alice, start=due + 60 * MINUTE)
    services.notifications_scan()
    assert not Delivery.objects.exists()  # not due yet

    rota_services.shift_reassign(shift=shift, user=bob)
    wait_for(lambda: timezone.now() >= due, timeout=5, what="the reminder to fall due")
    services.notifications_scan()
    wait_for(sent_count(1), timeout=20, what="the reminder to be sent")
    wait_for(lambda: mail_in(on_worker.mail_dir), timeout=5, what="the mail file")
    assert [to for to, _ in mail_to(on_worker)] == ["bob@example.com"]


def test_a_rolled_back_transaction_enqueues_nothing(on_worker, rotation, people):
    alice, bob = people
    now = timezone.now()
    with pytest.raises(RuntimeError), transaction.atomic():
        ShiftFactory(rotation=rotation, user=alice, start=now + 30 * MINUTE)
        created = services.notifications_scan(now=now).created
        assert created == 1
        raise RuntimeError("the request failed after the scan")
    assert not Delivery.objects.exists()

    # Something committed afterwards goes through, and is all the worker ever received.
    ShiftFactory(rotation=rotation, user=bob, start=now + 30 * MINUTE)
    services.notifications_scan(now=now)
    wait_for(sent_count(1), timeout=20, what="the committed reminder to be sent")
    wait_for(lambda: mail_in(on_worker.mail_dir), timeout=5, what="the mail file")
    assert [to for to, _ in mail_to(on_worker)] == ["bob@example.com"]
    assert received(on_worker, "notifications.send_delivery") == 1


def test_a_webhook_that_fails_twice_then_succeeds_gets_the_message_once(
    on_worker, rotation, alice, chat_server
):
    server = chat_server(500, 502)
    NotificationPreferenceFactory(
        user=alice, email_enabled=False, chat_enabled=True, chat_webhook_url=server.url
    )
    ShiftFactory(rotation=rotation, user=alice, start=timezone.now() + 30 * MINUTE)
    services.notifications_scan()
    wait_for(sent_count(1), timeout=30, what="the chat message to be sent")
    row = Delivery.objects.get()
    assert (row.channel, row.attempts) == ("chat", 3)
    assert [status for status, _, _ in server.received] == [500, 502, 200]
    (payload,) = server.delivered
    assert payload["text"].startswith("*Reminder: your Payments on-call shift starts")
    assert mail_in(on_worker.mail_dir) == []


def test_a_worker_killed_mid_delivery_leads_to_exactly_one_delivery(
    django_db_blocker, redis_url, run_id, workdir, publish_to, rotation, alice
):
    queue = f"rota-test-{run_id}-crash"
    mail_dir = workdir / "crash-mail"
    mail_dir.mkdir()
    database = connection.settings_dict["NAME"]
    common = {"database": database, "broker": redis_url, "queue": queue, "mail_dir": mail_dir}
    publish_to(queue)
    # The first worker is held up for a minute inside the send, after claiming the delivery.
    doomed = Worker(log_dir=workdir, send_delay=60, sending_timeout=3, **common).start()
    successor = None
    try:
        ShiftFactory(rotation=rotation, user=alice, start=timezone.now() + 30 * MINUTE)
        services.notifications_scan()
        wait_for(
            lambda: Delivery.objects.filter(status="sending").exists(),
            timeout=20,
            what="the first worker to claim the delivery",
        )
        doomed.kill()
        assert mail_in(mail_dir) == []
        assert Delivery.objects.get().status == "sending"

        # Redis hands the unacknowledged message out again; the claim has gone stale.
        successor = Worker(log_dir=workdir, sending_timeout=3, **common).start()
        wait_for(sent_count(1), timeout=45, what="the new worker to send the delivery")
        wait_for(lambda: mail_in(mail_dir), timeout=5, what="the mail file")
        row = Delivery.objects.get()
        assert (row.status, row.attempts) == ("sent", 2)
        assert [str(m["To"]) for m in mail_in(mail_dir)] == ["alice@example.com"]
    finally:
        if doomed.process.poll() is None:
            doomed.kill()
        if successor is not None:
            successor.stop()
        _queue_cleanup(redis_url, queue)
