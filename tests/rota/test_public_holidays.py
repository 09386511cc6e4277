"""A team's public holidays taken from the holidays package by country and subdivision.

Hand-checked facts used below: Epiphany (6 January) is a public holiday in Bavaria (DE-BY) but
not in Berlin (DE-BE); 6 January 2027 is a Wednesday. Berlin's only January holiday is New
Year's Day. St Andrew's Day (30 November) is a bank holiday in Scotland (GB-SCT), not England.
"""

import datetime
import re

import pytest

from ownership.models import Team
from reports.load import sprint_capacity
from reports.selectors import report_data
from rota import services
from rota.models import Rotation, Unavailability
from rota.selectors import segments_for, team_holidays_upcoming
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory
from tests.reports.factories import TeamCapacityFactory

from .admin_helpers import page_data
from .factories import RotationFactory, ShiftFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 6, 1)
BERLIN = datetime.timezone(datetime.timedelta(hours=1))  # CET: January is winter time
TEAMS = "/api/v1/teams/"


def local(day, hour):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def package_days(team, **filters):
    return set(
        Unavailability.objects.filter(team=team, source="holidays", **filters).values_list(
            "start_date", "reason"
        )
    )


def synced(code, **fields):
    team = TeamFactory(public_holidays=code, timezone="Europe/Berlin", **fields)
    services.team_public_holidays_sync(team=team, today=TODAY)
    return team


def test_setting_the_code_through_the_api_writes_the_holidays(staff_client):
    team = TeamFactory(slug="munich")
    next_year = datetime.date.today().year + 1

    response = staff_client.patch(f"{TEAMS}munich/", {"public_holidays": "de-by"})

    assert response.status_code == 200, response.content
    assert response.json()["public_holidays"] == "DE-BY"  # spelled canonically
    assert (D(next_year, 1, 6), "Epiphany") in package_days(team)
    assert Unavailability.objects.get(team=team, start_date=D(next_year, 1, 6)).kind == (
        "public_holiday"
    )
    # Another of the kind: Scotland has St Andrew's Day, England does not.
    scots = TeamFactory(slug="edinburgh")
    staff_client.patch(f"{TEAMS}edinburgh/", {"public_holidays": "GB-SCT"})
    assert package_days(scots, start_date=D(next_year, 11, 30))
    staff_client.patch(f"{TEAMS}edinburgh/", {"public_holidays": "GB-ENG"})
    assert not package_days(scots, start_date=D(next_year, 11, 30))


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("UK", "GB"),  # the package's alias of the United Kingdom
        ("gbr", "GB"),  # ISO 3166-1 alpha-3
        ("uk-sct", "GB-SCT"),
        ("UK-Scotland", "GB-SCT"),  # the package's name of the subdivision
        ("DEU-by", "DE-BY"),
    ],
)
def test_an_alias_the_package_knows_is_stored_as_the_iso_code(staff_client, written, code):
    team = TeamFactory(slug="edinburgh")
    next_year = datetime.date.today().year + 1

    response = staff_client.patch(f"{TEAMS}edinburgh/", {"public_holidays": written})

    assert response.status_code == 200, response.content
    assert response.json()["public_holidays"] == code
    team.refresh_from_db()
    assert team.public_holidays == code
    # The rows are keyed by the ISO code too, so a later "GB" changes nothing.
    keys = set(Unavailability.objects.filter(team=team).values_list("external_uid", flat=True))
    assert keys and all(key.startswith(f"{code}/") for key in keys)
    # Christmas Day is a holiday in every one of them.
    assert package_days(team, start_date=D(next_year, 12, 25))


def test_a_team_created_with_a_code_gets_its_holidays(staff_client):
    response = staff_client.post(
        TEAMS, {"slug": "la", "name": "LA", "timezone": "America/Los_Angeles",
                "public_holidays": "US-CA"}, format="json",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    year = datetime.date.today().year + 1
    assert (D(year, 7, 4), "Independence Day") in package_days(Team.objects.get(slug="la"))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("DE-XX", "Unknown subdivision 'XX' of DE: choose one of"),
        ("XX-BY", "Unknown country 'XX'"),
        ("GB-CAL", "Unknown subdivision 'CAL' of GB"),
    ],
)
def test_an_unknown_country_or_subdivision_is_a_400_naming_the_field(staff_client, code, message):
    TeamFactory(slug="munich")

    response = staff_client.patch(f"{TEAMS}munich/", {"public_holidays": code})

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["public_holidays"]
    assert message in body["public_holidays"][0]
    assert not Unavailability.objects.exists()


def test_a_holiday_from_the_package_switches_a_business_hours_rotation_off(user_client):
    munich, berlin = synced("DE-BY", slug="munich"), synced("DE-BE", slug="berlin")
    ana, lee = UserFactory(username="ana"), UserFactory(username="lee")
    week = (local(D(2027, 1, 4), 9), local(D(2027, 1, 11), 9))  # Monday to Monday
    rotations = {}
    for team, person in ((munich, ana), (berlin, lee)):
        rotations[team.slug] = RotationFactory(
            team=team, restriction=Rotation.Restriction.BUSINESS_HOURS, timezone="Europe/Berlin"
        )
        ShiftFactory(rotation=rotations[team.slug], user=person, start=week[0], end=week[1])

    def primary(slug, instant):
        body = user_client.get(
            "/api/v1/oncall/", {"rotation": rotations[slug].pk, "at": instant.isoformat()}
        ).json()
        return body["primary"] and body["primary"]["username"]

    # Wednesday 6 January 2027, 11:00 in Munich and Berlin: Epiphany in Bavaria only.
    assert primary("munich", local(D(2027, 1, 6), 11)) is None
    assert primary("berlin", local(D(2027, 1, 6), 11)) == "lee"
    assert primary("munich", local(D(2027, 1, 7), 11)) == "ana"
    # Munich's week by hand: Monday, Tuesday, Thursday, Friday 09:00-17:00 local.
    spans = segments_for([rotations["munich"]], *week)[rotations["munich"].pk]
    assert [(s.start, s.end) for s in spans] == [
        (local(D(2027, 1, d), 9), local(D(2027, 1, d), 17)) for d in (4, 5, 7, 8)
    ]


def test_a_holiday_from_the_package_reduces_capacity():
    munich, berlin = synced("DE-BY", slug="munich"), synced("DE-BE", slug="berlin")
    for team in (munich, berlin):
        TeamCapacityFactory(team=team, team_size=5, hours_per_day=8)
        MembershipFactory(team=team)

    data = report_data(first_day=D(2027, 1, 4), last_day=D(2027, 1, 15))
    sprint = next(s for s in data.cadence.sprints(D(2027, 1, 4), D(2027, 1, 15))
                  if s.first_day <= D(2027, 1, 6) <= s.last_day)  # fmt: skip

    assert D(2027, 1, 6) in data.teams[munich.pk].holidays
    assert D(2027, 1, 6) not in data.teams[berlin.pk].holidays
    # One working day fewer in Munich: 5 people x 8 hours.
    by = sprint_capacity(data.teams[munich.pk], data, sprint)
    be = sprint_capacity(data.teams[berlin.pk], data, sprint)
    assert be - by == 40


def test_sync_is_idempotent_and_a_new_code_replaces_the_old_days():
    team = synced("DE-BY")
    typed = Unavailability.objects.create(
        team=team, start_date=D(2027, 1, 6), end_date=D(2027, 1, 6), kind="public_holiday",
        reason="Typed in",
    )  # fmt: skip
    count = Unavailability.objects.filter(source="holidays").count()

    again = services.team_public_holidays_sync(team=team, today=TODAY)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert Unavailability.objects.filter(source="holidays").count() == count

    team.public_holidays = "DE-BE"
    team.save()
    moved = services.team_public_holidays_sync(team=team, today=TODAY)

    # Every day in the window is keyed by its code: all Bavarian days go, Berlin's come.
    assert moved.deleted == count
    assert Unavailability.objects.filter(source="holidays").count() == moved.created
    # Bavaria's Epiphany is gone, Berlin's Women's Day (8 March) came; the typed-in day stays.
    assert not package_days(team, reason="Epiphany")
    assert (D(2027, 3, 8), "Women's Day") in package_days(team)
    assert Unavailability.objects.filter(pk=typed.pk).exists()


def test_the_nightly_job_moves_the_window_into_the_new_year():
    team = TeamFactory(public_holidays="DE-BY")  # set without the service: no days yet
    now = datetime.datetime(2026, 6, 1, 2, tzinfo=datetime.UTC)

    services.rotations_extend_all(now=now)
    # The window: 1 January of last year to 31 December five years on.
    assert package_days(team, start_date=D(2025, 1, 6))
    assert package_days(team, start_date=D(2031, 1, 6))
    assert not package_days(team, start_date=D(2032, 1, 6))

    services.rotations_extend_all(now=now.replace(year=2027))
    assert package_days(team, start_date=D(2032, 1, 6))
    assert package_days(team, start_date=D(2025, 1, 6))  # past days stay for the reports


def test_the_team_page_shows_the_code_and_the_holidays_ahead(client):
    team = TeamFactory(slug="munich", public_holidays="DE-BY", timezone="Europe/Berlin")
    services.team_public_holidays_sync(team=team)
    client.force_login(UserFactory())

    html = client.get("/teams/munich/").content.decode()

    assert '<strong id="public-holidays-code">DE-BY</strong>' in html
    assert "Epiphany" in html or "Christmas" in html  # the next ones ahead, whatever today is


def test_the_team_admin_validates_the_code_and_writes_the_holidays(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    team = TeamFactory(slug="munich")
    url = f"/admin/ownership/team/{team.pk}/change/"

    bad = client.post(url, page_data(client.get(url), public_holidays="DE-XX"))
    assert bad.status_code == 200  # the form again, with the error on the field
    assert "Unknown subdivision &#x27;XX&#x27; of DE" in bad.content.decode()
    assert not Unavailability.objects.exists()

    good = client.post(url, page_data(client.get(url), public_holidays="de-by"))
    assert good.status_code == 302
    team.refresh_from_db()
    assert team.public_holidays == "DE-BY"
    next_year = datetime.date.today().year + 1
    assert (D(next_year, 1, 6), "Epiphany") in package_days(team)


def test_one_team_whose_code_the_package_no_longer_knows_does_not_stop_the_others(caplog):
    stale = TeamFactory(public_holidays="ZZ-QQ")  # stored before a package upgrade, say
    munich = TeamFactory(public_holidays="DE-BY")

    created = services.public_holidays_refresh_all(today=TODAY)

    assert created == Unavailability.objects.filter(team=munich).count() > 0
    assert not Unavailability.objects.filter(team=stale).exists()
    assert f"public holidays of team {stale.pk}" in caplog.text


def test_the_team_page_shows_one_line_per_holiday_day_naming_every_holiday(client):
    # Hand-checked: in Bavaria (DE-BY) 25 and 26 December 2026 are Christmas Day and the
    # Second Day of Christmas (the package's English names), 1 January 2027 New Year's Day.
    # Typed in as well: "Christmas Day" on the 25th (the same name: shown once), an office
    # closure 24-28 December (on the 25th and 26th it joins the package's names) and, twice
    # on 1 January, "Office closed".
    team = TeamFactory(slug="munich", public_holidays="DE-BY", timezone="Europe/Berlin")
    services.team_public_holidays_sync(team=team, today=D(2026, 12, 1))
    typed = [
        (D(2026, 12, 25), D(2026, 12, 25), "Christmas Day"),
        (D(2026, 12, 24), D(2026, 12, 28), "Office closed"),
        (D(2027, 1, 1), D(2027, 1, 1), "Office closed"),
    ]
    for first, last, reason in typed:
        services.unavailability_create(
            team=team, start_date=first, end_date=last, reason=reason, kind="public_holiday"
        )
    shown = [
        (h.start_date, h.end_date, h.reason)
        for h in team_holidays_upcoming(team=team, today=D(2026, 12, 20), limit=5)
    ]
    assert shown == [
        (D(2026, 12, 24), D(2026, 12, 24), "Office closed"),
        (D(2026, 12, 25), D(2026, 12, 25), "Christmas Day; Office closed"),
        (D(2026, 12, 26), D(2026, 12, 26), "Second Day of Christmas; Office closed"),
        (D(2026, 12, 27), D(2026, 12, 28), "Office closed"),
        (D(2027, 1, 1), D(2027, 1, 1), "New Year's Day; Office closed"),
    ]

    # The page lists them the same way: no day twice, whatever today is.
    client.force_login(UserFactory())
    html = client.get("/teams/munich/").content.decode()
    items = re.findall(r"<li>([^<:]+):", html.split('id="holiday-list"')[1].split("</ul>")[0])
    assert items and len(items) == len(set(items))
    if datetime.date.today() < D(2026, 12, 25):
        assert "<li>Fri 25 Dec 2026: Christmas Day; Office closed</li>" in html
