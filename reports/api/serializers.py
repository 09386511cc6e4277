"""Query parameters of the reports: the period, a team, a component, and model parameters."""

from django.utils import timezone
from rest_framework import serializers

from core.timebounds import EARLIEST_DAY, FIRST_YEAR, LAST_YEAR, LATEST_DAY
from ownership.models import Component, Team

from ..builders import ReportQuery
from ..decision import DEFAULT_WEIGHTS
from ..fairness import DEFAULT_FLAG_FACTOR
from ..replay import (
    DEFAULT_MITIGATION_PENALTY_PERCENT,
    DEFAULT_PENALTY_PERCENT,
    DEFAULT_SENSITIVITY,
    MODELS,
    ReplayParameters,
)
from ..selectors import head_counts

MAX_PERIOD_DAYS = 3 * 366
# Reports cover dates in these years: sprints, the days either side of a period and the
# default 26 weeks before `to` all stay within what a date can hold.
# The rota's own range (core.timebounds), so reports and the data they read agree.
EARLIEST, LATEST = EARLIEST_DAY, LATEST_DAY
FIRST_LINE_CHOICES = {"both": (False, True), "without": (False,), "with": (True,)}
# query parameter -> decision measure it weighs
WEIGHTS = {
    "weight_capacity": "capacity_lost_percent",
    "weight_standby": "standby_hours_per_engineer",
    "weight_ooh_pages": "ooh_pages_per_person",
    "weight_mitigation": "mttm_minutes",
    "weight_context_switches": "context_switches",
}
SENSITIVITY = {
    "sensitivity_incident_factor": "incident_factor",
    "sensitivity_buffer_percent": "buffer_percent",
    "sensitivity_penalty_factor": "penalty_factor",
}


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
        for name, day in (("from", first), ("to", last)):
            if day is not None and not EARLIEST <= day <= LATEST:
                raise serializers.ValidationError(
                    {name: f"Give a day from {EARLIEST} to {LATEST}; reports cover the years "
                     f"{FIRST_YEAR} to {LAST_YEAR}."}
                )  # fmt: skip
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


def _weight(name: str, measure: str) -> serializers.FloatField:
    return serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=100.0,
        help_text=f"Weight of `{measure}` in the overall ranking (default "
        f"{DEFAULT_WEIGHTS[measure]:g}; 0 leaves it out).",
    )


class ComparisonQuerySerializer(ReportQuerySerializer):
    """The model comparison's parameters; every one has a documented default."""

    TABLES = ("scenarios", "teams", "sprints", "people", "decision", "sensitivity", "assumptions")

    dedicated_size = serializers.IntegerField(
        required=False, min_value=1, max_value=100, help_text="People in the dedicated team (4)."
    )
    dedicated_from = serializers.CharField(
        required=False,
        max_length=1000,
        help_text="Where the dedicated team's people come from, as `team:people` pairs "
        "separated by commas (`payments:2,checkout:1`); product teams only. Default: "
        "`dedicated_size` people taken from the product teams in proportion to their size.",
    )
    rotation_sprints = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=26,
        help_text="What-if: shifts of this many sprints in the configured rotation's team "
        "order. Default: replay the configured team rotation's own shifts.",
    )
    first_line_size = serializers.IntegerField(
        required=False, min_value=1, max_value=100, help_text="People in the first line (4)."
    )
    model = serializers.MultipleChoiceField(
        choices=MODELS, required=False, help_text="Models to compare (default: all three)."
    )
    first_line = serializers.ChoiceField(
        choices=list(FIRST_LINE_CHOICES),
        required=False,
        help_text="Compare each model with a first line, without, or both (default).",
    )
    penalty_percent = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=500.0,
        help_text="Extra hours, in percent, for handling a component the team does not own "
        f"(default {DEFAULT_PENALTY_PERCENT:g}).",
    )
    mitigation_penalty_percent = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=500.0,
        help_text="How much longer, in percent, a team that does not own the component takes "
        f"to mitigate (default {DEFAULT_MITIGATION_PENALTY_PERCENT:g}).",
    )
    buffer_percent = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=100.0,
        help_text="Every team's capacity buffer, in percent (default: as each team planned).",
    )
    sensitivity_incident_factor = serializers.FloatField(
        required=False,
        min_value=0.1,
        max_value=10.0,
        help_text="Sensitivity: if incidents were this many times as many "
        f"(default {DEFAULT_SENSITIVITY['incident_factor']:g}).",
    )
    sensitivity_buffer_percent = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=100.0,
        help_text="Sensitivity: if every buffer were this percent "
        f"(default {DEFAULT_SENSITIVITY['buffer_percent']:g}).",
    )
    sensitivity_penalty_factor = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=10.0,
        help_text="Sensitivity: if the non-owner penalties were this many times as large "
        f"(default {DEFAULT_SENSITIVITY['penalty_factor']:g}).",
    )

    def get_fields(self):
        fields = super().get_fields()
        for name, measure in WEIGHTS.items():
            fields[name] = _weight(name, measure)
        return fields

    def validate_dedicated_from(self, value):
        pairs, seen = [], set()
        for part in filter(None, (p.strip() for p in value.split(","))):
            slug, _, people = part.partition(":")
            slug = slug.strip()
            if not people.strip().isdigit() or not 1 <= int(people) <= 100:
                raise serializers.ValidationError(
                    f"{part!r}: give `team:people` with 1 to 100 people, e.g. payments:2."
                )
            if slug in seen:
                raise serializers.ValidationError(f"{slug!r} is named twice.")
            seen.add(slug)
            pairs.append((slug, int(people)))
        if not pairs:
            raise serializers.ValidationError("Name at least one team, e.g. payments:2.")
        found = dict(Team.objects.filter(slug__in=seen).values_list("slug", "kind"))
        for slug, _ in pairs:
            if slug not in found:
                raise serializers.ValidationError(f"No team with the slug {slug!r}.")
            if found[slug] != Team.Kind.PRODUCT:
                raise serializers.ValidationError(
                    f"{slug!r} is not a product team; the dedicated team's people come from "
                    "product teams."
                )
        heads = head_counts(slugs=seen)
        for slug, people in pairs:
            # A team cannot give more people than it has (its capacity lost would pass 100%).
            if people > heads.get(slug, 0):
                raise serializers.ValidationError(
                    f"{slug!r} has {heads.get(slug, 0)} people; it cannot give {people}."
                )
        return tuple(pairs)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        pairs, size = attrs.get("dedicated_from"), attrs.get("dedicated_size")
        if pairs and size is not None and sum(n for _, n in pairs) != size:
            raise serializers.ValidationError(
                {"dedicated_from": f"The people add up to {sum(n for _, n in pairs)}, not "
                 f"dedicated_size {size}; give one of them or make them agree."}
            )  # fmt: skip
        weights = {m: attrs.get(name, DEFAULT_WEIGHTS[m]) for name, m in WEIGHTS.items()}
        if not any(weights.values()):
            raise serializers.ValidationError(
                {"weight_capacity": "At least one weight must be above 0."}
            )
        return attrs

    def query(self) -> ReportQuery:
        query = super().query()
        data, defaults = self.validated_data, ReplayParameters()
        chosen = data.get("model") or set(MODELS)
        pairs = data.get("dedicated_from") or ()
        query.replay = ReplayParameters(
            dedicated_size=sum(n for _, n in pairs)
            or data.get("dedicated_size", defaults.dedicated_size),
            rotation_sprints=data.get("rotation_sprints"),
            first_line_size=data.get("first_line_size", defaults.first_line_size),
            models=tuple(m for m in MODELS if m in chosen),
            first_line=FIRST_LINE_CHOICES[data.get("first_line", "both")],
            penalty_percent=data.get("penalty_percent", defaults.penalty_percent),
            mitigation_penalty_percent=data.get(
                "mitigation_penalty_percent", defaults.mitigation_penalty_percent
            ),
            buffer_percent=data.get("buffer_percent"),
            dedicated_from=pairs,
            weights={m: data.get(name, DEFAULT_WEIGHTS[m]) for name, m in WEIGHTS.items()},
            sensitivity={
                key: data.get(name, DEFAULT_SENSITIVITY[key]) for name, key in SENSITIVITY.items()
            },
        )
        return query
