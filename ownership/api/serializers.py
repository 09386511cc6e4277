from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from core.input_guards import SlugRelatedField
from core.permissions import can_manage_team
from core.timebounds import validate_in_bounds

from ..models import Component, Membership, OwnershipPeriod, Team
from ..paths import GlobError, canonical_pattern, normalise_path
from ..validators import normalise_public_holidays, validate_glob, validate_timezone

User = get_user_model()


class MemberSerializer(serializers.Serializer):
    username = SlugRelatedField(
        slug_field="username", source="user", queryset=User.objects.filter(is_active=True)
    )
    role = serializers.ChoiceField(choices=Membership.Role.choices, default="engineer")


class TeamSerializer(serializers.ModelSerializer):
    members = MemberSerializer(many=True, source="memberships", required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    triage_day = serializers.ChoiceField(
        choices=Team.Weekday.choices,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="Day of the weekly bug triage meeting (monday ... sunday); empty for none.",
    )
    triage_time = serializers.TimeField(
        format="%H:%M",
        input_formats=["%H:%M", "%H:%M:%S"],
        allow_null=True,
        required=False,
        help_text="HH:MM in the team's time zone at which the triage meeting starts.",
    )

    class Meta:
        model = Team
        fields = [
            "slug",
            "name",
            "kind",
            "description",
            "email",
            "chat_channel",
            "chat_webhook_url",
            "timezone",
            "public_holidays",
            "triage_day",
            "triage_time",
            "members",
        ]
        extra_kwargs = {"public_holidays": {"validators": []}}

    def validate_public_holidays(self, value):
        try:
            return normalise_public_holidays(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate_triage_day(self, value):
        return value or ""  # null and "" both mean: no triage meeting

    def validate_members(self, members):
        seen = set()
        for member in members:
            if member["user"].pk in seen:
                raise serializers.ValidationError(f"{member['user'].username} is listed twice.")
            seen.add(member["user"].pk)
        return members

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # A chat webhook URL is a credential: only the team's managers and rota admins see it.
        if request is None or not can_manage_team(request, instance.pk):
            data.pop("chat_webhook_url", None)
        return data


class PatternField(serializers.CharField):
    """One path glob, put in its stored form (``ownership.paths.canonical_pattern``).

    Spaces need no backslash here (``/guides/Getting Started.md``); ``\\!`` and ``\\#``
    start a name with ``!`` or ``#``, while a bare leading ``!`` (negation) is refused.
    Whitespace is not trimmed first, so an escaped trailing space (``notes\\ ``) survives.
    """

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, max_length=300, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return canonical_pattern(value)
        except GlobError as exc:
            raise serializers.ValidationError(str(exc)) from None


class PathListField(serializers.ListField):
    child = PatternField(validators=[validate_glob])

    def get_attribute(self, instance):
        return instance

    def to_representation(self, value):
        return [p.pattern for p in value.paths.all()]


class ComponentSerializer(serializers.ModelSerializer):
    parent = SlugRelatedField(
        slug_field="slug", queryset=Component.objects.all(), allow_null=True, required=False
    )
    owner_team = SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        help_text="Slug of the owning team; null to inherit the parent's.",
    )
    effective_owner_team = SlugRelatedField(slug_field="slug", read_only=True)
    paths = PathListField(required=False, help_text="CODEOWNERS-style globs.")

    class Meta:
        model = Component
        fields = [
            "slug",
            "name",
            "kind",
            "description",
            "parent",
            "owner_team",
            "effective_owner_team",
            "tier",
            "paths",
            "repository_url",
            "runbook_url",
            "dashboard_url",
        ]


class OwnershipPeriodSerializer(serializers.ModelSerializer):
    team = SlugRelatedField(slug_field="slug", read_only=True)
    changed_by = SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = OwnershipPeriod
        fields = ["team", "inherited", "valid_from", "valid_to", "changed_by", "note"]


class InstantQuerySerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False,
        validators=[validate_in_bounds],
        help_text="ISO 8601 instant with an offset; a bare date means 00:00 UTC that day "
        "(2000-01-01 to 2100-12-31).",
    )

    def to_internal_value(self, data):
        data = data.copy()
        value = data.get("at")
        if isinstance(value, str) and len(value) == 10:
            data["at"] = f"{value}T00:00:00+00:00"
        elif isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                # A bare local time is ambiguous: refuse it rather than guess UTC.
                raise serializers.ValidationError(
                    {
                        "at": [
                            "Give the time with a UTC offset, e.g. 2025-03-31T09:00:00+01:00 or …Z."
                        ]
                    }
                )
        return super().to_internal_value(data)


class PathQuerySerializer(InstantQuerySerializer):
    path = serializers.CharField(
        max_length=1000,
        trim_whitespace=False,  # a file name may end with a space
        help_text="A file path in a repository.",
    )

    def validate_path(self, value: str) -> str:
        # What is left once line breaks, "./" and leading slashes go is what gets matched.
        if not normalise_path(value):
            raise serializers.ValidationError("Give a file path, e.g. billing/api/invoices.py.")
        return value


class PathOwnershipSerializer(serializers.Serializer):
    path = serializers.CharField()
    matched_pattern = serializers.CharField(source="pattern")
    component = ComponentSerializer()
    effective_owner_team = serializers.CharField(
        source="component.effective_owner_team.slug", read_only=True, allow_null=True
    )
