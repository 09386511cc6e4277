"""The portal form in which a person sets their notification preferences."""

import re

from django import forms

from core.netsafety import validate_webhook_url

from .models import NotificationPreference

UNITS = {"d": 24 * 60, "h": 60, "m": 1, "": 1}
PART = re.compile(r"^\s*(\d+)\s*([dhm]?)\s*$")


def format_lead_times(minutes: list[int]) -> str:
    """Write lead times the way people say them: "1d, 1h, 15m"."""
    parts = []
    for value in minutes:
        for unit in ("d", "h"):
            if value % UNITS[unit] == 0:
                parts.append(f"{value // UNITS[unit]}{unit}")
                break
        else:
            parts.append(f"{value}m")
    return ", ".join(parts)


def parse_lead_times(text: str) -> list[int]:
    """Read "24h, 1h, 15m" (or plain minutes) as a list of minutes."""
    minutes = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        match = PART.match(part.lower())
        if match is None:
            raise forms.ValidationError(
                f"{part.strip()!r} is not a lead time; write e.g. 1d, 24h, 1h or 15m."
            )
        minutes.append(int(match.group(1)) * UNITS[match.group(2)])
    if not minutes:
        raise forms.ValidationError("Give at least one lead time.")
    return minutes


class LeadTimesField(forms.CharField):
    def prepare_value(self, value):
        if isinstance(value, list):
            return format_lead_times(value)
        return value

    def to_python(self, value):
        return parse_lead_times(super().to_python(value) or "")


class WebhookURLField(forms.URLField):
    """A URL field checked by core.netsafety.validate_webhook_url alone, so a refused
    address gets one message saying why (not also "Enter a valid URL.")."""

    default_validators = [validate_webhook_url]


class NotificationPreferenceForm(forms.ModelForm):
    chat_webhook_url = WebhookURLField(
        label="Personal chat webhook",
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"size": 60}),
        help_text="Slack-compatible incoming webhook that reaches you directly.",
    )
    lead_times = LeadTimesField(
        label="Remind me before a shift",
        help_text="Comma-separated, e.g. 1d, 1h, 15m.",
    )

    class Meta:
        model = NotificationPreference
        fields = [
            "email_enabled",
            "chat_enabled",
            "chat_webhook_url",
            "lead_times",
            "quiet_hours_start",
            "quiet_hours_end",
            "timezone",
            "capacity_alerts",
            "triage_agenda",
            "timebox_alerts",
            "feed_busy",
        ]
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {
            "email_enabled": "E-mail me",
            "chat_enabled": "Post to my chat webhook",
            "capacity_alerts": "Buffer alerts (managers)",
            "triage_agenda": "Triage agenda (leads and managers)",
            "timebox_alerts": "Timebox ran out",
            "feed_busy": "Show my duty as busy in my calendar feeds",
        }
        help_texts = {
            # The page is the person's own: "your", not "the person's".
            "timezone": "IANA time zone for the times in messages; empty: your team's.",
        }

    def clean(self):
        cleaned = super().clean()
        if self.has_error("chat_webhook_url"):
            # The address typed was refused, saying why; the model's "chat needs a webhook"
            # rule would add that nothing was typed. It sees what was typed instead.
            self.instance.chat_webhook_url = self.data.get(self.add_prefix("chat_webhook_url"))
        return cleaned
