"""Serializers of the rota API: the field names of DESIGN §4, and the shape of the input.

They turn identifiers (slugs, usernames, ids) into objects and refuse malformed input; the
rules of the rota (overlaps, the fields a support model needs, swap states) are checked by the
domain services, whose ValidationErrors reach the client as 400 {field: [messages]}.
"""

import datetime

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.input_guards import SlugRelatedField
from core.timebounds import validate_in_bounds
from ownership.models import Team
from ownership.validators import validate_timezone

from ..models import (
    Override,
    Rotation,
    RoutingSettings,
    Shift,
    SprintCalendar,
    SupportPolicy,
)
from ..selectors.leave import shift_leave_clashes
from ..weekly import window_errors
from .fields import AwareDateTimeField, hh_mm_field, reason_for, team_field, user_field

User = get_user_model()

MAX_GENERATE_DAYS = 366 * 5
MAX_SPRINTS_LISTED = 520


# --- Sprint calendars -----------------------------------------------------------------------


class SprintSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="Last day of the sprint (inclusive).")


def sprint_data(calendar: SprintCalendar, number: int) -> dict:
    start, end = calendar.sprint_dates(number)
    return {"number": number, "start_date": start, "end_date": end}


class SprintCalendarSerializer(serializers.ModelSerializer):
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    current_sprint = serializers.SerializerMethodField()

    class Meta:
        model = SprintCalendar
        fields = ["id", "name", "start_date", "length_days", "timezone", "current_sprint"]

    def get_current_sprint(self, calendar) -> SprintSerializer:
        today = datetime.datetime.now(datetime.UTC).date()
        return SprintSerializer(sprint_data(calendar, calendar.sprint_number(today))).data


class SprintQuerySerializer(serializers.Serializer):
    """Query of ``/sprint-calendars/{id}/sprints/``: the sprints overlapping [from, to]."""

    # Days outside 2000-2100 are refused: a sprint number past year 9999 has no date.
    to = serializers.DateField(
        required=False,
        help_text="Last day (default: from + 6 sprints).",
        validators=[validate_in_bounds],
    )

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a keyword in Python, so the field is added by name.
        fields["from"] = serializers.DateField(
            required=False, help_text="Default: today.", validators=[validate_in_bounds]
        )
        return fields

    def validate(self, attrs):
        calendar = self.context["calendar"]
        first = attrs.get("from") or datetime.datetime.now(datetime.UTC).date()
        last = attrs.get("to") or first + datetime.timedelta(days=6 * calendar.length_days)
        if last < first:
            raise serializers.ValidationError({"to": "The end cannot be before the start."})
        low, high = calendar.sprint_number(first), calendar.sprint_number(last)
        if high - low >= MAX_SPRINTS_LISTED:
            raise serializers.ValidationError(
                {"to": f"Ask for at most {MAX_SPRINTS_LISTED} sprints at a time."}
            )
        return {"numbers": range(low, high + 1)}


# --- Rotations ------------------------------------------------------------------------------


class ShiftLengthSerializer(serializers.Serializer):
    unit = serializers.ChoiceField(choices=Rotation.Unit.choices, source="shift_length_unit")
    count = serializers.IntegerField(min_value=1, max_value=1000, source="shift_length_count")


class ParticipantsField(serializers.ListField):
    """The turn order: team slugs (team rotations) or usernames (person rotations)."""

    child = serializers.CharField(max_length=150)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, rotation):
        return [
            p.team.slug if p.team_id else p.user.username
            for p in sorted(rotation.participants.all(), key=lambda p: (p.position, p.pk))
        ]


class RotationSerializer(serializers.ModelSerializer):
    restriction_windows = serializers.JSONField(
        required=False,
        help_text=(
            'Weekly windows (restriction "weekly"), local to the rotation: a list of '
            '{"from_day": 1-7 (Monday = 1), "from": "HH:MM", "to_day": 1-7, "to": "HH:MM"}; '
            "a window ending at or before its start wraps over the week's end; holidays do "
            "not switch them off. Empty for other restrictions."
        ),
    )
    participants = ParticipantsField(
        required=False,
        help_text="Team slugs (team rotations) or usernames, in turn order; replaces the order.",
    )
    shift_length = ShiftLengthSerializer(source="*", required=False)
    handoff_time = hh_mm_field(required=False)
    business_hours_start = hh_mm_field(required=False)
    business_hours_end = hh_mm_field(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    sprint_calendar = serializers.PrimaryKeyRelatedField(
        queryset=SprintCalendar.objects.all(), allow_null=True, required=False
    )
    team = team_field(help_text="The team a person rotation belongs to.")
    follows_team_rotation = serializers.PrimaryKeyRelatedField(
        queryset=Rotation.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Rotation
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "participants",
            "shift_length",
            "handoff_time",
            "timezone",
            "start_date",
            "sprint_calendar",
            "team",
            "role",
            "restriction",
            "business_hours_start",
            "business_hours_end",
            "restriction_windows",
            "layer",
            "follows_team_rotation",
            "fairness",
            "horizon_weeks",
            "swaps_require_approval",
            "active",
        ]

    def validate_restriction_windows(self, windows):
        problems = window_errors(windows)
        if problems:
            raise serializers.ValidationError(problems)
        return windows

    def validate(self, attrs):
        kind = attrs.get("kind") or getattr(self.instance, "kind", None) or "person"
        if "participants" in attrs:
            attrs["participants"] = self._resolve(kind, attrs["participants"])
        elif (
            self.instance is not None
            and kind != self.instance.kind
            and self.instance.participants.exists()
        ):
            # The old turn order names teams where people are now wanted, or the reverse.
            raise serializers.ValidationError(
                {"participants": "Give the new turn order when changing the kind."}
            )
        return attrs

    @staticmethod
    def _resolve(kind, names):
        """Turn slugs or usernames into teams or users, naming every unknown one."""
        model, field, label = (
            (Team, "slug", "team") if kind == Rotation.Kind.TEAM else (User, "username", "user")
        )
        found = {getattr(o, field): o for o in model.objects.filter(**{f"{field}__in": names})}
        errors, seen = [], set()
        for name in names:
            if name not in found:
                errors.append(f"Unknown {label} {name!r}.")
            elif name in seen:
                errors.append(f"{name} is listed twice.")
            seen.add(name)
        if errors:
            raise serializers.ValidationError({"participants": errors})
        return [found[name] for name in names]


class GenerateSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="Create the shifts that start up to this day.")

    def validate_until(self, until):
        limit = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(
            days=MAX_GENERATE_DAYS
        )
        if until > limit:
            raise serializers.ValidationError("Generate at most five years ahead.")
        return until


class GenerateResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Future unedited shifts re-dealt in place.")
    deleted = serializers.IntegerField()
    conflicts = serializers.IntegerField(help_text="Shifts given to someone on leave.")


# --- Shifts and overrides -------------------------------------------------------------------


class LeaveClashSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Start of the stretch away without a cover.")
    end = serializers.DateTimeField()
    start_date = serializers.DateField(source="unavailability.start_date")
    end_date = serializers.DateField(source="unavailability.end_date")
    reason = serializers.SerializerMethodField(
        help_text="The leave's reason; null unless it is yours, you manage the person, or "
        "you are staff."
    )

    def get_reason(self, clash) -> str | None:
        return reason_for(self.context, clash.unavailability)


class ShiftSerializer(serializers.ModelSerializer):
    """A shift; ``leave_conflict`` says whether its holder is away for part of it uncovered.

    The view passes ``leave_clashes`` (shift id -> clashes, see
    :func:`rota.selectors.shift_leave_clashes`) for a page; a single shift works them out.
    """

    rotation = serializers.PrimaryKeyRelatedField(queryset=Rotation.objects.all())
    rotation_name = serializers.CharField(source="rotation.name", read_only=True)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    team = team_field()
    user = user_field()
    leave_conflict = serializers.SerializerMethodField(
        help_text="True when the holder is away (leave) for part of the shift and nobody covers."
    )
    leave_conflicts = serializers.SerializerMethodField(
        help_text="The stretches of the shift its holder is away without a cover, with the leave."
    )

    class Meta:
        model = Shift
        fields = [
            "id",
            "rotation",
            "rotation_name",
            "start",
            "end",
            "team",
            "user",
            "edited",
            "sequence",
            "note",
            "leave_conflict",
            "leave_conflicts",
        ]
        read_only_fields = ["edited", "sequence"]

    def _clashes(self, shift) -> list:
        known = self.context.get("leave_clashes")
        if known is None:
            known = shift_leave_clashes([shift])
        return known.get(shift.pk, [])

    def get_leave_conflict(self, shift) -> bool:
        return bool(self._clashes(shift))

    @extend_schema_field(LeaveClashSerializer(many=True))
    def get_leave_conflicts(self, shift) -> list:
        clashes = self._clashes(shift)
        if not clashes:
            return []  # most shifts: no serializer built for nothing (a page has 50 to 500)
        return LeaveClashSerializer(clashes, many=True, context=self.context).data

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["rotation"].read_only = True  # a shift does not move between rotations
        return fields


class OverrideSerializer(serializers.ModelSerializer):
    rotation = serializers.PrimaryKeyRelatedField(queryset=Rotation.objects.all())
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    user = user_field(help_text="Who covers (person rotations).")
    team = team_field(help_text="The team that covers (team rotations).")
    created_by = SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Override
        fields = ["id", "rotation", "user", "team", "start", "end", "reason", "created_by"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["rotation"].read_only = True
        return fields


# --- Support policies -----------------------------------------------------------------------


class ComponentSlugsField(serializers.ListField):
    """The slugs of the components a policy names; empty means the organisation's default."""

    child = serializers.SlugField(max_length=100)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, policy):
        return [link.component.slug for link in policy.component_links.all()]


class SupportPolicySerializer(serializers.ModelSerializer):
    components = ComponentSlugsField(required=False)
    team_rotation = serializers.PrimaryKeyRelatedField(
        queryset=Rotation.objects.all(), allow_null=True, required=False
    )
    dedicated_team = team_field()
    first_line_rotation = serializers.PrimaryKeyRelatedField(
        queryset=Rotation.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = SupportPolicy
        fields = [
            "id",
            "name",
            "description",
            "model",
            "components",
            "team_rotation",
            "dedicated_team",
            "first_line_rotation",
            "owner_paging",
            "first_line_window_minutes",
        ]


class RoutingSettingsSerializer(serializers.ModelSerializer):
    fallback_rotation = serializers.PrimaryKeyRelatedField(
        queryset=Rotation.objects.all(),
        allow_null=True,
        required=False,
        help_text="Id of the person rotation paged when routing finds nobody on call.",
    )
    fallback_team = team_field(
        help_text="Slug of the team used when the fallback rotation has nobody on duty."
    )

    class Meta:
        model = RoutingSettings
        fields = ["fallback_rotation", "fallback_team", "cover_check_max_tier", "updated_at"]
        read_only_fields = ["updated_at"]
