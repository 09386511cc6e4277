"""Sprint calendars: the cadence that team support shifts are measured in."""

import datetime

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core.timebounds import BoundedTimes
from ownership.validators import validate_timezone


class SprintCalendar(BoundedTimes, models.Model):
    """A sprint cadence: sprint 0 starts on ``start_date``, every sprint lasts ``length_days``.

    Sprint numbers run both ways from the reference sprint (sprint -1 is the one before it), so
    any date belongs to exactly one sprint.
    """

    name = models.CharField(max_length=100, unique=True)
    start_date = models.DateField(help_text="First day of a reference sprint (sprint 0).")
    length_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(1)], help_text="Length of every sprint in days."
    )
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone in which the sprint dates are meant, e.g. Europe/Berlin.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(length_days__gte=1), name="sprint_calendar_length_positive"
            ),
        ]

    def __str__(self):
        return self.name

    def sprint_number(self, day: datetime.date) -> int:
        """Return the number of the sprint that contains ``day``."""
        return (day - self.start_date).days // self.length_days

    def sprint_start(self, number: int) -> datetime.date:
        """Return the first day of sprint ``number``."""
        return self.start_date + datetime.timedelta(days=number * self.length_days)

    def sprint_end(self, number: int) -> datetime.date:
        """Return the last day (inclusive) of sprint ``number``."""
        return self.sprint_start(number + 1) - datetime.timedelta(days=1)

    def sprint_dates(self, number: int) -> tuple[datetime.date, datetime.date]:
        """Return the first and last (inclusive) day of sprint ``number``."""
        return self.sprint_start(number), self.sprint_end(number)

    def sprint_containing(self, day: datetime.date) -> tuple[int, datetime.date, datetime.date]:
        """Return (number, first day, last day) of the sprint that contains ``day``."""
        number = self.sprint_number(day)
        return (number, *self.sprint_dates(number))

    def first_sprint_from(self, day: datetime.date) -> int:
        """Return the number of the first sprint that starts on or after ``day``."""
        number = self.sprint_number(day)
        return number if self.sprint_start(number) == day else number + 1
