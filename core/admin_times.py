"""Times in the admin: every instant a manager reads is wall-clock time in a named zone.

Each row is read in the zone its admin names through ``zone_paths``: ORM paths to an IANA zone
name, the first non-empty one winning (e.g. ``("rotation__timezone", "team__timezone")``), and
``settings.TIME_ZONE`` when none is set. Times are shown as "Mon 07 Dec 2026 00:30 IST": the
zone's abbreviation (or offset, "+04", where it has none) always follows.

:class:`LocalTimesMixin` does this for the model's ``DateTimeField`` columns in lists and its
read-only fields on change pages (inlines included); :func:`local_day_filter` replaces
Django's ``date_hierarchy`` and date list filters, which cut days at midnight in the site's
zone (UTC), with days as each row's zone counts them.
"""

import datetime

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import models
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from core.timebounds import EARLIEST_DAY, LATEST_DAY, in_bounds
from core.timeutil import ONE_DAY, start_of_day, wall_clock, zone

FORMAT = "%a %d %b %Y %H:%M"


def zone_name_of(obj, paths) -> str:
    """Return the IANA zone name reached from ``obj`` by the first of ``paths`` that is set.

    ``paths`` are ORM-style ("incident__responding_team__timezone"); a missing relation or an
    empty name moves on to the next path; ``settings.TIME_ZONE`` when none gives a name.
    """
    for path in paths:
        value = obj
        for part in path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                break
        if value:
            return value
    return settings.TIME_ZONE


def labelled(instant, zone_name: str, fmt: str = FORMAT) -> str:
    """Format an aware instant in the zone named, followed by its abbreviation; "-" for None."""
    return "-" if instant is None else wall_clock(instant, zone_name, fmt)


def _swap(names, shown, only=None):
    """Replace the names in ``names`` (nested tuples included) that ``shown`` knows."""
    out = []
    for name in names:
        if isinstance(name, list | tuple):
            out.append(type(name)(_swap(name, shown, only)))
        elif isinstance(name, str) and name in shown and (only is None or name in only):
            out.append(shown[name])
        else:
            out.append(name)
    return out


class LocalTimesMixin:
    """Show the model's datetimes in each row's zone, labelled, in lists and read-only fields.

    Set ``zone_paths`` on the admin (or inline). A subclass that overrides
    ``get_readonly_fields`` or ``get_fieldsets`` must go through ``super()``. Editable datetime
    fields are not converted: no admin using this mixin has one (a test keeps it so).
    """

    zone_paths: tuple[str, ...] = ()

    def zone_name(self, obj) -> str:
        return zone_name_of(obj, self.zone_paths)

    def _shown(self) -> dict:
        if "_shown_times" not in self.__dict__:
            shown = {}
            for field in self.model._meta.concrete_fields:
                if isinstance(field, models.DateTimeField):
                    shown[field.name] = self._display(field)
            self.__dict__["_shown_times"] = shown
        return self.__dict__["_shown_times"]

    def _display(self, field):
        def show(obj):
            return labelled(getattr(obj, field.name), self.zone_name(obj))

        show.__name__ = field.name
        show.short_description = field.verbose_name
        show.admin_order_field = field.name
        return show

    def get_list_display(self, request):
        return _swap(super().get_list_display(request), self._shown())

    def get_readonly_fields(self, request, obj=None):
        return _swap(super().get_readonly_fields(request, obj), self._shown())

    def get_fieldsets(self, request, obj=None):
        shown = self._shown()
        # A page the user may only view shows every field read-only, from the fieldsets.
        if self.has_change_permission(request, obj):
            readonly = {n for n, f in shown.items() if f in self.get_readonly_fields(request, obj)}
        else:
            readonly = None
        return [
            (title, {**options, "fields": _swap(options["fields"], shown, readonly)})
            for title, options in super().get_fieldsets(request, obj)
        ]


def _day_span(value: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last local day (inclusive) a filter value names."""
    monday = today - datetime.timedelta(days=today.weekday())
    spans = {
        "yesterday": (today - ONE_DAY, today - ONE_DAY),
        "today": (today, today),
        "tomorrow": (today + ONE_DAY, today + ONE_DAY),
        "last_week": (monday - 7 * ONE_DAY, monday - ONE_DAY),
        "this_week": (monday, monday + 6 * ONE_DAY),
        "next_week": (monday + 7 * ONE_DAY, monday + 13 * ONE_DAY),
    }
    if value in spans:
        return spans[value]
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise IncorrectLookupParameters(f"not a day: {value!r}") from None
    if not in_bounds(day):  # 9999-12-31 has no next day to end the span
        raise IncorrectLookupParameters(f"a day outside {EARLIEST_DAY}..{LATEST_DAY}: {value!r}")
    return day, day


RANGES = [
    ("yesterday", "Yesterday"),
    ("today", "Today"),
    ("tomorrow", "Tomorrow"),
    ("last_week", "Last week"),
    ("this_week", "This week (Mon-Sun)"),
    ("next_week", "Next week"),
]


def local_day_filter(field_name: str, title: str) -> type[admin.SimpleListFilter]:
    """Return a list filter on the local day of ``field_name``, each row in its own zone.

    Choices are yesterday, today, tomorrow and last, this or next week (Monday to Sunday),
    each counted in the row's zone (the admin's ``zone_paths``), and any single day given as
    ``?<field>_day=YYYY-MM-DD`` (e.g. from a bookmark): "7 Dec" in a Kolkata rotation runs
    from 6 Dec 18:30 UTC to 7 Dec 18:30 UTC. A value that is none of these is refused as
    Django refuses bad lookups (the list reloads unfiltered with an error flag), as is a day
    outside :mod:`core.timebounds` (2000-01-01..2100-12-31).
    """

    class LocalDayFilter(admin.SimpleListFilter):
        parameter_name = f"{field_name}_day"

        def __init__(self, request, params, model, model_admin):
            self.zone_paths = getattr(model_admin, "zone_paths", ())
            super().__init__(request, params, model, model_admin)

        def lookups(self, request, model_admin):
            choices = list(RANGES)
            value = self.value()
            if value and value not in dict(RANGES):
                choices.append((value, value))
            return choices

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            now = timezone.now()
            if self.zone_paths:
                names = [NullIf(path, models.Value("")) for path in self.zone_paths]
                queryset = queryset.annotate(
                    _row_zone=Coalesce(*names, models.Value(settings.TIME_ZONE))
                )
                zones = set(queryset.order_by().values_list("_row_zone", flat=True).distinct())
            else:
                zones = {settings.TIME_ZONE}
            match = models.Q(pk__in=[])
            for name in zones:
                tz = zone(name)
                first, last = _day_span(value, now.astimezone(tz).date())
                span = {
                    f"{field_name}__gte": start_of_day(first, tz),
                    f"{field_name}__lt": start_of_day(last + ONE_DAY, tz),
                }
                if self.zone_paths:
                    span["_row_zone"] = name
                match |= models.Q(**span)
            return queryset.filter(match)

    LocalDayFilter.title = title
    LocalDayFilter.__name__ = f"LocalDayFilter_{field_name}"
    return LocalDayFilter
