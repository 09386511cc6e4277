"""/api/v1/incidents/: the interface fields, filters, actions and who may use them."""

import datetime

import pytest

from incidents.models import Incident
from tests.ownership.factories import (
    ComponentFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    rota_admin,
)

from .factories import IncidentFactory, TimelineEntryFactory
from .helpers import on_call_now

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
UTC = datetime.UTC
T0 = datetime.datetime(2030, 1, 7, 9, tzinfo=UTC)


@pytest.fixture
def payments():
    return TeamFactory(slug="payments")


@pytest.fixture
def incident(payments):
    component = ComponentFactory(slug="checkout", owner_team=payments)
    return IncidentFactory(
        component=component, responder=UserFactory(username="alice"), created_at=T0
    )


def test_incident_fields_follow_the_interface(user_client, incident):
    body = user_client.get(f"{URL}{incident.pk}/").json()

    assert body["id"] == incident.pk
    assert body["title"] == incident.title
    assert (body["severity"], body["status"], body["urgency"]) == (
        "SEV2",
        "triggered",
        "interrupting",
    )
    assert body["component"] == "checkout"
    assert (body["responding_team"], body["owning_team"], body["responder"]) == (
        "payments",
        "payments",
        "alice",
    )
    assert body["created_at"] == "2030-01-07T09:00:00Z"
    for name in ("acknowledged_at", "mitigated_at", "resolved_at"):
        assert body[name] is None
    assert body["timeline"] == []


def test_anonymous_callers_get_401(api_client, incident):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(f"{URL}{incident.pk}/acknowledge/").status_code == 401


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_does_not_grow_with_rows(user_client, django_assert_num_queries, rows):
    for _ in range(rows):
        incident = IncidentFactory()
        TimelineEntryFactory(incident=incident)
    with django_assert_num_queries(3):  # count, page with component, teams and people, fallback
        response = user_client.get(f"{URL}?page_size=100")
    assert response.json()["count"] == rows


@pytest.mark.parametrize("entries", [1, 30])
def test_detail_query_count_does_not_grow_with_the_timeline(
    user_client, django_assert_num_queries, entries
):
    incident = IncidentFactory()
    for _ in range(entries):
        TimelineEntryFactory(incident=incident, author=UserFactory())
    with django_assert_num_queries(3):  # incident with relations, fallback, timeline
        response = user_client.get(f"{URL}{incident.pk}/")
    assert len(response.json()["timeline"]) == entries


def test_list_filters(user_client, payments):
    web = TeamFactory(slug="web")
    mine = ComponentFactory(slug="checkout", owner_team=payments)
    theirs = ComponentFactory(slug="site", owner_team=web)
    old = IncidentFactory(component=mine, severity="SEV1", created_at=T0)
    new = IncidentFactory(
        component=mine,
        status="resolved",
        resolved_at=T0 + datetime.timedelta(days=2),
        created_at=T0 + datetime.timedelta(days=1),
    )
    other = IncidentFactory(component=theirs, severity="SEV3", created_at=T0)
    handed = IncidentFactory(component=theirs, responding_team=payments, created_at=T0)

    def ids(query):
        return sorted(row["id"] for row in user_client.get(URL, query).json()["results"])

    assert ids({"status": "resolved"}) == [new.pk]
    assert ids({"status": ["triggered", "resolved"]}) == sorted(
        [old.pk, new.pk, other.pk, handed.pk]
    )
    assert ids({"open": "true"}) == sorted([old.pk, other.pk, handed.pk])
    assert ids({"severity": "SEV1"}) == [old.pk]
    assert ids({"team": "payments"}) == sorted([old.pk, new.pk, handed.pk])
    assert ids({"responding_team": "web"}) == [other.pk]
    assert ids({"owning_team": "web"}) == sorted([other.pk, handed.pk])
    assert ids({"component": "site"}) == sorted([other.pk, handed.pk])
    assert ids({"created_after": "2030-01-07T12:00:00Z"}) == [new.pk]
    assert ids({"created_before": "2030-01-07T12:00:00Z", "component": "checkout"}) == [old.pk]


def test_a_bad_filter_is_a_400_naming_it(user_client):
    response = user_client.get(URL, {"severity": "SEV9"})
    assert response.status_code == 400
    assert "severity" in response.json()


def test_anyone_signed_in_opens_an_incident_routed_to_the_team_on_call(user_client, payments):
    ComponentFactory(slug="checkout", owner_team=payments)
    on_call_now(payments, "alice")

    response = user_client.post(
        URL, {"title": "Checkout is slow", "component": "checkout", "severity": "SEV2"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["responding_team"], body["responder"]) == (
        "triggered",
        "payments",
        "alice",
    )
    assert body["urgency"] == "interrupting"
    assert Incident.objects.get().created_by.username == body["created_by"]


def test_opening_an_incident_validates_its_fields(user_client):
    response = user_client.post(URL, {"title": "", "component": "nope", "severity": "SEV7"})

    assert response.status_code == 400
    assert set(response.json()) == {"title", "component", "severity"}


def test_anyone_signed_in_acknowledges_and_adds_notes(user_client, user, incident):
    acknowledged = user_client.post(f"{URL}{incident.pk}/acknowledge/", {"note": "On it."})
    note = user_client.post(f"{URL}{incident.pk}/note/", {"text": "Looks like the DB."})

    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["acknowledged_by"] == user.username
    assert note.status_code == 201
    assert (note.json()["kind"], note.json()["author"]) == ("note", user.username)
    timeline = user_client.get(f"{URL}{incident.pk}/timeline/").json()["results"]
    assert [entry["text"] for entry in timeline] == [
        f"Acknowledged by {user.username}. On it.",
        "Looks like the DB.",
    ]


def test_acknowledging_twice_is_a_409_naming_the_incident_and_who_acknowledged(
    make_client, incident
):
    alice = UserFactory(username="alice.martin", first_name="Alice", last_name="Martin")
    make_client(alice).post(f"{URL}{incident.pk}/acknowledge/")

    response = make_client(UserFactory()).post(f"{URL}{incident.pk}/acknowledge/")

    # Named by its title and component, and by the person who acknowledged it first.
    assert response.status_code == 409
    component = incident.component.name
    assert response.json() == {
        "detail": f'The incident "{incident.title}" on {component} is already acknowledged '
        "by Alice Martin."
    }


def test_resolving_a_resolved_incident_is_a_409(make_client, incident, staff_user):
    client = make_client(staff_user)
    client.post(f"{URL}{incident.pk}/resolve/")

    response = client.post(f"{URL}{incident.pk}/mitigate/", {"kind": "rollback"})

    assert response.status_code == 409
    assert "is resolved; it cannot become mitigated" in response.json()["detail"]


def test_outsiders_may_not_mitigate_resolve_or_edit(user_client, incident):
    for path, data in (
        ("mitigate/", {"kind": "rollback"}),
        ("resolve/", {}),
    ):
        assert user_client.post(f"{URL}{incident.pk}/{path}", data).status_code == 403
    assert user_client.patch(f"{URL}{incident.pk}/", {"severity": "SEV1"}).status_code == 403
    incident.refresh_from_db()
    assert (incident.status, incident.severity) == ("triggered", "SEV2")


@pytest.mark.parametrize("who", ["responder", "team member", "owning team member", "staff"])
def test_responders_mitigate_and_resolve(make_client, incident, payments, who):
    if who == "responder":
        actor = incident.responder
    elif who == "team member":
        actor = MembershipFactory(team=payments).user
    elif who == "owning team member":
        sre = TeamFactory(slug="sre")
        Incident.objects.filter(pk=incident.pk).update(responding_team=sre)
        actor = MembershipFactory(team=payments).user
    else:
        actor = rota_admin()
    client = make_client(actor)

    mitigated = client.post(f"{URL}{incident.pk}/mitigate/", {"kind": "rollback"})
    resolved = client.post(f"{URL}{incident.pk}/resolve/", {"note": "Deploy reverted."})

    assert mitigated.status_code == 200, mitigated.content
    assert mitigated.json()["mitigation_kind"] == "rollback"
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"] == actor.username


def test_mitigating_without_a_kind_is_a_400(make_client, incident):
    response = make_client(incident.responder).post(f"{URL}{incident.pk}/mitigate/", {})

    assert response.status_code == 400
    assert "kind" in response.json()


def test_a_team_member_edits_links_but_not_the_component(make_client, incident, payments):
    client = make_client(MembershipFactory(team=payments).user)
    ComponentFactory(slug="elsewhere")

    edited = client.patch(f"{URL}{incident.pk}/", {"ticket_url": "https://jira.example.com/OPS-1"})
    moved = client.patch(f"{URL}{incident.pk}/", {"component": "elsewhere"})

    assert edited.status_code == 200
    assert edited.json()["ticket_url"] == "https://jira.example.com/OPS-1"
    assert moved.status_code == 400
    assert moved.json() == {"component": ["The component is fixed when the incident is created."]}


def test_incidents_are_not_deleted_through_the_api(make_client, incident, staff_user):
    assert make_client(staff_user).delete(f"{URL}{incident.pk}/").status_code == 405


@pytest.mark.parametrize("entries", [1, 50])
def test_timeline_query_count_does_not_grow_with_entries(
    user_client, django_assert_num_queries, entries
):
    incident = IncidentFactory()
    for _ in range(entries):
        TimelineEntryFactory(incident=incident, author=UserFactory())
    with django_assert_num_queries(3):  # incident, count, page with authors
        response = user_client.get(f"{URL}{incident.pk}/timeline/?page_size=100")
    assert response.json()["count"] == entries


def test_an_unknown_mitigation_kind_is_a_400_naming_the_choices(make_client, incident):
    response = make_client(incident.responder).post(
        f"{URL}{incident.pk}/mitigate/", {"kind": "prayer"}
    )

    assert response.status_code == 400
    assert response.json() == {"kind": ["Choose one of rollback, restart, config, hotfix."]}


def test_routing_status_and_follow_up_are_not_set_when_opening(user_client):
    ComponentFactory(slug="checkout")

    response = user_client.post(
        URL,
        {
            "title": "x",
            "component": "checkout",
            "status": "resolved",
            "responder": "mallory",
            "postmortem_done": True,
            "logged_minutes": 5,
        },
    )

    assert response.status_code == 201
    incident = Incident.objects.get()
    assert (incident.status, incident.responder, incident.postmortem_done) == (
        "triggered",
        None,
        False,
    )
    assert incident.logged_minutes is None


def test_an_incident_can_be_opened_from_a_form_post(user_client):
    ComponentFactory(slug="checkout")

    response = user_client.post(
        URL, {"title": "Checkout down", "component": "checkout"}, format="multipart"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["component"], body["status"]) == (
        "Checkout down",
        "checkout",
        "triggered",
    )
    incident = Incident.objects.get(pk=body["id"])
    assert (incident.title, incident.component.slug) == ("Checkout down", "checkout")
