import datetime

import pytest

from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory

# A Monday morning in British summer time: 09:00 UTC is 10:00 in London.
NOW = datetime.datetime(2024, 6, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def sent():
    """Return a function that lists (recipient, subject) of the mail sent so far."""
    from django.core import mail

    def collect():
        return [(message.to[0], message.subject) for message in mail.outbox]

    return collect


@pytest.fixture
def team(db):
    return TeamFactory(name="Payments", slug="payments", timezone="Europe/London")


@pytest.fixture
def alice(team):
    user = UserFactory(username="alice", first_name="Alice", last_name="Martin")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def bob(team):
    user = UserFactory(username="bob", first_name="Bob", last_name="Stone")
    MembershipFactory(team=team, user=user)
    return user


@pytest.fixture
def rotation(team, alice, bob):
    return RotationFactory(name="Payments on-call", team=team, participants=[alice, bob])


@pytest.fixture
def chat_server():
    """Start a local chat service; call it with the statuses to answer (default: all 200)."""
    from .chat import ChatServer

    servers = []

    def start(*statuses):
        server = ChatServer(statuses).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def scan(django_capture_on_commit_callbacks):
    """Return a function that scans at an instant and returns the ids it enqueued."""
    from notifications import services

    def run(at):
        enqueued = []
        with django_capture_on_commit_callbacks(execute=True):
            services.notifications_scan(now=at, enqueue=enqueued.extend)
        return enqueued

    return run


@pytest.fixture
def deliver(scan):
    """Return a function that scans at an instant and sends what it enqueued, in process."""
    from notifications import services

    def run(at):
        results = []
        for delivery_id in scan(at):
            results.append(services.delivery_send(delivery_id=delivery_id, now=at))
        return results

    return run
