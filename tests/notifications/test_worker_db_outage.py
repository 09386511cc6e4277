"""Integration: the database goes away while a real worker is sending (PostgreSQL only).

The worker reaches PostgreSQL through a TCP proxy of the test's own; cutting the proxy plays
the outage without touching the shared server.
"""

import contextlib
import datetime
import socket
import threading
import time
import uuid

import pytest
import redis
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.models import Delivery
from portal.celery import app
from tests.rota.factories import ShiftFactory

from .worker import Worker, mail_in, wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

MINUTE = datetime.timedelta(minutes=1)


def _shutdown(sock):
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)


class Proxy:
    """Forward 127.0.0.1:<port> to the database; ``cut`` drops and refuses connections."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.up = threading.Event()
        self.up.set()
        self.pairs = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()  # the server is "down": refused at once
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            _shutdown(end)

    def cut(self):
        self.up.clear()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for end in pair:
                _shutdown(end)

    def restore(self):
        self.up.set()

    def close(self):
        self.cut()
        self.listener.close()


@pytest.fixture
def proxy():
    assert connection.vendor == "postgresql", "a PostgreSQL outage needs DATABASE_URL=postgres://"
    settings = connection.settings_dict
    started = Proxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    yield started
    started.close()


def test_a_send_whose_outcome_meets_a_database_outage_is_recorded_after_it_and_sent_once(
    proxy, redis_url, tmp_path, rotation, alice, settings
):
    queue = f"rota-test-outage-{uuid.uuid4().hex[:10]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker = Worker(
        database=connection.settings_dict["NAME"],
        broker=redis_url,
        queue=queue,
        mail_dir=mail_dir,
        log_dir=tmp_path,
        send_delay=3,  # seconds between claiming and sending: the outage starts then
        database_port=proxy.port,
    ).start()
    before = app.conf.broker_url
    app.conf.broker_url = redis_url
    app._pool = app.amqp._producer_pool = None
    settings.NOTIFICATIONS_TASK_QUEUE = queue
    try:
        ShiftFactory(rotation=rotation, user=alice, start=timezone.now() + 30 * MINUTE)
        services.notifications_scan()
        wait_for(
            lambda: Delivery.objects.filter(status="sending").exists(),
            timeout=20,
            what="the worker to claim the delivery",
        )
        time.sleep(1)  # composed by now, and in the 3-second wait before sending
        proxy.cut()
        cut_at = time.monotonic()
        # The message goes out; recording it fails, and goes on failing while it is down.
        wait_for(lambda: mail_in(mail_dir), timeout=20, what="the e-mail")
        wait_for(
            lambda: "Task notifications.record_sent[" in worker.log(),
            timeout=20,
            what="the record task",
        )
        # The database stays away for 30 seconds in all, as a restart or fail-over does.
        time.sleep(max(0.0, 30 - (time.monotonic() - cut_at)))
        assert Delivery.objects.get().status == "sending"
        proxy.restore()
        restored_at = time.monotonic()
        wait_for(
            lambda: Delivery.objects.filter(status="sent").exists(),
            timeout=60,  # the record task's backoff: 1, 2, 4 ... s with jitter, at most 60 s
            what="the send to be recorded within a minute of the database's return",
        )
        assert time.monotonic() - restored_at <= 60
        row = Delivery.objects.get()
        assert (row.attempts, row.claim, row.sent_at is not None) == (1, None, True)
        assert len(mail_in(mail_dir)) == 1
        log = worker.log()
        assert "but not recorded; recording it later" in log
        assert "OperationalError" in log and "retry" in log  # retried, not lost
    finally:
        app.conf.broker_url = before
        app._pool = app.amqp._producer_pool = None
        worker.stop()
        redis.Redis.from_url(redis_url).delete(queue)
