"""Times of day in the rota document: written quoted, read back however a reviewer writes them.

YAML 1.1 reads digits with colons as a base-60 number (10:30 is 10*60+30 = 630), and PyYAML
quotes such a time on export but not 09:00 (a leading zero is not base 60). The export now
quotes every time; the import reads an unquoted 10:30 as the time it looks like.
"""

import datetime
import re

import pytest

from importers.rota_yaml import export_rota
from rota.models import Rotation
from tests.importers.test_rota_yaml import build_organisation, import_text

pytestmark = pytest.mark.django_db

DOC = """\
version: 1
people:
- {username: zoe, email: zoe@example.com}
teams:
- slug: gamma
  name: Gamma
  members: [{person: zoe}]
rotations:
- name: Gamma on call
  team: gamma
  start_date: 2030-01-07
  handoff_time: HANDOFF
  participants: [zoe]
"""


def test_the_export_quotes_every_time_of_day():
    build_organisation()
    first = Rotation.objects.order_by("name").first()
    first.handoff_time = datetime.time(10, 30)  # base 60 in YAML 1.1
    first.save(update_fields=["handoff_time"])
    text = export_rota()
    times = re.findall(r"^\s*\w+_time: (.*)$", text, flags=re.MULTILINE)
    times = [value for value in times if value != "null"]  # a team without triage
    assert len(times) == 4, "four rotations, each with a handoff time"
    assert "handoff_time: '10:30'" in text
    # Every one in quotes, 09:00 as well as 10:30.
    assert all(re.fullmatch(r"'\d\d:\d\d(:\d\d)?'", value) for value in times), times
    assert "handoff_time: '09:00'" in text
    assert not re.search(r": \d\d:\d\d$", text, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("10:30", datetime.time(10, 30)),  # YAML 1.1: 630 without the fix
        ("'10:30'", datetime.time(10, 30)),
        ("09:00", datetime.time(9)),  # a string even in YAML 1.1
        ("23:59", datetime.time(23, 59)),
    ],
)
def test_a_time_reads_quoted_or_not(written, expected):
    report = import_text(DOC.replace("HANDOFF", written))
    assert report.problems == []
    assert Rotation.objects.get().handoff_time == expected


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("'25:00'", 'rotations[0].handoff_time: "25:00" is not a time HH:MM'),
        ("25:00", 'rotations[0].handoff_time: "25:00" is not a time HH:MM'),
        ("9", "rotations[0].handoff_time: write times in quotes, e.g. '09:00'"),
    ],
)
def test_a_wrong_time_is_named_like_a_wrong_window(written, message):
    report = import_text(DOC.replace("HANDOFF", written))
    assert [str(p) for p in report.problems] == [message]
    assert not Rotation.objects.exists()
