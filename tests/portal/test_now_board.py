"""The Now board asks routing about every support policy in batches: its cost is fixed."""

import datetime

import pytest
from django.utils import timezone

from rota.models import SupportPolicy
from rota.selectors.board import now_board
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory
from tests.rota.factories import (
    RotationFactory,
    ShiftFactory,
    SupportPolicyFactory,
    TeamRotationFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)

# Counted from the log for 3 policies, then the same for 6: session, user and their time zone
# (3); the version tags, read by the board, the teams batch and the rotations batch (3); the
# teams (1); who is on call for every team at once: settings, rotations, shifts, overrides,
# memberships (5); the policies and their components (2); who is on duty in every policy's
# rotations at once: shifts, overrides (2), then the teams on support shift's people (5).
COLD_BOARD_QUERIES = 21


def _policies(count: int, now) -> list[tuple[str, str, str]]:
    """Create ``count`` policies cycling through rotating, dedicated and first-line ones.

    Return (policy name, column, the name shown in it) for each: who is on duty now.
    """
    expected = []
    for n in range(count):
        team = TeamFactory(name=f"Team {n}")
        person = MembershipFactory(team=team, user=UserFactory(first_name=f"Person{n}")).user
        own = RotationFactory(team=team, participants=[person], name=f"Own {n}")
        ShiftFactory(rotation=own, user=person, start=now - DAY, end=now + DAY)
        kind = n % 3
        if kind == 0:
            turns = TeamRotationFactory(participants=[team], name=f"Support turns {n}")
            ShiftFactory(rotation=turns, user=None, team=team, start=now - DAY, end=now + DAY)
            SupportPolicyFactory(
                name=f"Policy {n}", model=SupportPolicy.Model.ROTATING, team_rotation=turns
            )
        elif kind == 1:
            SupportPolicyFactory(
                name=f"Policy {n}", model=SupportPolicy.Model.DEDICATED, dedicated_team=team
            )
        else:
            desk = UserFactory(first_name=f"Desk{n}")
            first_line = RotationFactory(team=None, participants=[desk], name=f"Desk {n}")
            ShiftFactory(rotation=first_line, user=desk, start=now - DAY, end=now + DAY)
            SupportPolicyFactory(name=f"Policy {n}", first_line_rotation=first_line)
        expected.append(
            (
                f"Policy {n}",
                "first_line" if kind == 2 else "responders",
                f"Desk{n}" if kind == 2 else f"Person{n}",
            )
        )
    return expected


@pytest.mark.parametrize("count", [3, 6])
def test_the_board_costs_the_same_queries_for_3_and_6_policies(
    client, django_assert_num_queries, count
):
    now = timezone.now()
    _policies(count, now)
    client.force_login(UserFactory())
    with django_assert_num_queries(COLD_BOARD_QUERIES):
        response = client.get("/")
    assert response.status_code == 200
    for n in range(count):
        assert f"Policy {n}" in response.content.decode()


def test_every_policy_row_names_who_is_on_duty_now():
    now = timezone.now()
    expected = _policies(6, now)
    rows = {row.policy.name: row for row in now_board().policies}
    for name, column, first_name in expected:
        # Worked out on paper: each policy's rotation (or dedicated team's own rotation, or
        # first-line rotation) has exactly one shift, from a day ago to a day ahead, held by
        # the person created with it.
        responders = getattr(rows[name], column)
        assert responders is not None, name
        assert responders.primary.user.first_name == first_name, name
