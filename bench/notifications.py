"""Notifications: scanning and delivering 10,000 due reminders, none twice and none lost."""

import datetime
import logging
import threading
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import services
from notifications.models import Delivery
from ownership import services as ownership_services
from rota.models import Rotation, Shift

from .harness import Bench, group

User = get_user_model()

REMINDERS = 10_000
PER_ROTATION = 10  # consecutive five-minute shifts, each for another person
SHIFT = datetime.timedelta(minutes=5)


def _people(count: int) -> list:
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(username=f"remind-{n:05d}", email=f"remind-{n:05d}@example.com", password=password)
            for n in range(count)
        ],
        batch_size=1000,
    )
    return list(User.objects.filter(username__startswith="remind-").order_by("username"))


def _rota(people: list, now: datetime.datetime) -> list[Shift]:
    """Give every person one shift starting within the next hour (their 1 h reminder is due)."""
    team = ownership_services.team_create(name="Bench reminders", slug="bench-reminders")
    rotations = Rotation.objects.bulk_create(
        [
            Rotation(name=f"Reminders {n}", team=team, start_date=now.date(), active=False)
            for n in range(len(people) // PER_ROTATION)
        ],
        batch_size=1000,
    )
    first = now.replace(second=0, microsecond=0) + SHIFT
    shifts = [
        Shift(
            rotation=rotation,
            start=first + k * SHIFT,
            end=first + (k + 1) * SHIFT,
            user=people[n * PER_ROTATION + k],
        )
        for n, rotation in enumerate(rotations)
        for k in range(PER_ROTATION)
    ]
    return Shift.objects.bulk_create(shifts, batch_size=1000)


def _together(count: int, work) -> tuple[float, list]:
    """Run ``work(i)`` in ``count`` threads started at once; return seconds and results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors = []

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # re-raised below, in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started, results


@group("notifications", "scan and deliver 10,000 due reminders: two scanners, two senders")
def bench_notifications(bench: Bench) -> None:
    # One log line per message sent is right for a worker, not for 10,000 in a benchmark.
    logging.getLogger("notifications").setLevel(logging.WARNING)
    now = timezone.now()
    started = time.perf_counter()
    people = _people(REMINDERS)
    shifts = _rota(people, now)
    bench.note(
        f"setup: {len(people):,} people with a shift starting within the hour, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    expected = {(shift.user.email, shift.start) for shift in shifts}

    # Two scanners at once, as two beat ticks or two scheduler processes would run them.
    def scan(_):
        enqueued = []
        result = services.notifications_scan(now=now, enqueue=enqueued.extend)
        return result, enqueued

    seconds, scans = _together(2, scan)
    enqueued = [pk for _, ids in scans for pk in ids]
    created = sum(result.created for result, _ in scans)
    bench.note(
        f"two scanners at once: {seconds:.2f} s, {created:,} deliveries created, "
        f"{len(enqueued):,} enqueued ({len(enqueued) - len(set(enqueued))} enqueued twice)"
    )
    again = time.perf_counter()
    repeat = services.notifications_scan(now=now, enqueue=enqueued.extend)
    bench.note(
        f"the same scan again: {time.perf_counter() - again:.2f} s, "
        f"{repeat.created} created, {repeat.enqueued} enqueued"
    )

    # Two senders handed every id, in opposite orders: as if the broker delivered each
    # message twice, to two workers at once. The claim lets one of them send.
    mail.outbox = []
    ids = sorted(set(enqueued))
    orders = [ids, ids[::-1]]

    def send(i):
        return Counter(services.delivery_send(delivery_id=pk, now=now).status for pk in orders[i])

    seconds, outcomes = _together(2, send)
    statuses = sum(outcomes, Counter())
    bench.note(
        f"two senders over every delivery: {seconds:.2f} s, "
        f"{statuses['sent'] / seconds:,.0f} sent/s; outcomes {dict(statuses)}"
    )

    def start_of(key: str) -> datetime.datetime:
        stamp = key.split("/")[3]  # reminder/shift-1/user-2/<start>/60m
        return datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)

    delivered = Counter(
        (message.to[0], start_of(message.extra_headers["X-Rota-Delivery"]))
        for message in mail.outbox
    )
    duplicates = sum(count - 1 for count in delivered.values())
    losses = len(expected - set(delivered))
    sent_rows = Delivery.objects.filter(status=Delivery.Status.SENT).count()
    bench.note(
        f"{REMINDERS:,} due reminders: {len(mail.outbox):,} e-mails, {sent_rows:,} rows sent, "
        f"duplicates {duplicates}, losses {losses}"
    )
    if duplicates or losses or sent_rows != REMINDERS:
        raise AssertionError(f"duplicates {duplicates}, losses {losses}, sent rows {sent_rows}")
