"""Escalation: primary, then secondary, then lead; stops on acknowledgement; never twice."""

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, connection, transaction

from incidents import services
from incidents.models import Incident, Page
from rota.models import Rotation
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory, ShiftFactory, SupportPolicyFactory

from .factories import EscalationPolicyFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
T0 = datetime.datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


def minutes(n):
    return T0 + datetime.timedelta(minutes=n)


def on_duty(team, username, role=Rotation.Role.PRIMARY):
    user = UserFactory(username=username)
    rotation = RotationFactory(team=team, role=role, timezone="UTC")
    ShiftFactory(rotation=rotation, user=user, start=T0 - datetime.timedelta(days=1))
    return user


@pytest.fixture
def team():
    payments = TeamFactory(slug="payments")
    on_duty(payments, "alice")
    on_duty(payments, "bob", Rotation.Role.SECONDARY)
    MembershipFactory(team=payments, role="lead", user=UserFactory(username="lena"))
    MembershipFactory(team=payments, role="manager", user=UserFactory(username="max"))
    return payments


@pytest.fixture
def component(team):
    return ComponentFactory(slug="checkout", owner_team=team)


@pytest.fixture
def scan(send_pages, django_capture_on_commit_callbacks):
    """Run the scanner at ``at`` and deliver what it pages, as the worker would."""

    def run(at):
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalation_scan(now=at)

    return run


@pytest.fixture
def open_incident(component, send_pages, django_capture_on_commit_callbacks):
    def make(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.incident_create(
                title="Checkout down", component=component, severity="SEV1", at=T0, **kwargs
            )

    return make


def paged():
    return [(p.user.username, p.step, p.status) for p in Page.objects.order_by("id")]


def test_pages_primary_then_secondary_then_lead(open_incident, scan):
    incident = open_incident()
    assert paged() == [("alice", "primary", "sent")]

    assert scan(minutes(4)) == 0
    assert scan(minutes(5)) == 1
    assert paged()[-1] == ("bob", "secondary", "sent")
    assert scan(minutes(14)) == 0
    assert scan(minutes(15)) == 1

    assert paged() == [
        ("alice", "primary", "sent"),
        ("bob", "secondary", "sent"),
        ("lena", "lead", "sent"),
    ]
    assert [m.to for m in mail.outbox] == [
        ["alice@example.com"],
        ["bob@example.com"],
        ["lena@example.com"],
    ]
    incident.refresh_from_db()
    assert (incident.escalation_level, incident.next_escalation_at) == (3, None)
    timeline = list(incident.timeline.values_list("kind", "text"))
    assert timeline == [
        ("status", timeline[0][1]),
        ("page", "Paged alice (primary) by E-mail."),
        ("escalation", "Not acknowledged after 5 min: escalating to the secondary."),
        ("page", "Paged bob (secondary) by E-mail."),
        ("escalation", "Not acknowledged after 15 min: escalating to the lead."),
        ("page", "Paged lena (lead) by E-mail."),
    ]


def test_repeated_and_late_scans_never_page_twice(open_incident, scan):
    open_incident()

    for at in (minutes(5), minutes(5), minutes(6), minutes(20), minutes(20), minutes(60)):
        scan(at)

    assert paged() == [
        ("alice", "primary", "sent"),
        ("bob", "secondary", "sent"),
        ("lena", "lead", "sent"),
    ]
    assert len(mail.outbox) == 3


def test_a_stale_copy_of_the_incident_cannot_page_a_step_again(open_incident, send_pages):
    """Two scanners holding the same state: the unique page key lets one page through."""
    incident = open_incident()
    first = Incident.objects.get(pk=incident.pk)
    second = Incident.objects.get(pk=incident.pk)

    services.escalation_advance(incident=first, now=minutes(5))
    services.escalation_advance(incident=second, now=minutes(5))

    assert Page.objects.filter(step="secondary").count() == 1
    assert incident.timeline.filter(kind="page", text__contains="bob").count() == 1
    assert incident.timeline.filter(kind="escalation").count() == 1


def test_the_unique_key_refuses_a_second_page_for_the_same_step(open_incident):
    open_incident()
    page = Page.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Page.objects.create(
            incident=page.incident, step=page.step, user=page.user, channel=page.channel,
            key=page.key,
        )  # fmt: skip


def test_acknowledging_stops_the_escalation(open_incident, scan, user):
    incident = open_incident()
    scan(minutes(5))

    services.incident_acknowledge(incident=incident, by=user, at=minutes(7))
    scan(minutes(15))
    scan(minutes(60))

    assert [name for name, *_ in paged()] == ["alice", "bob"]
    incident.refresh_from_db()
    assert incident.next_escalation_at is None


def test_a_page_not_yet_sent_is_cancelled_by_acknowledgement(component, user):
    # No worker runs: the page waits in the queue while someone acknowledges.
    incident = services.incident_create(title="x", component=component, severity="SEV1", at=T0)
    page = Page.objects.get()

    services.incident_acknowledge(incident=incident, by=user)

    page.refresh_from_db()
    assert page.status == "cancelled"
    assert services.page_deliver(page_id=page.pk) == "cancelled"
    assert mail.outbox == []


def test_without_a_lead_the_managers_are_paged(component, team, open_incident, scan):
    team.memberships.filter(role="lead").delete()
    open_incident()

    scan(minutes(15))

    assert paged()[-1] == ("max", "manager", "sent")


def test_nobody_on_call_as_secondary_hands_its_slot_to_the_lead(component, open_incident, scan):
    # Without a secondary the path is alice (primary, 0 min), lena (lead): lena takes the
    # secondary's slot at 5 minutes instead of waiting for the lead's 15.
    Rotation.objects.filter(role="secondary").delete()
    incident = open_incident()

    scan(minutes(5))

    assert [(name, step) for name, step, _ in paged()] == [("alice", "primary"), ("lena", "lead")]
    assert not incident.timeline.filter(text__startswith="Nobody to page").exists()


def test_delays_come_from_the_escalation_policy_of_the_support_policy(
    component, open_incident, scan
):
    policy = SupportPolicyFactory(components=[component])
    EscalationPolicyFactory(support_policy=policy, secondary_delay_minutes=2, lead_delay_minutes=4)
    EscalationPolicyFactory(secondary_delay_minutes=30, lead_delay_minutes=60)  # the default
    open_incident()

    scan(minutes(2))
    scan(minutes(4))

    assert [step for _, step, _ in paged()] == ["primary", "secondary", "lead"]


def test_the_default_escalation_policy_applies_without_a_specific_one(open_incident, scan):
    EscalationPolicyFactory(secondary_delay_minutes=30, lead_delay_minutes=60)
    open_incident()

    scan(minutes(29))
    assert len(paged()) == 1
    scan(minutes(30))
    assert len(paged()) == 2


def test_the_first_line_is_paged_first_and_the_primary_after_its_head_start(
    component, open_incident, scan
):
    ops = TeamFactory(slug="ops")
    olga = on_duty(ops, "olga")
    policy = SupportPolicyFactory(first_line_rotation=olga.shifts.get().rotation)
    EscalationPolicyFactory(support_policy=policy, primary_delay_minutes=3)
    open_incident()
    assert paged() == [("olga", "first_line", "sent")]

    scan(minutes(3))

    assert [name for name, *_ in paged()] == ["olga", "alice"]


def test_a_backlog_incident_tells_the_primary_once_and_does_not_escalate(open_incident, scan):
    open_incident(urgency="backlog")

    scan(minutes(60))

    assert paged() == [("alice", "primary", "sent")]


def test_a_failed_page_is_recorded_on_the_page_and_the_timeline(open_incident, scan):
    get_user_model().objects.filter(username="bob").update(email="")
    incident = open_incident()

    scan(minutes(5))

    page = Page.objects.get(step="secondary")
    assert (page.status, page.error) == ("failed", "bob has no E-mail address.")
    assert incident.timeline.filter(text="Page to bob failed: bob has no E-mail address.").exists()


@pytest.mark.django_db(transaction=True)
def test_two_scanners_at_once_page_each_step_once(open_incident, send_pages):
    open_incident()
    barrier = threading.Barrier(4)
    errors = []

    def scanner():
        try:
            barrier.wait()
            services.escalation_scan(now=minutes(20))
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scanner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(step for _, step, _ in paged()) == ["lead", "primary", "secondary"]


def test_the_scanner_is_on_celery_beats_schedule_every_minute():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="incidents.scan_escalations")

    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "minutes")
