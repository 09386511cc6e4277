from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ownership import selectors, services
from ownership.models import Component, OwnershipPeriod

from .factories import ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_component_without_owner_inherits_from_nearest_ancestor():
    payments = TeamFactory(slug="payments")
    area = ComponentFactory(slug="billing", kind="area", owner_team=payments)
    api = ComponentFactory(slug="billing-api", parent=area, owner_team=None)
    worker = ComponentFactory(slug="billing-worker", parent=api, owner_team=None)

    assert api.effective_owner_team == payments
    assert worker.effective_owner_team == payments
    assert list(selectors.components_owned_by(team=payments).order_by("slug")) == [
        area,
        api,
        worker,
    ]


def test_changing_an_area_owner_moves_inheriting_children_but_not_owned_ones():
    old, new, other = TeamFactory(), TeamFactory(), TeamFactory()
    area = ComponentFactory(kind="area", owner_team=old)
    inheriting = ComponentFactory(parent=area, owner_team=None)
    owned = ComponentFactory(parent=area, owner_team=other)

    services.component_update(component=area, owner_team=new)

    inheriting.refresh_from_db()
    owned.refresh_from_db()
    assert inheriting.effective_owner_team == new
    assert owned.effective_owner_team == other


def test_component_with_no_owner_anywhere_has_no_effective_owner():
    orphan = ComponentFactory(owner_team=None)
    assert orphan.effective_owner_team is None
    assert OwnershipPeriod.objects.get(component=orphan).team is None


def test_ownership_change_is_recorded_not_overwritten():
    old, new = TeamFactory(), TeamFactory()
    past = timezone.now() - timedelta(days=30)
    component = ComponentFactory(owner_team=old, at=past)

    services.component_update(component=component, owner_team=new, note="re-org")

    periods = list(OwnershipPeriod.objects.filter(component=component).order_by("valid_from"))
    assert [(p.team, p.valid_to is None) for p in periods] == [(old, False), (new, True)]
    assert periods[0].valid_to == periods[1].valid_from
    assert periods[1].note == "re-org"
    assert selectors.component_owner_at(component=component, at=timezone.now()).team == new
    ten_days_ago = timezone.now() - timedelta(days=10)
    assert selectors.component_owner_at(component=component, at=ten_days_ago).team == old
    before = past - timedelta(days=1)
    assert selectors.component_owner_at(component=component, at=before) is None


def test_inherited_components_get_history_when_their_ancestor_changes_owner():
    old, new = TeamFactory(), TeamFactory()
    area = ComponentFactory(kind="area", owner_team=old, at=timezone.now() - timedelta(days=5))
    child = ComponentFactory(parent=area, owner_team=None, at=timezone.now() - timedelta(days=5))

    services.component_update(component=area, owner_team=new)

    periods = list(child.ownership_periods.order_by("valid_from"))
    assert [(p.team, p.inherited) for p in periods] == [(old, True), (new, True)]


def test_inherited_ownership_becoming_direct_is_recorded():
    team = TeamFactory()
    area = ComponentFactory(kind="area", owner_team=team, at=timezone.now() - timedelta(days=5))
    child = ComponentFactory(parent=area, owner_team=None, at=timezone.now() - timedelta(days=5))

    services.component_update(component=child, owner_team=team)

    periods = list(child.ownership_periods.order_by("valid_from"))
    assert [(p.team, p.inherited) for p in periods] == [(team, True), (team, False)]


def test_a_component_cannot_be_its_own_ancestor():
    area = ComponentFactory(kind="area")
    child = ComponentFactory(parent=area)
    grandchild = ComponentFactory(parent=child)

    with pytest.raises(ValidationError) as exc:
        services.component_update(component=area, parent=grandchild)
    assert "parent" in exc.value.message_dict
    assert "cycle" in exc.value.message_dict["parent"][0]
    area.refresh_from_db()
    assert area.parent is None

    with pytest.raises(ValidationError) as exc:
        services.component_update(component=area, parent=area)
    assert "parent" in exc.value.message_dict


def test_a_path_glob_belongs_to_one_component():
    first = ComponentFactory(paths=["/billing/"])
    second = ComponentFactory()
    with pytest.raises(ValidationError) as exc:
        services.component_set_paths(component=second, patterns=["/billing/"])
    assert first.slug in exc.value.message_dict["paths"][0]


def test_invalid_globs_are_refused_with_the_pattern_named():
    component = ComponentFactory()
    with pytest.raises(ValidationError) as exc:
        services.component_set_paths(component=component, patterns=["ok/", "!negated"])
    assert exc.value.message_dict["paths"][0].startswith("!negated")
    assert component.paths.count() == 0


def test_team_that_owns_components_cannot_be_deleted():
    team = TeamFactory()
    ComponentFactory(owner_team=team)
    with pytest.raises(ValidationError):
        services.team_delete(team=team)


def test_unknown_timezone_is_refused_on_the_field():
    with pytest.raises(ValidationError) as exc:
        services.team_create(name="X", slug="x", timezone="Mars/Olympus")
    assert "timezone" in exc.value.message_dict


def test_deleting_a_component_with_children_is_refused():
    area = ComponentFactory(kind="area")
    ComponentFactory(parent=area)
    with pytest.raises(ValidationError):
        services.component_delete(component=area)
    assert Component.objects.filter(pk=area.pk).exists()
