import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from rota import services
from rota.exceptions import OverrideOverlap, ShiftOverlap
from rota.models import Rotation, Shift, SupportPolicy
from rota.selectors import schedule_check
from tests.ownership.factories import ComponentFactory, TeamFactory, UserFactory

from .factories import (
    OverrideFactory,
    RotationFactory,
    ShiftFactory,
    SupportPolicyFactory,
    TeamRotationFactory,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
MONDAY = datetime.datetime(2024, 1, 1, 9, tzinfo=UTC)


def fields_of(excinfo):
    return set(excinfo.value.message_dict)


def rotation_data(**overrides):
    data = {
        "name": "Payments on call",
        "kind": Rotation.Kind.PERSON,
        "shift_length_unit": Rotation.Unit.WEEKS,
        "shift_length_count": 1,
        "timezone": "Europe/London",
        "start_date": datetime.date(2024, 1, 1),
    }
    return {**data, **overrides}


def test_unknown_timezone_is_refused_on_the_timezone_field():
    with pytest.raises(ValidationError) as excinfo:
        services.rotation_create(**rotation_data(timezone="Mars/Olympus_Mons"))

    assert fields_of(excinfo) == {"timezone"}


def test_a_rotation_in_sprints_needs_a_sprint_calendar():
    with pytest.raises(ValidationError) as excinfo:
        services.rotation_create(
            **rotation_data(kind=Rotation.Kind.TEAM, shift_length_unit=Rotation.Unit.SPRINTS)
        )

    assert fields_of(excinfo) == {"sprint_calendar"}
    assert not Rotation.objects.exists()


def test_unknown_participant_is_named_on_the_participants_field():
    UserFactory(username="alice")

    with pytest.raises(ValidationError) as excinfo:
        services.rotation_create(participants=["alice", "nobody"], **rotation_data())

    assert excinfo.value.message_dict == {"participants": ["Unknown user 'nobody'."]}


def test_a_team_cannot_take_part_in_a_person_rotation():
    with pytest.raises(ValidationError) as excinfo:
        services.rotation_create(participants=[TeamFactory()], **rotation_data())

    assert fields_of(excinfo) == {"participants"}


def test_participants_are_stored_in_the_given_order():
    people = [UserFactory(username=name) for name in ("zoe", "adam", "mia")]

    rotation = services.rotation_create(participants=["zoe", people[1], "mia"], **rotation_data())

    order = rotation.participants.order_by("position").values_list("user__username", flat=True)
    assert list(order) == ["zoe", "adam", "mia"]


def test_only_a_person_rotation_can_follow_a_team_rotation():
    person = RotationFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.rotation_create(**rotation_data(follows_team_rotation=person))

    assert fields_of(excinfo) == {"follows_team_rotation"}


def test_shift_ending_before_it_starts_is_refused_on_the_end_field():
    rotation = RotationFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.shift_create(
            rotation=rotation, start=MONDAY, end=MONDAY - datetime.timedelta(hours=1)
        )

    assert fields_of(excinfo) == {"end"}


def test_naive_times_are_refused():
    with pytest.raises(ValidationError) as excinfo:
        services.shift_create(
            rotation=RotationFactory(),
            start=datetime.datetime(2024, 1, 1, 9),
            end=datetime.datetime(2024, 1, 2, 9),
        )

    assert fields_of(excinfo) == {"start"}


def test_overlapping_shift_is_refused_on_the_start_field():
    existing = ShiftFactory(start=MONDAY)

    with pytest.raises(ShiftOverlap) as excinfo:
        services.shift_create(
            rotation=existing.rotation,
            start=MONDAY + datetime.timedelta(days=6),
            end=MONDAY + datetime.timedelta(days=8),
            user=UserFactory(),
        )

    assert fields_of(excinfo) == {"start"}
    assert isinstance(excinfo.value, ValidationError)


def test_contiguous_shifts_are_not_an_overlap():
    existing = ShiftFactory(start=MONDAY)

    shift = services.shift_create(
        rotation=existing.rotation,
        start=existing.end,
        end=existing.end + datetime.timedelta(days=7),
        user=UserFactory(),
    )

    assert shift.edited


def test_the_database_refuses_overlapping_shifts_on_postgresql():
    existing = ShiftFactory(start=MONDAY)
    overlapping = Shift(
        rotation=existing.rotation,
        start=MONDAY + datetime.timedelta(days=1),
        end=MONDAY + datetime.timedelta(days=2),
        user=existing.user,
    )
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="rota_shift_no_overlap"), transaction.atomic():
            overlapping.save()
    else:
        # SQLite has no range constraint: a row written around the services is caught by
        # the schedule check instead.
        overlapping.save()
        check = schedule_check(rotation=existing.rotation, now=MONDAY, weeks=1)
        assert [b.kind for b in check.double_bookings] == ["overlap"]


def test_a_person_cannot_be_assigned_to_a_team_rotation():
    rotation = TeamRotationFactory()

    with pytest.raises(ValidationError) as excinfo:
        services.shift_create(
            rotation=rotation,
            start=MONDAY,
            end=MONDAY + datetime.timedelta(days=1),
            user=UserFactory(),
        )

    assert fields_of(excinfo) == {"user"}


def test_override_ending_before_it_starts_is_refused_on_the_end_field():
    with pytest.raises(ValidationError) as excinfo:
        services.override_create(
            rotation=RotationFactory(), start=MONDAY, end=MONDAY, user=UserFactory()
        )

    assert fields_of(excinfo) == {"end"}


def test_overlapping_overrides_are_refused():
    existing = OverrideFactory(start=MONDAY)

    with pytest.raises(OverrideOverlap) as excinfo:
        services.override_create(
            rotation=existing.rotation,
            start=MONDAY + datetime.timedelta(hours=1),
            end=MONDAY + datetime.timedelta(hours=20),
            user=UserFactory(),
        )

    assert fields_of(excinfo) == {"start"}


def test_unavailability_needs_exactly_one_owner_and_a_sensible_end():
    with pytest.raises(ValidationError) as excinfo:
        services.unavailability_create(
            user=UserFactory(),
            team=TeamFactory(),
            start_date=datetime.date(2024, 1, 5),
            end_date=datetime.date(2024, 1, 4),
        )

    assert fields_of(excinfo) == {"user", "end_date"}


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (SupportPolicy.Model.ROTATING, "team_rotation"),
        (SupportPolicy.Model.DEDICATED, "dedicated_team"),
    ],
)
def test_support_policy_needs_the_fields_of_its_model(model, field):
    with pytest.raises(ValidationError) as excinfo:
        services.support_policy_create(name="Policy", model=model)

    assert fields_of(excinfo) == {field}


def test_rotating_policy_needs_a_team_rotation_not_a_person_one():
    with pytest.raises(ValidationError) as excinfo:
        services.support_policy_create(
            name="Policy", model=SupportPolicy.Model.ROTATING, team_rotation=RotationFactory()
        )

    assert fields_of(excinfo) == {"team_rotation"}


def test_there_is_at_most_one_default_policy():
    SupportPolicyFactory(name="Default")

    with pytest.raises(ValidationError) as excinfo:
        services.support_policy_create(name="Another default")

    assert fields_of(excinfo) == {"components"}


def test_a_component_is_named_by_at_most_one_policy():
    billing = ComponentFactory(slug="billing")
    SupportPolicyFactory(components=[billing])

    with pytest.raises(ValidationError) as excinfo:
        services.support_policy_create(name="Second", components=["billing"])

    assert excinfo.value.message_dict == {
        "components": [f"billing is already covered by policy {SupportPolicy.objects.get().name}."]
    }


def test_unknown_component_slug_is_named():
    with pytest.raises(ValidationError) as excinfo:
        services.support_policy_create(name="P", components=["nope"])

    assert excinfo.value.message_dict == {"components": ["Unknown component 'nope'."]}
