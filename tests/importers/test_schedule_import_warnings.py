"""What the schedule importers warn of, and the rotations they no longer make (a user trial).

* Another active rotation of the team with the same role can answer instead of the imported
  ones (Rota asks the highest layer first, then the oldest rotation): every importer warns,
  naming it; deactivating it, as the warning says, lets the imported rotation answer.
* An overrides rotation is made only to hold an override still to come whose person maps to a
  Rota user, above a rotation of the schedule that was imported.
* PagerDuty's final schedule differing from Rota's answer is a warning (all was imported),
  naming the Rota leave that explains it.
"""

import copy
import datetime

import pytest
from django.contrib.auth import get_user_model

from importers.base import ImportReport
from ownership.models import Team
from rota import routing
from rota.models import Rotation, Unavailability
from rota.services import rotation_create, rotation_generate, rotation_update
from tests.importers import test_schedule_grafana as grafana
from tests.importers import test_schedule_opsgenie as opsgenie
from tests.importers import test_schedule_pagerduty as pagerduty
from tests.ownership.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
User = get_user_model()


def old_primary(team: Team, layer: int = 1) -> Rotation:
    """An active primary rotation made before the import: zed every week."""
    rotation = rotation_create(
        name="Old primary",
        team=team,
        role="primary",
        layer=layer,
        start_date=datetime.date(2026, 9, 7),
        participants=[UserFactory(username="zed", email="zed@example.com")],
    )
    rotation_generate(rotation=rotation, until=datetime.date(2026, 12, 31), now=grafana.NOW)
    return rotation


def primary_at(team: Team, instant: datetime.datetime) -> str | None:
    """The name part of the primary's e-mail (Opsgenie's new accounts are named by e-mail)."""
    answer = routing.responders_for_team(team=team, at=instant)
    return answer.primary.user.email.split("@")[0] if answer.primary else None


def warnings(report: ImportReport) -> list[str]:
    return [str(w) for w in report.warnings]


def test_opsgenie_warns_of_another_rotation_that_answers_first():
    team = TeamFactory(slug="platform", name="Platform")
    old = old_primary(team)
    report = opsgenie.run(opsgenie.bundle())
    assert (
        'schedule "platform_schedule": team platform also has rotation "Old primary" as '
        "primary; it answers beside the imported rotations (highest layer first): deactivate "
        "it if this schedule replaces it"
    ) in warnings(report)
    # Mon 26 Oct 2026 09:00 CET: Opsgenie's Weekly hands over to bob (layer 1). Old primary is
    # layer 1 too and older, so zed answers until it is deactivated; then bob.
    monday = datetime.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert primary_at(team, monday) == "zed"
    rotation_update(rotation=old, active=False)
    assert primary_at(team, monday) == "bob"


def test_grafana_warns_of_another_rotation_that_answers_first(platform_team):
    old = old_primary(platform_team, layer=2)
    report = grafana.run(grafana.bundle())
    assert (
        'schedule "Platform on-call" (S1): team platform also has rotation "Old primary" as '
        "primary; it answers beside the imported rotations (highest layer first): deactivate "
        "it if this schedule replaces it"
    ) in warnings(report)
    # Mon 26 Oct 2026 09:00 CET: the weekly rolling shift hands over to carol (level 1, so
    # layer 2); Old primary, layer 2 too and older, answers (zed) until deactivated.
    monday = datetime.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert primary_at(platform_team, monday) == "zed"
    rotation_update(rotation=old, active=False)
    assert primary_at(platform_team, monday) == "carol"


@pytest.fixture
def platform_team():
    return TeamFactory(slug="platform", name="Platform")


def test_pagerduty_makes_no_overrides_rotation_when_nobody_maps():
    # No Rota user has any of the PagerDuty e-mails: no layer and no override can be imported,
    # so there is nothing for an overrides rotation to hold.
    TeamFactory(slug="platform", name="Platform")
    report = pagerduty.run()
    assert Rotation.objects.count() == 0
    assert not [p for p in report.details if "overrides" in p]


def test_pagerduty_makes_no_overrides_rotation_when_no_override_maps(team):
    bundle = copy.deepcopy(pagerduty.BUNDLE)
    for override in bundle["overrides"]["PSCHED1"]:
        override["user"] = {"id": "PZED", "summary": "Zed", "email": "zed@elsewhere.example"}
    report = pagerduty.run(bundle)
    names = set(Rotation.objects.values_list("name", flat=True))
    assert names == {"Platform — Weekly", "Platform — Weekend", "Platform Secondary — Daily"}
    assert 'schedule "Platform" overrides "POVER1": user Zed <zed@elsewhere.example> has no ' in (
        "; ".join(str(p) for p in report.problems)
    )


team = pagerduty.team  # the PagerDuty tests' fixture: platform, its people and support policy


def test_opsgenie_makes_no_overrides_rotation_for_an_unmappable_person():
    doc = opsgenie.bundle()
    doc["overrides"]["platform_schedule"][0]["user"] = {"type": "user", "id": "u-nobody"}
    report = opsgenie.run(doc)
    assert not Rotation.objects.filter(name="platform_schedule — overrides").exists()
    assert (
        'schedule "platform_schedule" overrides "cover-1": user u-nobody has no e-mail in the '
        "files: add GET /v2/users"
    ) in [str(p) for p in report.problems]


def test_opsgenie_makes_no_overrides_rotation_above_no_rotation():
    doc = opsgenie.bundle()
    doc["schedules"][0]["rotations"] = []
    report = opsgenie.run(doc)
    assert not Rotation.objects.filter(name__startswith="platform_schedule").exists()
    assert (
        'schedule "platform_schedule" overrides: no rotation of the schedule was imported, so '
        "neither are its schedule-wide overrides"
    ) in [str(p) for p in report.problems]


def test_a_difference_from_pagerdutys_rendering_is_a_warning_naming_the_leave(team):
    # PagerDuty renders alice Mon 7 Dec 09:00 to Fri 11 Dec 18:00 (London); Rota's layer gives
    # carol that week (turn k=5). alice has leave in Rota from 7 to 11 Dec: the warning says so.
    Unavailability.objects.create(
        user=User.objects.get(username="alice"),
        start_date=datetime.date(2026, 12, 7),
        end_date=datetime.date(2026, 12, 11),
    )
    bundle = copy.deepcopy(pagerduty.BUNDLE)
    entries = copy.deepcopy(pagerduty.RENDERED)
    entries[3] = pagerduty.entry("alice", "2026-12-07T09:00:00Z", "2026-12-11T18:00:00Z")
    bundle["schedules"][0]["final_schedule"] = {"rendered_schedule_entries": entries}
    report = pagerduty.run(bundle, dry_run=True)
    assert report.problems == []
    leave = " (alice is on leave in Rota from 2026-12-07 to 2026-12-11)"
    assert warnings(report) == [
        'schedule "Platform" final schedule: differs from PagerDuty\'s rendering: at '
        "2026-12-07 09:00:00 Europe/London: PagerDuty has alice@example.com, Rota "
        "carol@example.com" + leave,
        'schedule "Platform" final schedule: differs from PagerDuty\'s rendering: at '
        "2026-12-11 17:59:59 Europe/London: PagerDuty has alice@example.com, Rota "
        "carol@example.com" + leave,
    ]
    lines = report.summary_lines()
    assert not [line for line in lines if line.startswith("not imported")]
    assert lines[-1].startswith('warning: schedule "Platform" final schedule: differs')
