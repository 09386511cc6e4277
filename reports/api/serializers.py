"""Query parameters of the reports: the period, a team, a component, and model parameters."""

from django.utils import timezone
from rest_framework import serializers

from ownership.models import Component, Team

from ..builders import ReportQuery
from ..fairness import DEFAULT_FLAG_FACTOR
from ..replay import MODELS, ReplayParameters

MAX_PERIOD_DAYS = 3 * 366
FIRST_LINE_CHOICES = {"both": (False, True), "without": (False,), "with": (True,)}


class ReportQuerySerializer(serializers.Serializer):
    """``from``, ``to``, ``team``, ``component`` and the table a CSV download holds."""

    TABLES: tuple = ()

    team = serializers.SlugField(required=False, max_length=60, help_text="Team slug.")
    component = serializers.SlugField(
        required=False,
        max_length=100,
        help_text="Component slug; the component and everything inside it.",
    )

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword, so these cannot be class attributes.
        fields["from"] = serializers.DateField(
            required=False, help_text="First day (YYYY-MM-DD); default: 26 weeks before `to`."
        )
        fields["to"] = serializers.DateField(
            required=False, help_text="Last day, inclusive (YYYY-MM-DD); default: today."
        )
        if self.TABLES:
            fields["table"] = serializers.ChoiceField(
                choices=self.TABLES,
                required=False,
                help_text=f"Which table a CSV download holds (default {self.TABLES[0]}).",
            )
        return fields

    def validate_team(self, value):
        team = Team.objects.filter(slug=value).first()
        if team is None:
            raise serializers.ValidationError(f"No team with the slug {value!r}.")
        return team

    def validate_component(self, value):
        component = Component.objects.filter(slug=value).first()
        if component is None:
            raise serializers.ValidationError(f"No component with the slug {value!r}.")
        return component

    def validate(self, attrs):
        first, last = attrs.get("from"), attrs.get("to")
        if first and last and last < first:
            raise serializers.ValidationError({"to": "The last day cannot be before the first."})
        if first and last and (last - first).days >= MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"from": f"A report covers at most {MAX_PERIOD_DAYS} days; shorten the period."}
            )
        if first and not last and (timezone.localdate() - first).days >= MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"from": f"A report covers at most {MAX_PERIOD_DAYS} days; give `to` as well."}
            )
        return attrs

    def query(self) -> ReportQuery:
        data = self.validated_data
        return ReportQuery(
            first_day=data.get("from"),
            last_day=data.get("to"),
            team=data.get("team"),
            component=data.get("component"),
        )

    @property
    def table(self) -> str:
        return self.validated_data.get("table") or self.TABLES[0]


class LoadQuerySerializer(ReportQuerySerializer):
    TABLES = ("rows", "teams")


class IncidentsQuerySerializer(ReportQuerySerializer):
    TABLES = ("groups",)


class FairnessQuerySerializer(ReportQuerySerializer):
    TABLES = ("people", "spread")

    flag_factor = serializers.FloatField(
        required=False,
        min_value=1.0,
        max_value=10.0,
        help_text=f"Flag people above this many times the team median "
        f"(default {DEFAULT_FLAG_FACTOR}).",
    )

    def query(self) -> ReportQuery:
        query = super().query()
        query.flag_factor = self.validated_data.get("flag_factor", DEFAULT_FLAG_FACTOR)
        return query


class ComparisonQuerySerializer(ReportQuerySerializer):
    TABLES = ("scenarios", "teams", "sprints")

    dedicated_size = serializers.IntegerField(
        required=False, min_value=1, max_value=100, help_text="People in the dedicated team."
    )
    rotation_sprints = serializers.IntegerField(
        required=False, min_value=1, max_value=26, help_text="Sprints per rotating shift."
    )
    first_line_size = serializers.IntegerField(
        required=False, min_value=1, max_value=100, help_text="People in the first line."
    )
    model = serializers.MultipleChoiceField(
        choices=MODELS, required=False, help_text="Models to compare (default: all three)."
    )
    first_line = serializers.ChoiceField(
        choices=list(FIRST_LINE_CHOICES),
        required=False,
        help_text="Compare each model with a first line, without, or both (default).",
    )

    def query(self) -> ReportQuery:
        query = super().query()
        data, defaults = self.validated_data, ReplayParameters()
        chosen = data.get("model") or set(MODELS)
        query.replay = ReplayParameters(
            dedicated_size=data.get("dedicated_size", defaults.dedicated_size),
            rotation_sprints=data.get("rotation_sprints", defaults.rotation_sprints),
            first_line_size=data.get("first_line_size", defaults.first_line_size),
            models=tuple(m for m in MODELS if m in chosen),
            first_line=FIRST_LINE_CHOICES[data.get("first_line", "both")],
        )
        return query
