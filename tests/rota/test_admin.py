import datetime

import pytest
from django.utils import timezone

from rota.admin_preview import PreviewRow
from rota.models import Rotation, RoutingSettings, Shift, SupportPolicy
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory

from .admin_helpers import page_data
from .factories import (
    RotationFactory,
    ShiftFactory,
    SprintCalendarFactory,
    SupportPolicyFactory,
    UnavailabilityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


ROTATIONS = "/admin/rota/rotation/"
UTC = datetime.UTC


def _monday():
    today = timezone.now().date()
    return today - datetime.timedelta(days=today.weekday())


def test_rotation_list_filters_and_searches(admin_client):
    RotationFactory(name="Payments on-call", team=TeamFactory(name="Payments"))
    RotationFactory(name="Search on-call")
    response = admin_client.get(ROTATIONS, {"q": "payments"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Payments on-call" in html and "Search on-call" not in html
    assert admin_client.get(ROTATIONS, {"kind__exact": "person"}).status_code == 200


def test_add_a_rotation_with_its_turn_order(admin_client):
    team = TeamFactory()
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    page = admin_client.get(f"{ROTATIONS}add/")
    data = page_data(
        page,
        name="New on-call",
        kind="person",
        team=team.pk,
        start_date="2030-01-07",
        timezone="Europe/London",
        **{
            "participants-TOTAL_FORMS": "2",
            "participants-0-position": "1",
            "participants-0-user": bo.pk,
            "participants-1-position": "0",
            "participants-1-user": ana.pk,
        },
    )
    response = admin_client.post(f"{ROTATIONS}add/", data)
    assert response.status_code == 302, response.context["errors"]
    rotation = Rotation.objects.get(name="New on-call")
    assert [p.user for p in rotation.participants.order_by("position")] == [ana, bo]


def test_turn_order_with_the_wrong_kind_is_shown_on_the_form(admin_client):
    rotation = RotationFactory(participants=[UserFactory()])
    page = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/")
    data = page_data(
        page,
        **{"participants-TOTAL_FORMS": "2", "participants-1-team": TeamFactory().pk},
    )
    response = admin_client.post(f"{ROTATIONS}{rotation.pk}/change/", data)
    assert response.status_code == 200
    assert "is a team; people take the turns" in response.content.decode()


def test_sprints_without_a_calendar_are_refused_on_the_form(admin_client):
    rotation = RotationFactory()
    page = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/")
    data = page_data(page, shift_length_unit="sprints", sprint_calendar="")
    response = admin_client.post(f"{ROTATIONS}{rotation.pk}/change/", data)
    assert response.status_code == 200
    assert "needs a sprint calendar" in response.content.decode()


def _follows(users, order) -> bool:
    """Return whether each user in ``users`` is followed by the next one in ``order``."""
    return all(
        order[(order.index(a) + 1) % len(order)] == b
        for a, b in zip(users, users[1:], strict=False)
    )


def test_changing_the_turn_order_re_deals_future_shifts(admin_client):
    ana, bo, cy = UserFactory(), UserFactory(), UserFactory()
    rotation = RotationFactory(start_date=_monday(), participants=[ana, bo, cy])
    until = _monday() + datetime.timedelta(weeks=8)
    admin_client.post(f"{ROTATIONS}{rotation.pk}/generate/", {"until": until.isoformat()})

    def future():
        shifts = Shift.objects.filter(rotation=rotation, start__gt=timezone.now())
        return [s.user for s in shifts.order_by("start")]

    assert _follows(future(), [ana, bo, cy])
    page = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/")
    data = page_data(page, **{"participants-1-position": "5"})  # bo last: ana, cy, bo
    response = admin_client.post(f"{ROTATIONS}{rotation.pk}/change/", data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert [p.user for p in rotation.participants.order_by("position")] == [ana, cy, bo]
    assert len(future()) >= 6
    assert _follows(future(), [ana, cy, bo])


def test_generate_action_asks_for_the_date_then_creates_shifts(admin_client):
    ana, bo = UserFactory(), UserFactory()
    first = RotationFactory(start_date=_monday(), participants=[ana, bo])
    second = RotationFactory(start_date=_monday(), participants=[bo])
    selected = {"action": "generate_shifts", "_selected_action": [first.pk, second.pk]}

    ask = admin_client.post(ROTATIONS, selected)

    assert ask.status_code == 200
    assert "Generate shifts" in ask.content.decode()
    assert not Shift.objects.exists()
    until = _monday() + datetime.timedelta(weeks=4)
    done = admin_client.post(
        ROTATIONS, {**selected, "apply": "1", "until": until.isoformat()}, follow=True
    )
    assert done.status_code == 200
    assert Shift.objects.filter(rotation=first).count() >= 4
    assert Shift.objects.filter(rotation=second).count() >= 4
    assert "Created" in done.content.decode()


def test_generate_action_refuses_a_bad_date(admin_client):
    rotation = RotationFactory(participants=[UserFactory()])
    response = admin_client.post(
        ROTATIONS,
        {
            "action": "generate_shifts",
            "_selected_action": [rotation.pk],
            "apply": "1",
            "until": "not a date",
        },
    )
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()
    assert not Shift.objects.exists()


def test_generate_button_on_the_rotation_page(admin_client):
    rotation = RotationFactory(start_date=_monday(), participants=[UserFactory()])
    change = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/").content.decode()
    assert f"{ROTATIONS}{rotation.pk}/generate/" in change

    form = admin_client.get(f"{ROTATIONS}{rotation.pk}/generate/")
    assert form.status_code == 200
    until = _monday() + datetime.timedelta(weeks=3)
    response = admin_client.post(
        f"{ROTATIONS}{rotation.pk}/generate/", {"until": until.isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"{ROTATIONS}{rotation.pk}/change/")
    assert Shift.objects.filter(rotation=rotation).count() >= 3


def test_preview_shows_who_is_on_duty_and_highlights_a_gap(admin_client):
    ana = UserFactory(username="ana", first_name="Ana", last_name="Lee")
    rotation = RotationFactory(start_date=_monday(), participants=[ana])
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    ShiftFactory(
        rotation=rotation,
        user=ana,
        start=start - datetime.timedelta(days=1),
        end=start + datetime.timedelta(days=3),
    )
    ShiftFactory(
        rotation=rotation,
        user=ana,
        start=start + datetime.timedelta(days=5),
        end=start + datetime.timedelta(days=40),
    )

    html = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/").content.decode()

    assert "Final schedule, next 4 weeks" in html
    assert "Ana Lee (ana)" in html
    assert '<tr class="gap">' in html
    assert "GAP – nobody on duty" in html
    assert "1 gap," in html


def test_preview_warns_about_leave(admin_client):
    ana = UserFactory(username="ana")
    rotation = RotationFactory(start_date=_monday(), participants=[ana])
    start = timezone.now()
    ShiftFactory(
        rotation=rotation,
        user=ana,
        start=start - datetime.timedelta(days=1),
        end=start + datetime.timedelta(days=30),
    )
    away = (start + datetime.timedelta(days=3)).date()
    UnavailabilityFactory(user=ana, start_date=away, end_date=away, reason="Dentist")

    html = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/").content.decode()

    assert "warned" in html
    assert "(ana) is away" in html and "Dentist" in html


def test_preview_weeks_can_be_chosen(admin_client):
    rotation = RotationFactory()
    html = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/", {"weeks": "8"}).content.decode()
    assert "next 8 weeks" in html


def test_sprint_calendar_admin_shows_upcoming_sprints(admin_client):
    calendar = SprintCalendarFactory(start_date=datetime.date(2024, 1, 1))
    html = admin_client.get(f"/admin/rota/sprintcalendar/{calendar.pk}/change/").content.decode()
    assert "upcoming sprints" in html.lower()
    assert admin_client.get("/admin/rota/sprintcalendar/").status_code == 200


def test_support_policy_admin_saves_components_through_the_service(admin_client):
    ComponentFactory(slug="billing")
    billing = ComponentFactory._meta.model.objects.get(slug="billing")
    page = admin_client.get("/admin/rota/supportpolicy/add/")
    assert "admin-autocomplete" in page.content.decode()
    data = page_data(page, name="Billing", model="ownership", covered_components=[billing.pk])
    response = admin_client.post("/admin/rota/supportpolicy/add/", data)
    assert response.status_code == 302, response.context["errors"]
    policy = SupportPolicy.objects.get(name="Billing")
    assert [c.slug for c in policy.components.all()] == ["billing"]


def test_support_policy_admin_shows_the_services_errors(admin_client):
    component = ComponentFactory(slug="taken")
    SupportPolicyFactory(name="First", components=[component])
    page = admin_client.get("/admin/rota/supportpolicy/add/")
    data = page_data(page, name="Second", model="dedicated", covered_components=[component.pk])
    response = admin_client.post("/admin/rota/supportpolicy/add/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "needs the support team" in html
    data["dedicated_team"] = TeamFactory().pk
    html = admin_client.post("/admin/rota/supportpolicy/add/", data).content.decode()
    assert "already covered by policy First" in html
    assert not SupportPolicy.objects.filter(name="Second").exists()


def test_support_policy_components_autocomplete(admin_client):
    ComponentFactory(slug="checkout", name="Checkout")
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "rota",
            "model_name": "supportpolicy",
            "field_name": "components",
            "term": "check",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Checkout"]


@pytest.mark.parametrize(
    "url",
    [ROTATIONS, "/admin/rota/shift/", "/admin/rota/sprintcalendar/", "/admin/rota/shiftchange/"],
)
def test_non_staff_cannot_open_the_rota_admin(client, url):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_non_staff_cannot_generate(client):
    rotation = RotationFactory(participants=[UserFactory()])
    client.force_login(UserFactory())
    response = client.post(f"{ROTATIONS}{rotation.pk}/generate/", {"until": "2030-01-01"})
    assert response.status_code == 302
    assert not Shift.objects.exists()


@pytest.mark.parametrize(
    ("hours", "text"),
    [(168, "7 d"), (167, "6 d 23 h"), (4.5, "4 h 30 min"), (0.25, "15 min")],
)
def test_preview_lengths_read_as_days_hours_and_minutes(hours, text):
    start = datetime.datetime(2030, 3, 25, 9, tzinfo=UTC)
    row = PreviewRow(start=start, end=start + datetime.timedelta(hours=hours), kind="shift")
    assert row.length == text


SETTINGS = "/admin/rota/routingsettings/"


def test_routing_settings_are_one_row_added_once_and_never_deleted(admin_client):
    page = admin_client.get(f"{SETTINGS}add/")
    assert page.status_code == 200
    assert "warns about components of this tier, or a more critical one" in page.content.decode()

    response = admin_client.post(f"{SETTINGS}add/", page_data(page, cover_check_max_tier="3"))

    assert response.status_code == 302
    (row,) = RoutingSettings.objects.all()
    assert (row.pk, row.cover_check_max_tier) == (RoutingSettings.SINGLETON_ID, 3)
    assert admin_client.get(f"{SETTINGS}add/").status_code == 403
    assert admin_client.get(f"{SETTINGS}{row.pk}/delete/").status_code == 403
    assert admin_client.get(SETTINGS).status_code == 200


def test_routing_settings_refuse_a_team_rotation_as_the_fallback(admin_client):
    RoutingSettings.objects.create(pk=RoutingSettings.SINGLETON_ID)
    teams = RotationFactory(kind=Rotation.Kind.TEAM, team=None)
    page = admin_client.get(f"{SETTINGS}1/change/")

    response = admin_client.post(
        f"{SETTINGS}1/change/", page_data(page, fallback_rotation=str(teams.pk))
    )

    assert response.status_code == 200
    assert "fallback_rotation" in response.context["adminform"].form.errors
    assert RoutingSettings.objects.get().fallback_rotation is None


@pytest.mark.sqlite  # PostgreSQL refuses overlapping shifts (rota_shift_no_overlap)
def test_preview_names_the_holders_of_overlapping_shifts(admin_client):
    ana = UserFactory(username="ana", first_name="Ana", last_name="Lee")
    bo = UserFactory(username="bo", first_name="Bo", last_name="Ek")
    rotation = RotationFactory(start_date=_monday(), participants=[ana, bo], timezone="UTC")
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    # Written straight to the table (as a bulk import could), past the service's check.
    ShiftFactory(rotation=rotation, user=ana, start=start, end=start + datetime.timedelta(days=7))
    ShiftFactory(
        rotation=rotation,
        user=bo,
        start=start + datetime.timedelta(days=6),
        end=start + datetime.timedelta(days=13),
    )

    html = admin_client.get(f"{ROTATIONS}{rotation.pk}/change/").content.decode()

    # They overlap on the last day of Ana's week, shown in the rotation's zone (UTC here).
    overlap_start = (start + datetime.timedelta(days=6)).strftime("%a %d %b %H:%M")
    overlap_end = (start + datetime.timedelta(days=7)).strftime("%a %d %b %H:%M")
    assert (
        f"The shifts of Ana Lee (ana) and Bo Ek (bo) overlap {overlap_start} - {overlap_end}."
        in html
    )
