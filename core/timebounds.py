"""The range of times Rota keeps: 2000-01-01 to 2100-12-31 (UTC), the reports' date bounds.

Times outside it are typing mistakes or probes (year 1, year 9999), and near the ends of
Python's ``datetime`` range a conversion to another zone overflows (``OverflowError``), so
every way in refuses them with a message naming the field:

* :class:`BoundedTimes`, a mixin for models: ``full_clean()`` refuses any date or date-time
  field (other than ``auto_now`` stamps) outside the range, keyed by field name — so the
  services (which call ``full_clean()``), the API (400 ``{field: [message]}``) and the admin
  forms all refuse it and nothing is saved;
* :func:`validate_in_bounds` for forms, filters and payload parsers.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models

FIRST_YEAR, LAST_YEAR = 2000, 2100
EARLIEST_DAY = datetime.date(FIRST_YEAR, 1, 1)
LATEST_DAY = datetime.date(LAST_YEAR, 12, 31)
EARLIEST = datetime.datetime(FIRST_YEAR, 1, 1, tzinfo=datetime.UTC)
END = datetime.datetime(LAST_YEAR + 1, 1, 1, tzinfo=datetime.UTC)  # first instant past the range
BOUNDS_MESSAGE = f"Give a date between {EARLIEST_DAY} and {LATEST_DAY} (UTC)."


def in_bounds(value) -> bool:
    """Tell whether a date, or an aware or naive date-time, lies in the range.

    A naive date-time is read as UTC; one whose offset takes it past what a ``datetime``
    holds (year 1 at +15:59) is out of range, not an error.
    """
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=datetime.UTC)
        try:
            return EARLIEST <= value < END
        except OverflowError:
            return False
    if isinstance(value, datetime.date):
        return EARLIEST_DAY <= value <= LATEST_DAY
    return True


def validate_in_bounds(value) -> None:
    """Raise ``ValidationError`` (code ``out_of_range``) for a date or time outside the range."""
    if value is not None and not in_bounds(value):
        raise ValidationError(BOUNDS_MESSAGE, code="out_of_range")


class BoundedTimes:
    """Make ``Model.full_clean()`` refuse dates and times outside the range, per field.

    Put it first among a model's bases. Stamps the model sets itself (``auto_now``,
    ``auto_now_add``) are not checked.
    """

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.DateField):  # DateTimeField is one too
                continue
            if field.name in errors or (exclude and field.name in exclude):
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                continue
            try:
                validate_in_bounds(getattr(self, field.attname))
            except ValidationError as error:
                errors[field.name] = error.error_list
        if errors:
            raise ValidationError(errors)
