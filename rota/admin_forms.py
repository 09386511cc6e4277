"""Admin forms of the rota: they show the domain services' own errors on the form.

A form whose rules live in a service (overlaps, a component covered twice) validates by
running that service in a transaction that is always rolled back (:func:`dry_run`); the
admin then saves through the same service for real. So the manager sees exactly the message
the API would give, on the field at fault, and nothing is written until the whole page is valid.
"""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import (
    AdminDateWidget,
    AdminSplitDateTime,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ownership.models import Component

from . import services
from .models import Override, Rotation, Shift, SupportPolicy
from .timeutil import UTC, local_to_utc, zone
from .weekly import parse_windows_text, windows_text


class _RolledBack(Exception):
    """Raised inside :func:`dry_run` to undo a service call that succeeded."""


def dry_run(call) -> None:
    """Run ``call`` (a service) and undo its writes; let its ValidationError through."""
    try:
        with transaction.atomic():
            call()
            raise _RolledBack
    except _RolledBack:
        pass


class ServiceCheckedForm(forms.ModelForm):
    """A ModelForm that, once the fields are valid, asks the domain service too."""

    def service_check(self) -> None:
        """Call the service that will save this form, inside :func:`dry_run`."""
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.service_check()
        except ValidationError as exc:
            self.add_service_errors(exc)

    service_field_names: dict = {}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put each message on its field; messages about fields not on the form go on top."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            name = self.service_field_names.get(name, name)
            self.add_error(name if name in self.fields else None, errors)


def pick(cleaned: dict, names) -> dict:
    return {name: cleaned[name] for name in names if name in cleaned}


SHIFT_FIELDS = ("start", "end", "team", "user", "note")
OVERRIDE_FIELDS = ("start", "end", "user", "team", "reason")


class LocalDateTimeField(forms.SplitDateTimeField):
    """A date and a time typed and shown as wall-clock time in ``self.zone`` (UTC until set).

    Cleaning gives the naive local datetime; the form turns it into an instant once it knows
    the zone (:class:`RotationTimesForm`), so that an add form can read the times in the zone
    of the rotation chosen on the same page.
    """

    widget = AdminSplitDateTime

    def __init__(self, **kwargs):
        self.zone = UTC
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return value.astimezone(self.zone).replace(tzinfo=None)
        return value

    def compress(self, data_list):
        if not data_list:
            return None
        day, time = data_list
        if day in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if time in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.datetime.combine(day, time)

    def has_changed(self, initial, data):
        # Compare what the manager saw (local) with what came back, not UTC with local.
        return super().has_changed(self.prepare_value(initial), data)


class RotationTimesForm(ServiceCheckedForm):
    """A shift or override form whose start and end are in the rotation's time zone.

    The zone is the saved row's rotation's, or on an add form the rotation picked on the page
    (or passed as ``?rotation=<id>``). Local times are turned into instants with the rota's
    DST rule (:func:`rota.timeutil.local_to_utc`): a time skipped when the clocks go forward
    is the instant they jump, a repeated one its first occurrence.
    """

    start = LocalDateTimeField()
    end = LocalDateTimeField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rotation = self._known_rotation()
        for name in ("start", "end"):
            field = self.fields[name]
            if rotation is not None:
                field.zone = zone(rotation.timezone)
                field.help_text = f"Local time in {rotation.timezone}, the rotation's time zone."
            else:
                field.help_text = "Local time in the time zone of the rotation chosen above."

    def _known_rotation(self):
        if self.instance.pk is not None and self.instance.rotation_id is not None:
            return self.instance.rotation
        if "rotation" not in self.fields:
            return None
        key = self["rotation"].data if self.is_bound else self.initial.get("rotation")
        if isinstance(key, Rotation):
            return key
        try:
            return Rotation.objects.filter(pk=int(key)).first() if key else None
        except (TypeError, ValueError):
            return None

    def _instant(self, name):
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        if self.instance.pk is not None:
            rotation = self.instance.rotation
        else:
            rotation = self.cleaned_data.get("rotation")
        # Without a valid rotation the form is refused anyway; UTC keeps the value aware.
        tz = zone(rotation.timezone) if rotation is not None else UTC
        return local_to_utc(value, tz)

    def clean_start(self):
        return self._instant("start")

    def clean_end(self):
        return self._instant("end")


class ShiftAdminForm(RotationTimesForm):
    class Meta:
        model = Shift
        fields = ["rotation", *SHIFT_FIELDS]

    def service_check(self):
        data = pick(self.cleaned_data, SHIFT_FIELDS)
        if self.instance.pk is None:
            rotation = self.cleaned_data["rotation"]
            dry_run(lambda: services.shift_create(rotation=rotation, **data))
        else:
            current = Shift.objects.get(pk=self.instance.pk)
            dry_run(lambda: services.shift_update(shift=current, **data))


class OverrideAdminForm(RotationTimesForm):
    class Meta:
        model = Override
        fields = ["rotation", *OVERRIDE_FIELDS]

    def service_check(self):
        data = pick(self.cleaned_data, OVERRIDE_FIELDS)
        if self.instance.pk is None:
            rotation = self.cleaned_data["rotation"]
            dry_run(lambda: services.override_create(rotation=rotation, **data))
        else:
            current = Override.objects.get(pk=self.instance.pk)
            dry_run(lambda: services.override_update(override=current, **data))


POLICY_FIELDS = ("name", "description", "model", "team_rotation", "dedicated_team")


class SupportPolicyAdminForm(ServiceCheckedForm):
    # Not named "components": that model field has its own through model, which the admin
    # refuses in a form; the service writes the links.
    covered_components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(),
        required=False,
        label="Components",
        widget=AutocompleteSelectMultiple(SupportPolicy._meta.get_field("components"), admin.site),
        help_text="Components this policy covers, with everything inside them. "
        "Leave empty for the organisation's default policy (only one may be the default).",
    )

    service_field_names = {"components": "covered_components"}

    class Meta:
        model = SupportPolicy
        fields = [
            *POLICY_FIELDS,
            "first_line_rotation",
            "owner_paging",
            "first_line_window_minutes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["covered_components"] = [
                link.component_id for link in self.instance.component_links.all()
            ]

    def service_data(self) -> dict:
        return pick(
            self.cleaned_data,
            [*POLICY_FIELDS, "first_line_rotation", "owner_paging", "first_line_window_minutes"],
        )

    def service_check(self):
        data = self.service_data()
        components = list(self.cleaned_data.get("covered_components") or ())
        if self.instance.pk is None:
            dry_run(lambda: services.support_policy_create(components=components, **data))
        else:
            current = SupportPolicy.objects.get(pk=self.instance.pk)
            dry_run(
                lambda: services.support_policy_update(
                    policy=current, components=components, **data
                )
            )


class WeeklyWindowsField(forms.CharField):
    """A rotation's weekly windows as text, one a line: ``Mon 09:00 - Fri 17:00``.

    Cleans to the stored list of dicts (see :mod:`rota.weekly`); a bad line is refused naming
    its number.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "cols": 30}))
        kwargs.setdefault(
            "help_text",
            'Restriction "Weekly windows" only: one window a line, local to the rotation, '
            "e.g. <code>Mon 09:00 - Fri 17:00</code> or <code>Sat 20:00 - Mon 08:00</code> "
            "(a window ending at or before its start wraps over the weekend). Public holidays "
            "do not switch these windows off.",
        )
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return windows_text(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return parse_windows_text(super().to_python(value) or "")


class ParticipantFormSet(forms.BaseInlineFormSet):
    """Check the turn order as the rotation service will: right kind, nobody twice."""

    def clean(self):
        super().clean()
        rotation = self.instance
        seen, errors = set(), []
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if rows and rotation.follows_team_rotation_id is not None:
            raise ValidationError(
                "This rotation takes its people from the team on support; "
                "remove its participants or stop following the team rotation."
            )
        for row in rows:
            team, user = row.get("team"), row.get("user")
            if (team is None) == (user is None):
                errors.append("Each place in the turn order names a team or a person (one).")
                continue
            if rotation.kind == Rotation.Kind.TEAM and user is not None:
                errors.append(f"{user} is a person; teams take the turns of a team rotation.")
            if rotation.kind == Rotation.Kind.PERSON and team is not None:
                errors.append(f"{team} is a team; people take the turns of a person rotation.")
            key = team or user
            if key in seen:
                errors.append(f"{key} is listed twice.")
            seen.add(key)
        if errors:
            raise ValidationError(errors)

    def ordered_participants(self) -> list:
        """Return the teams or people in turn order (position, then order on the page)."""
        rows = [
            (form.cleaned_data.get("position") or 0, index, form.cleaned_data)
            for index, form in enumerate(self.forms)
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        rows.sort(key=lambda row: (row[0], row[1]))
        return [data.get("team") or data.get("user") for _, _, data in rows]


class GenerateForm(forms.Form):
    """Ask until when to generate shifts."""

    until = forms.DateField(
        widget=AdminDateWidget,
        help_text="Create the missing shifts that start up to this day (inclusive). "
        "Hand-edited shifts are kept; future unedited ones are re-dealt.",
    )

    MAX_DAYS = 366 * 5

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until > timezone.localdate() + datetime.timedelta(days=self.MAX_DAYS):
            raise ValidationError("Generate at most five years ahead.")
        return until
