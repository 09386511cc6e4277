"""Every time a manager reads in the incidents, notifications, ownership and reports admin is
wall-clock time in a named zone, with the zone's abbreviation, and day filters count days there.

The zone is the responding team's for an incident (its timeline and pages too), the team's for
a bug or capacity row, the owning team's for integrations and refused payloads, the rotation's
for a delivery or change notice about one and the team's for a delivery to a team channel;
settings.TIME_ZONE (UTC here) when there is none.

Asia/Kolkata is UTC+05:30 all year: 18:45 UTC on Sun 6 Dec 2026 is 00:15 IST on Mon 7 Dec.
Europe/London is BST (UTC+1) until 01:00 UTC on Sun 25 Oct 2026 and GMT (UTC+0) after, so its
25 Oct runs 25 hours, from 24 Oct 23:00 UTC to 26 Oct 00:00 UTC.
"""

import datetime
import uuid

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from incidents.models import AlertState, Bug, InboxItem, Incident, Integration, Page
from notifications.models import ChangeNotice, Delivery
from ownership.models import Membership, OwnershipPeriod
from portal.demo.seed import MANAGED_APPS, managers_group_sync
from reports.models import TeamCapacity
from rota.admin_forms import LocalDateTimeField
from tests.incidents.factories import (
    BugFactory,
    IncidentFactory,
    IntegrationFactory,
    TimelineEntryFactory,
)
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import RotationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def kolkata():
    return TeamFactory(name="Bangalore SRE", slug="blr", timezone="Asia/Kolkata")


@pytest.fixture
def london():
    return TeamFactory(name="London SRE", slug="lon", timezone="Europe/London")


@pytest.fixture
def manager(client, kolkata, london):
    """A team manager (staff, managers' group, not superuser) of both teams."""
    user = UserFactory(username="maria", is_staff=True)
    user.groups.add(managers_group_sync())
    for team in (kolkata, london):
        MembershipFactory(team=team, user=user, role=Membership.Role.MANAGER)
    client.force_login(user)
    return client


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response


def listed(client, url, **params):
    return {obj.pk for obj in get(client, url, **params).context["cl"].result_list}


def incident_in(team, created, **times):
    incident = IncidentFactory(component=ComponentFactory(owner_team=team))
    Incident.objects.filter(pk=incident.pk).update(created_at=created, **times)
    return incident


def test_an_incident_reads_in_the_responding_teams_zone(manager, kolkata):
    incident = incident_in(
        kolkata,
        at(2026, 12, 6, 18, 45),
        acknowledged_at=at(2026, 12, 6, 19),
        mitigated_at=at(2026, 12, 6, 20),
        resolved_at=at(2026, 12, 7, 3, 30),
    )
    entry = TimelineEntryFactory(incident=incident, text="Rolled back")
    entry.at = at(2026, 12, 6, 18, 50)
    entry.save()
    Page.objects.create(
        incident=incident,
        step=Page.Step.PRIMARY,
        user=incident.responder,
        key="page-1",
        created_at=at(2026, 12, 6, 18, 46),
        sent_at=at(2026, 12, 6, 18, 47),
        status=Page.Status.SENT,
    )
    listing = get(manager, "/admin/incidents/incident/").content.decode()
    # created, acknowledged and resolved columns
    for expected in ("Mon 07 Dec 2026 00:15 IST", "00:30 IST", "Mon 07 Dec 2026 09:00 IST"):
        assert expected in listing
    page = get(manager, f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    for expected in (
        "Mon 07 Dec 2026 00:15 IST",  # created
        "Mon 07 Dec 2026 00:30 IST",  # acknowledged
        "Mon 07 Dec 2026 01:30 IST",  # mitigated
        "Mon 07 Dec 2026 09:00 IST",  # resolved
        "Mon 07 Dec 2026 00:20 IST",  # the timeline entry
        "Mon 07 Dec 2026 00:16 IST",  # the page was queued
        "Mon 07 Dec 2026 00:17 IST",  # and sent
        "2026-12-07 00:20 IST Note: Rolled back",  # the timeline row's name
    ):
        assert expected in page, expected
    for utc in ("18:45", "18:46", "18:47", "18:50", "19:00", "20:00", "03:30"):
        assert utc not in page, utc


def test_an_incident_without_a_team_reads_in_the_sites_zone_labelled(admin_client, settings):
    # An incident of no team is no manager's: a rota admin (here a superuser) reads it.
    incident = IncidentFactory(responding_team=None)
    Incident.objects.filter(pk=incident.pk).update(created_at=at(2026, 12, 6, 18, 45))
    url = f"/admin/incidents/incident/{incident.pk}/change/"
    assert "Sun 06 Dec 2026 18:45 UTC" in get(admin_client, url).content.decode()
    settings.TIME_ZONE = "Europe/London"  # GMT in December
    assert "Sun 06 Dec 2026 18:45 GMT" in get(admin_client, url).content.decode()


def test_the_incident_list_filters_by_the_responding_teams_day(manager, kolkata, london):
    # 7 Dec: 00:15 IST (18:45 UTC on 6 Dec) and 00:30 GMT (00:30 UTC) are on it, 23:30 GMT on
    # 6 Dec is not.
    blr = incident_in(kolkata, at(2026, 12, 6, 18, 45))
    lon_late = incident_in(london, at(2026, 12, 6, 23, 30))
    lon_early = incident_in(london, at(2026, 12, 7, 0, 30))
    url = "/admin/incidents/incident/"
    assert listed(manager, url, created_at_day="2026-12-07") == {blr.pk, lon_early.pk}
    assert listed(manager, url, created_at_day="2026-12-06") == {lon_late.pk}
    assert '<nav class="toplinks">' not in get(manager, url).content.decode()


def test_bugs_on_londons_25_hour_day(manager, london):
    component = ComponentFactory(owner_team=london)
    # 23:30 UTC on 24 Oct is 00:30 BST on 25 Oct; 23:30 UTC on 25 Oct is 23:30 GMT on 25 Oct.
    summer, winter = BugFactory(component=component), BugFactory(component=component)
    Bug.objects.filter(pk=summer.pk).update(
        created_at=at(2026, 10, 24, 23, 30),
        investigation_started_at=at(2026, 10, 24, 23, 30),
        timebox_ends_at=at(2026, 10, 27, 10),
    )
    Bug.objects.filter(pk=winter.pk).update(created_at=at(2026, 10, 25, 23, 30))
    url = "/admin/incidents/bug/"
    assert listed(manager, url, created_at_day="2026-10-25") == {summer.pk, winter.pk}
    assert listed(manager, url, created_at_day="2026-10-24") == set()
    listing = get(manager, url).content.decode()
    assert "Sun 25 Oct 2026 00:30 BST" in listing
    assert "Sun 25 Oct 2026 23:30 GMT" in listing
    page = get(manager, f"{url}{summer.pk}/change/").content.decode()
    assert "Sun 25 Oct 2026 00:30 BST" in page  # investigation started
    assert "Tue 27 Oct 2026 10:00 GMT" in page  # timebox ends


def test_integrations_and_refused_payloads_read_in_the_owning_teams_zone(manager, kolkata):
    integration = IntegrationFactory(component=ComponentFactory(owner_team=kolkata))
    Integration.objects.filter(pk=integration.pk).update(
        last_alert_at=at(2026, 12, 6, 18, 45), token_rotated_at=at(2026, 12, 7, 3, 30)
    )
    listing = get(manager, "/admin/incidents/integration/").content.decode()
    assert "Mon 07 Dec 2026 00:15 IST" in listing
    assert "Mon 07 Dec 2026 09:00 IST" in listing
    item = InboxItem.objects.create(
        integration=integration,
        received_at=at(2026, 12, 6, 18, 45),
        body=b"{}",
        reason=InboxItem.Reason.PAYLOAD,
        error="no alerts",
        status_code=400,
    )
    url = "/admin/incidents/inboxitem/"
    assert "Mon 07 Dec 2026 00:15 IST" in get(manager, url).content.decode()
    assert listed(manager, url, received_at_day="2026-12-07") == {item.pk}
    page = get(manager, f"{url}{item.pk}/change/").content.decode()
    assert "Mon 07 Dec 2026 00:15 IST" in page
    assert "2026-12-07 00:15:00 IST Bad payload" in page  # its name, in the title
    assert "18:45" not in page
    incident = incident_in(kolkata, at(2026, 12, 6, 18, 45))
    state = AlertState.objects.create(
        integration=integration,
        key="k",
        status=AlertState.Status.FIRING,
        starts_at=at(2026, 12, 6, 18, 40),
        incident=incident,
    )
    page = get(manager, f"/admin/incidents/alertstate/{state.pk}/change/").content.decode()
    assert "Mon 07 Dec 2026 00:10 IST" in page


def delivery(**fields):
    defaults = {
        "key": str(uuid.uuid4()),
        "channel": Delivery.Channel.CHAT,
        "kind": Delivery.Kind.CAPACITY,
        "not_before": at(2026, 12, 6, 18, 45),
        "occurs_at": at(2026, 12, 7, 3, 30),
        "batch": uuid.uuid4(),
    }
    row = Delivery.objects.create(**{**defaults, **fields})
    Delivery.objects.filter(pk=row.pk).update(created_at=at(2026, 12, 6, 18, 45))
    return row


def test_a_delivery_to_a_team_reads_in_the_teams_zone_else_the_sites(manager, kolkata):
    to_team = delivery(team=kolkata, sent_at=at(2026, 12, 6, 19))
    # To a member of her team (so hers to see), about no team or rotation.
    to_person = delivery(user=MembershipFactory(team=kolkata).user, channel=Delivery.Channel.EMAIL)
    url = "/admin/notifications/delivery/"
    listing = get(manager, url).content.decode()
    # The team's: created 00:15 IST, sent 00:30 IST, occurs 09:00 IST on Mon 7 Dec.
    assert "Mon 07 Dec 2026 00:15 IST" in listing
    assert "Mon 07 Dec 2026 00:30 IST" in listing
    assert "Mon 07 Dec 2026 09:00 IST" in listing
    # The person's (no rotation, no team): UTC, labelled.
    assert "Sun 06 Dec 2026 18:45 UTC" in listing
    assert "Mon 07 Dec 2026 03:30 UTC" in listing
    page = get(manager, f"{url}{to_team.pk}/change/").content.decode()
    for expected in ("00:15 IST", "00:30 IST", "09:00 IST"):
        assert expected in page
    assert "18:45" not in page
    # Created on 7 Dec in Kolkata, on 6 Dec in UTC.
    assert listed(manager, url, created_at_day="2026-12-07") == {to_team.pk}
    assert listed(manager, url, created_at_day="2026-12-06") == {to_person.pk}


def test_a_change_notice_reads_in_its_rotations_zone(manager, london):
    # London's rotation (hers), kept in Kolkata time: the rotation's zone wins.
    rotation = RotationFactory(timezone="Asia/Kolkata", team=london)
    notice = ChangeNotice.objects.create(
        user=UserFactory(),
        source="change:1",
        rotation=rotation,
        recorded_at=at(2026, 12, 6, 18, 45),
        starts_at=at(2026, 12, 7, 3, 30),
    )
    url = "/admin/notifications/changenotice/"
    listing = get(manager, url).content.decode()
    assert "Mon 07 Dec 2026 00:15 IST" in listing
    assert "Mon 07 Dec 2026 09:00 IST" in listing
    assert listed(manager, url, recorded_at_day="2026-12-07") == {notice.pk}


def test_ownership_history_and_capacity_read_in_the_teams_zone(manager, kolkata):
    component = ComponentFactory(owner_team=kolkata)
    OwnershipPeriod.objects.filter(component=component).update(valid_from=at(2026, 12, 6, 18, 45))
    url = "/admin/ownership/ownershipperiod/"
    assert "Mon 07 Dec 2026 00:15 IST" in get(manager, url).content.decode()
    period = OwnershipPeriod.objects.get(component=component)
    page = get(manager, f"{url}{period.pk}/change/").content.decode()
    assert "Mon 07 Dec 2026 00:15 IST" in page
    assert "owned by Bangalore SRE 2026-12-07 00:15 IST - now" in page  # its name
    assert listed(manager, url, valid_from_day="2026-12-07") == {period.pk}
    page = get(manager, f"/admin/ownership/component/{component.pk}/change/")
    assert "Mon 07 Dec 2026 00:15 IST" in page.content.decode()
    capacity = TeamCapacity.objects.create(team=kolkata)
    TeamCapacity.objects.filter(pk=capacity.pk).update(updated_at=at(2026, 12, 6, 18, 45))
    assert (
        "Mon 07 Dec 2026 00:15 IST" in get(manager, "/admin/reports/teamcapacity/").content.decode()
    )


# --- The kind, not only the examples ------------------------------------------------------------


def _datetime_names(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)}


def _flat(names):
    for name in names:
        if isinstance(name, list | tuple):
            yield from _flat(name)
        else:
            yield name


def test_no_managed_admin_shows_or_takes_a_bare_utc_datetime(django_user_model):
    # Every admin a manager works in: no datetime column, read-only field, drill-down or date
    # filter by its bare name (Django would print or cut it in UTC), and every datetime typed
    # in a form is a local one.
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("root", "r@example.com", "pw-12345")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in MANAGED_APPS:
            continue
        checked += 1
        names = _datetime_names(model)
        where = type(model_admin).__name__
        assert model_admin.date_hierarchy not in names, where
        bare = [f for f in model_admin.list_filter if isinstance(f, str) and f in names]
        assert not bare, where
        assert not names & set(model_admin.get_list_display(request)), where
        for obj in (None, model.objects.first()):
            fieldsets = model_admin.get_fieldsets(request, obj)
            shown = set(_flat(n for _, opts in fieldsets for n in opts["fields"]))
            readonly = set(model_admin.get_readonly_fields(request, obj))
            assert not names & shown & readonly, where
            if obj is None and not model_admin.has_add_permission(request):
                continue
            form = model_admin.get_form(request, obj, change=obj is not None)
            for name, field in form.base_fields.items():
                if name in names:
                    assert isinstance(field, LocalDateTimeField), f"{where}.{name}"
        for inline in model_admin.get_inline_instances(request, None):
            inline_names = _datetime_names(inline.model)
            fields = set(_flat(n for _, o in inline.get_fieldsets(request) for n in o["fields"]))
            assert not inline_names & fields, type(inline).__name__
    assert checked >= 15
