from rest_framework import serializers

from ..models import NotificationPreference
from ..recipients import recipient_for


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    """A person's notification preferences; times of day as HH:MM in their own time zone."""

    lead_times = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        help_text="Minutes before a shift starts at which to send a reminder, e.g. [1440, 60].",
    )
    quiet_hours_start = serializers.TimeField(
        format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], allow_null=True, required=False
    )
    quiet_hours_end = serializers.TimeField(
        format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], allow_null=True, required=False
    )
    email = serializers.EmailField(source="user.email", read_only=True)
    effective_timezone = serializers.SerializerMethodField(
        help_text="The time zone messages use: the one set here, else the person's team's."
    )

    class Meta:
        model = NotificationPreference
        fields = [
            "email",
            "email_enabled",
            "chat_enabled",
            "chat_webhook_url",
            "lead_times",
            "quiet_hours_start",
            "quiet_hours_end",
            "timezone",
            "effective_timezone",
            "capacity_alerts",
            "triage_agenda",
            "timebox_alerts",
            "feed_busy",
        ]

    def get_effective_timezone(self, obj) -> str:
        recipient = recipient_for(obj.user)
        return recipient.tz.key if recipient else "UTC"
