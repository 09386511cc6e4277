"""core.services: the field-applying helper every app's services share, and version tags.

Rows are a team (Payments) and a component (Billing, owned by Payments), read back from the
database after each call, so what is asserted is what was stored.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.services import apply_fields, model_update, version_touch
from ownership.models import CatalogVersion, Component, Team
from ownership.selectors import catalog_version
from rota.models import RotaVersion
from tests.ownership.factories import ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db

FIELDS = ("name", "description", "owner_team", "tier")


@pytest.fixture
def billing():
    payments = TeamFactory(name="Payments", slug="payments")
    return ComponentFactory(name="Billing", slug="billing", owner_team=payments)


def test_apply_fields_names_only_what_changed_and_compares_foreign_keys_by_id(
    billing, django_assert_num_queries
):
    payments = billing.owner_team
    other = TeamFactory(name="Other", slug="other")
    fresh = Component.objects.get(pk=billing.pk)  # owner_team not loaded
    # Same name, same owner (another copy of the row, same id), new description and owner id.
    with django_assert_num_queries(0):  # comparing a foreign key loads no row
        changed = apply_fields(fresh, FIELDS, {"name": "Billing", "owner_team": payments})
    assert changed == []
    changed = apply_fields(fresh, FIELDS, {"description": "Invoices", "owner_team": other})
    assert changed == ["description", "owner_team"]
    assert fresh.owner_team_id == other.pk
    # Nothing is saved by apply_fields.
    assert Component.objects.get(pk=billing.pk).description == ""


def test_apply_fields_refuses_a_field_the_service_does_not_edit(billing):
    with pytest.raises(TypeError, match="Unknown fields: effective_owner_team, slug"):
        apply_fields(billing, FIELDS, {"slug": "x", "effective_owner_team": None, "tier": 1})
    # Refused before anything is set.
    assert billing.tier == Component.Tier.STANDARD


def test_model_update_saves_the_changed_fields_and_says_so(billing):
    before = Component.objects.get(pk=billing.pk).updated_at
    row, changed = model_update(
        instance=billing, fields=FIELDS, data={"description": "Invoices and refunds"}
    )
    assert changed is True and row is billing
    stored = Component.objects.get(pk=billing.pk)
    assert stored.description == "Invoices and refunds"
    assert stored.updated_at > before  # auto_now columns are saved with the change


def test_model_update_without_a_change_writes_nothing(billing, django_assert_num_queries):
    # Other rows' writes to this one must survive: an unchanged update saves no column.
    Component.objects.filter(pk=billing.pk).update(runbook_url="https://runbooks.example/b")
    with django_assert_num_queries(0):
        row, changed = model_update(instance=billing, fields=FIELDS, data={"name": "Billing"})
    assert changed is False
    assert Component.objects.get(pk=billing.pk).runbook_url == "https://runbooks.example/b"


def test_model_update_saves_only_the_changed_columns(billing):
    # A concurrent write to a column this update does not change is kept (update_fields).
    Component.objects.filter(pk=billing.pk).update(runbook_url="https://runbooks.example/b")
    model_update(instance=billing, fields=FIELDS, data={"name": "Billing API"})
    stored = Component.objects.get(pk=billing.pk)
    assert (stored.name, stored.runbook_url) == ("Billing API", "https://runbooks.example/b")


def test_model_update_cleans_the_row_and_refuses_bad_input(billing):
    with pytest.raises(ValidationError) as refused:
        model_update(instance=billing, fields=FIELDS, data={"name": ""})
    assert list(refused.value.message_dict) == ["name"]
    assert Component.objects.get(pk=billing.pk).name == "Billing"


def test_model_update_refuses_a_field_outside_the_list(billing):
    with pytest.raises(TypeError, match="Unknown fields: slug"):
        model_update(instance=billing, fields=FIELDS, data={"slug": "payments-billing"})
    assert Component.objects.get(pk=billing.pk).slug == "billing"


@pytest.mark.parametrize(("model", "field"), [(RotaVersion, "tag"), (CatalogVersion, "version")])
def test_version_touch_writes_a_new_tag_each_time_creating_the_row(model, field):
    model.objects.all().delete()
    first = version_touch(model, field=field)
    second = version_touch(model, field=field)
    assert len(first) == 32 and first != second
    assert list(model.objects.values_list("pk", field)) == [(1, second)]


def test_catalog_touch_changes_the_tag_the_lookup_caches_compare(billing):
    from ownership.services import catalog_touch

    before = catalog_version()
    catalog_touch()
    assert catalog_version() not in ("", before)


def test_team_update_through_the_shared_helper_keeps_its_rules():
    # ownership's services apply fields with core.services.apply_fields: an unknown field is
    # refused, a known one stored.
    from ownership import services

    team = TeamFactory(name="Payments", slug="payments")
    with pytest.raises(TypeError, match="Unknown fields: members_count"):
        services.team_update(team=team, members_count=3)
    services.team_update(team=team, description="Takes the money")
    assert Team.objects.get(pk=team.pk).description == "Takes the money"
    assert timezone.now() - Team.objects.get(pk=team.pk).updated_at < datetime.timedelta(minutes=1)
