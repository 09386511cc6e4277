"""The status machine: forward only, each step timestamped, illegal moves refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.exceptions import IllegalTransition
from incidents.models import Incident

from .factories import IncidentFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
T0 = datetime.datetime(2030, 1, 7, 10, 0, tzinfo=UTC)


def later(n):
    return T0 + datetime.timedelta(minutes=n)


def test_each_transition_records_its_time_and_person(user, staff_user):
    incident = IncidentFactory(created_at=T0)

    services.incident_acknowledge(incident=incident, by=user, at=later(3))
    services.incident_mitigate(incident=incident, by=user, kind="rollback", at=later(20))
    services.incident_resolve(incident=incident, by=staff_user, at=later(45), note="Fixed.")

    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert (incident.acknowledged_at, incident.acknowledged_by) == (later(3), user)
    assert (incident.mitigated_at, incident.mitigated_by) == (later(20), user)
    assert incident.mitigation_kind == "rollback"
    assert (incident.resolved_at, incident.resolved_by) == (later(45), staff_user)
    assert list(incident.timeline.values_list("text", flat=True)) == [
        f"Acknowledged by {user.username}.",
        f"Mitigated by {user.username} (rollback).",
        f"Resolved by {staff_user.username}. Fixed.",
    ]


def test_mitigating_a_triggered_incident_also_acknowledges_it(user):
    incident = IncidentFactory()

    services.incident_mitigate(incident=incident, by=user, kind="restart", at=later(8))

    incident.refresh_from_db()
    assert (incident.status, incident.acknowledged_at, incident.acknowledged_by) == (
        "mitigated",
        later(8),
        user,
    )


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (
            "acknowledged",
            "acknowledge",
            'The incident "{title}" on {component} is already acknowledged.',
        ),
        (
            "resolved",
            "acknowledge",
            'The incident "{title}" on {component} is resolved; it cannot become acknowledged '
            "(statuses go triggered, acknowledged, mitigated, resolved).",
        ),
        (
            "mitigated",
            "acknowledge",
            'The incident "{title}" on {component} is mitigated; it cannot become acknowledged '
            "(statuses go triggered, acknowledged, mitigated, resolved).",
        ),
        ("mitigated", "mitigate", 'The incident "{title}" on {component} is already mitigated.'),
        ("resolved", "resolve", 'The incident "{title}" on {component} is already resolved.'),
        (
            "resolved",
            "mitigate",
            'The incident "{title}" on {component} is resolved; it cannot become mitigated '
            "(statuses go triggered, acknowledged, mitigated, resolved).",
        ),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(user, status, action, message):
    incident = IncidentFactory(status=status, resolved_at=T0 if status == "resolved" else None)
    service = {
        "acknowledge": services.incident_acknowledge,
        "mitigate": lambda **kw: services.incident_mitigate(kind="hotfix", **kw),
        "resolve": services.incident_resolve,
    }[action]

    with pytest.raises(IllegalTransition) as refused:
        service(incident=incident, by=user)

    # Named by title and component; nobody is recorded as having made the step (the factory
    # sets the status only), so no "by".
    assert str(refused.value) == message.format(
        title=incident.title, component=incident.component.name
    )
    incident.refresh_from_db()
    assert incident.status == status
    assert not incident.timeline.exists()


def test_mitigating_needs_a_known_kind(user):
    incident = IncidentFactory()

    with pytest.raises(ValidationError) as refused:
        services.incident_mitigate(incident=incident, by=user, kind="prayer")

    assert refused.value.message_dict == {
        "kind": ["Choose one of rollback, restart, config, hotfix."]
    }
    assert Incident.objects.get().status == "triggered"


def test_the_postmortem_is_done_only_after_resolution(user):
    incident = IncidentFactory()

    with pytest.raises(ValidationError):
        services.incident_update(incident=incident, by=user, postmortem_done=True)
    services.incident_resolve(incident=incident, by=user)
    services.incident_update(
        incident=incident,
        by=user,
        postmortem_done=True,
        postmortem_url="https://wiki.example.com/pm/1",
        logged_minutes=90,
    )

    incident.refresh_from_db()
    assert (incident.postmortem_done, incident.logged_minutes) == (True, 90)
    assert incident.timeline.last().text == (
        f"{user.username}: postmortem done; changed logged_minutes, postmortem_url."
    )


def test_a_severity_change_is_on_the_timeline(user):
    incident = IncidentFactory(severity="SEV3")

    services.incident_update(incident=incident, by=user, severity="SEV1")

    assert incident.timeline.get().text == f"{user.username}: severity SEV3 -> SEV1."


def test_a_note_is_added_and_an_empty_one_refused(user):
    incident = IncidentFactory()

    entry = services.incident_note(incident=incident, by=user, text="  Rolled back deploy 42. ")

    assert (entry.kind, entry.author, entry.text) == ("note", user, "Rolled back deploy 42.")
    with pytest.raises(ValidationError):
        services.incident_note(incident=incident, by=user, text="   ")
