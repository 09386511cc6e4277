"""/api/v1/escalation-policies/: escalation delays per support policy.

The organisation: Payments owns the Billing area, inside which Invoices belongs to Ledger
and Tax (named by a policy of its own) to Search; the "Billing" ownership policy names
Billing. Helpdesk is the dedicated support team of the "Helpdesk" policy, and Blue and Green
take turns in the "Rotating" policy's team rotation. So:

* Payments' and Ledger's managers set Billing's delays (their teams are paged under it);
  Search's are not (Tax follows its own policy);
* Helpdesk's manager sets Helpdesk's; Blue's sets Rotating's;
* the default row (no support policy) is staff's only.
"""

import datetime

import pytest

from incidents import services
from incidents.models import EscalationPolicy
from tests.ownership.factories import (
    ComponentFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)
from tests.rota.factories import SupportPolicyFactory, TeamRotationFactory

from .factories import EscalationPolicyFactory, IncidentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/escalation-policies/"


class Org:
    def __init__(self):
        self.teams = {
            name: TeamFactory(name=name, slug=name.lower())
            for name in ("Payments", "Ledger", "Search", "Helpdesk", "Blue", "Green")
        }
        self.managers = {
            name: MembershipFactory(team=team, role="manager").user
            for name, team in self.teams.items()
        }
        self.engineer = MembershipFactory(team=self.teams["Payments"]).user
        billing = ComponentFactory(slug="billing", kind="area", owner_team=self.teams["Payments"])
        ComponentFactory(slug="invoices", parent=billing, owner_team=self.teams["Ledger"])
        tax = ComponentFactory(slug="tax", parent=billing, owner_team=self.teams["Search"])
        self.billing = SupportPolicyFactory(name="Billing", components=[billing])
        SupportPolicyFactory(name="Tax", components=[tax])
        self.helpdesk = SupportPolicyFactory(
            name="Helpdesk", model="dedicated", dedicated_team=self.teams["Helpdesk"]
        )
        rotation = TeamRotationFactory(participants=[self.teams["Blue"], self.teams["Green"]])
        self.rotating = SupportPolicyFactory(
            name="Rotating", model="rotating", team_rotation=rotation
        )
        self.default = SupportPolicyFactory(name="Everything else")


@pytest.fixture
def org():
    return Org()


def test_everyone_signed_in_reads_the_policies_paginated(org, make_client, api_client):
    EscalationPolicyFactory(support_policy=None, secondary_delay_minutes=10, lead_delay_minutes=30)
    EscalationPolicyFactory(support_policy=org.helpdesk, primary_delay_minutes=2)
    assert api_client.get(URL).status_code == 401
    response = make_client(org.engineer).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None
    default, helpdesk = body["results"]
    assert default["support_policy"] is None and default["support_policy_name"] is None
    assert (default["secondary_delay_minutes"], default["lead_delay_minutes"]) == (10, 30)
    assert helpdesk["support_policy"] == org.helpdesk.pk
    assert helpdesk["support_policy_name"] == "Helpdesk"
    assert make_client(org.engineer).get(URL, {"default": "true"}).json()["count"] == 1


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_costs_the_same_queries_for_any_number_of_rows(
    org, user_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        EscalationPolicyFactory(support_policy=SupportPolicyFactory())
    with django_assert_num_queries(2):  # count, page with support policies
        response = user_client.get(URL)
    assert response.json()["count"] == rows


@pytest.mark.parametrize(
    ("team", "policy"),
    [
        ("Helpdesk", "helpdesk"),
        ("Payments", "billing"),
        ("Ledger", "billing"),
        ("Blue", "rotating"),
    ],
)
def test_managers_of_a_paged_team_set_its_delays(org, make_client, team, policy):
    support_policy = getattr(org, policy)
    response = make_client(org.managers[team]).post(
        URL,
        {
            "support_policy": support_policy.pk,
            "primary_delay_minutes": 0,
            "secondary_delay_minutes": 3,
            "lead_delay_minutes": 10,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["support_policy_name"] == support_policy.name
    row = EscalationPolicy.objects.get(support_policy=support_policy)
    assert (row.secondary_delay_minutes, row.lead_delay_minutes) == (3, 10)


@pytest.mark.parametrize(
    ("team", "policy"),
    [
        ("Search", "billing"),
        ("Payments", "helpdesk"),
        ("Green", "helpdesk"),
        ("Helpdesk", "default"),
    ],
)
def test_other_managers_may_not(org, make_client, team, policy):
    response = make_client(org.managers[team]).post(
        URL, {"support_policy": getattr(org, policy).pk, "lead_delay_minutes": 20}, format="json"
    )
    assert response.status_code == 403
    assert not EscalationPolicy.objects.exists()


def test_engineers_may_not_write(org, make_client):
    EscalationPolicyFactory(support_policy=org.billing)
    client = make_client(org.engineer)
    assert client.post(URL, {"support_policy": org.billing.pk}, format="json").status_code == 403
    row = EscalationPolicy.objects.get()
    assert (
        client.patch(f"{URL}{row.pk}/", {"lead_delay_minutes": 60}, format="json").status_code
        == 403
    )
    assert client.delete(f"{URL}{row.pk}/").status_code == 403
    assert EscalationPolicy.objects.get().lead_delay_minutes == 15


def test_the_default_row_is_staffs(org, make_client, staff_client):
    body = {"support_policy": None, "secondary_delay_minutes": 10, "lead_delay_minutes": 20}
    assert make_client(org.managers["Payments"]).post(URL, body, format="json").status_code == 403
    response = staff_client.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["support_policy"] is None
    again = staff_client.post(URL, body, format="json")
    assert again.status_code == 400
    assert again.json() == {"support_policy": ["There is already a default escalation policy."]}


def test_a_manager_changes_and_deletes_their_policys_delays(org, make_client):
    row = EscalationPolicyFactory(support_policy=org.helpdesk)
    client = make_client(org.managers["Helpdesk"])
    response = client.patch(f"{URL}{row.pk}/", {"lead_delay_minutes": 45}, format="json")
    assert response.status_code == 200
    assert EscalationPolicy.objects.get(pk=row.pk).lead_delay_minutes == 45
    assert client.delete(f"{URL}{row.pk}/").status_code == 204
    assert not EscalationPolicy.objects.exists()


def test_a_manager_cannot_move_delays_to_a_policy_that_pages_none_of_their_teams(org, make_client):
    row = EscalationPolicyFactory(support_policy=org.helpdesk)
    response = make_client(org.managers["Helpdesk"]).patch(
        f"{URL}{row.pk}/", {"support_policy": org.billing.pk}, format="json"
    )
    assert response.status_code == 403
    assert EscalationPolicy.objects.get(pk=row.pk).support_policy == org.helpdesk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"secondary_delay_minutes": 20, "lead_delay_minutes": 10}, "lead_delay_minutes"),
        ({"lead_delay_minutes": 24 * 60 + 1}, "lead_delay_minutes"),
        ({"primary_delay_minutes": -1}, "primary_delay_minutes"),
        ({"secondary_delay_minutes": "soon"}, "secondary_delay_minutes"),
        ({"support_policy": 999_999}, "support_policy"),
    ],
)
def test_bad_input_is_refused_naming_the_field(org, staff_client, body, field):
    response = staff_client.post(URL, {"support_policy": org.billing.pk, **body}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_one_row_per_support_policy(org, staff_client):
    EscalationPolicyFactory(support_policy=org.billing)
    response = staff_client.post(URL, {"support_policy": org.billing.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["support_policy"]


def test_an_incident_of_the_policy_escalates_with_the_new_delays(org, make_client):
    """Helpdesk's manager slows the secondary to 10 minutes and the lead to 30."""
    row = EscalationPolicyFactory(support_policy=org.helpdesk)
    make_client(org.managers["Helpdesk"]).patch(
        f"{URL}{row.pk}/",
        {"secondary_delay_minutes": 10, "lead_delay_minutes": 30},
        format="json",
    )
    # Someone at every step (a secondary and a lead), so each step keeps its own slot.
    MembershipFactory(team=org.teams["Helpdesk"], role="lead")
    incident = IncidentFactory(
        component=ComponentFactory(owner_team=org.teams["Helpdesk"]),
        support_policy=org.helpdesk,
        responding_team=org.teams["Helpdesk"],
        responder=UserFactory(),
        secondary_responder=UserFactory(),
    )
    delays = {s.step: s.delay for s in services.escalation_plan(incident=incident)}
    minute = datetime.timedelta(minutes=1)
    assert delays == {"primary": 0 * minute, "secondary": 10 * minute, "lead": 30 * minute}
