"""Generating a rotation reads and writes in a fixed number of statements, whatever the horizon."""

import datetime

import pytest
from django.db import connection

from rota import services
from rota.models import Shift
from tests.ownership.factories import UserFactory

from .factories import RotationFactory

pytestmark = pytest.mark.django_db

BEFORE_2024 = datetime.datetime(2023, 12, 1, tzinfo=datetime.UTC)
ONE_YEAR = datetime.date(2024, 12, 29)  # weekly from Mon 1 Jan 2024: 52 shifts
TWO_YEARS = datetime.date(2025, 12, 28)  # 104 shifts

# One generation in a test's transaction, counted by hand:
#   SAVEPOINT; the rotation locked; its shifts around now (future ones with their open swap
#   offers, and the newest earlier ones, in one statement); its participants; the
#   unavailability of the participants and the team's holidays (one read, serving the dealer
#   and the leave covers); the INSERT of the shifts; the rota version bump; the leave covers
#   already over the new shifts; RELEASE SAVEPOINT = 8 + the INSERTs.
READS_AND_BOOKKEEPING = 8
# A second generation changes nothing: SAVEPOINT, lock, shifts, participants,
# unavailability, RELEASE.
UNCHANGED = 6


def _inserts(shifts: int) -> int:
    """Statements that insert ``shifts`` rows: one on PostgreSQL; SQLite binds at most 999
    parameters per statement, so 999 // 14 columns = 71 rows each."""
    if connection.vendor == "sqlite":
        return -(-shifts // 71)
    return 1


@pytest.mark.parametrize(("until", "shifts"), [(ONE_YEAR, 52), (TWO_YEARS, 104)])
def test_generating_a_weekly_rotation_takes_the_same_statements_for_one_or_two_years(
    django_assert_num_queries, until, shifts
):
    rotation = RotationFactory(participants=[UserFactory(), UserFactory()])

    # PostgreSQL: 9 for one year and for two; SQLite: 9 for one year, 10 for two (2 INSERTs).
    with django_assert_num_queries(READS_AND_BOOKKEEPING + _inserts(shifts)):
        created = services.rotation_generate(rotation=rotation, until=until, now=BEFORE_2024)

    assert created == shifts == Shift.objects.filter(rotation=rotation).count()
    with django_assert_num_queries(UNCHANGED):
        again = services.rotation_generate(rotation=rotation, until=until, now=BEFORE_2024)
    assert again == 0
