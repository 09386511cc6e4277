"""Serializers of the personal rota API: swap requests, leave and its iCalendar import."""

from rest_framework import serializers

from core.input_guards import SlugRelatedField

from ..models import (
    Shift,
    SwapRequest,
    Unavailability,
)
from .fields import reason_for, team_field, user_field

MAX_ICS_BYTES = 5 * 1024 * 1024

# --- Swaps ----------------------------------------------------------------------------------


class SwapSerializer(serializers.ModelSerializer):
    shift = serializers.PrimaryKeyRelatedField(queryset=Shift.objects.select_related("rotation"))
    rotation = serializers.IntegerField(source="shift.rotation_id", read_only=True)
    shift_start = serializers.DateTimeField(source="shift.start", read_only=True)
    shift_end = serializers.DateTimeField(source="shift.end", read_only=True)
    offered_by = SlugRelatedField(slug_field="username", read_only=True)
    taken_by = SlugRelatedField(slug_field="username", read_only=True)
    approved_by = SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SwapRequest
        fields = [
            "id",
            "shift",
            "rotation",
            "shift_start",
            "shift_end",
            "offered_by",
            "taken_by",
            "status",
            "requires_approval",
            "approved_by",
            "message",
            "created_at",
            "taken_at",
            "closed_at",
        ]
        read_only_fields = ["status", "requires_approval", "created_at", "taken_at", "closed_at"]
        # "One open offer per shift" is the service's rule, with a clearer message.
        validators = []


# --- Unavailability -------------------------------------------------------------------------


class UnavailabilitySerializer(serializers.ModelSerializer):
    user = user_field(help_text="The person away (default: you, unless a team is given).")
    team = team_field(help_text="The team away (e.g. its public holidays).")
    # Nullable because it is read back as null to people who may not read it; null written is
    # taken as "" (no reason), so a client may send back what it read.
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=Unavailability._meta.get_field("reason").max_length,
        help_text="Why (optional). Read back only by the person, managers of their "
        "teams and staff; others get null. A team's entry's reason is read by everyone. "
        "null written means no reason.",
    )

    class Meta:
        model = Unavailability
        fields = ["id", "user", "team", "start_date", "end_date", "reason", "kind", "source"]
        read_only_fields = ["source"]

    def validate_reason(self, reason):
        return reason or ""

    def to_representation(self, entry):
        data = super().to_representation(entry)
        data["reason"] = reason_for(self.context, entry)
        return data


class UnavailabilityImportSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="An .ics file (multipart upload).")
    url = serializers.CharField(
        required=False, max_length=2000, help_text="An http(s) or webcal:// calendar address."
    )
    user = user_field(help_text="Whose leave it is (default: you).")
    team = team_field(help_text="A team you manage, for its public holidays or team leave.")
    # A plain string here: the same enum in two schema components would clash in OpenAPI.
    kind = serializers.CharField(
        default=Unavailability.Kind.LEAVE, help_text="leave (default) or public_holiday"
    )
    prune = serializers.BooleanField(
        default=False,
        help_text="Delete entries imported before from the same calendar whose events are gone.",
    )
    calendar = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Which calendar this is (default: the url, else the file's X-WR-CALNAME); "
        "needed with prune for a file that has no name.",
    )

    def validate_kind(self, kind):
        if kind not in Unavailability.Kind.values:
            raise serializers.ValidationError(
                f"Choose one of: {', '.join(Unavailability.Kind.values)}."
            )
        return kind

    def validate_file(self, upload):
        if upload.size > MAX_ICS_BYTES:
            raise serializers.ValidationError("The calendar is larger than 5 MB.")
        return upload

    def validate(self, attrs):
        if ("file" in attrs) == bool(attrs.get("url")):
            raise serializers.ValidationError({"file": "Upload a file or give a url (one)."})
        if attrs.get("user") is not None and attrs.get("team") is not None:
            raise serializers.ValidationError({"team": "Give a person or a team, not both."})
        return attrs


class SkippedEventSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        allow_null=True, help_text="Line of the event's BEGIN:VEVENT in the file."
    )
    uid = serializers.CharField(help_text="The event's UID (empty when it has none).")
    summary = serializers.CharField()
    reason = serializers.CharField(help_text="Why the event was not recorded.")


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    deleted = serializers.IntegerField()
    skipped = SkippedEventSerializer(many=True, help_text="Events not recorded, with why.")
