import datetime

from reports.workcal import WorkCalendar

from .factories import at

LONDON = WorkCalendar("Europe/London", frozenset({datetime.date(2024, 1, 1)}))


def test_working_time_is_weekdays_nine_to_five_local_without_holidays():
    assert LONDON.is_working_time(at(2, 9))
    assert not LONDON.is_working_time(at(2, 8, 59))
    assert not LONDON.is_working_time(at(2, 17))
    assert not LONDON.is_working_time(at(1, 10))  # New Year's Day
    assert not LONDON.is_working_time(at(6, 10))  # Saturday


def test_working_time_is_read_in_the_calendars_time_zone():
    new_york = WorkCalendar("America/New_York")
    assert not new_york.is_working_time(at(2, 10))  # 05:00 in New York
    assert new_york.is_working_time(at(2, 15))  # 10:00 in New York
    summer = datetime.datetime(2024, 7, 1, 8, 30, tzinfo=datetime.UTC)
    assert LONDON.is_working_time(summer)  # 09:30 British Summer Time


def test_a_night_belongs_to_the_date_it_began():
    assert LONDON.night_of(at(5, 23)) == datetime.date(2024, 1, 5)
    assert LONDON.night_of(at(6, 3)) == datetime.date(2024, 1, 5)
    assert LONDON.night_of(at(6, 7)) is None
    assert LONDON.night_of(at(6, 21, 59)) is None


def test_working_hours_between_two_instants_skip_nights_weekends_and_holidays():
    assert LONDON.working_hours(at(1, 0), at(3, 13)) == 8 + 4  # 1 Jan is a holiday
    assert LONDON.working_hours(at(5, 15), at(8, 10)) == 2 + 1  # over a weekend
    assert LONDON.working_hours(at(5, 10), at(5, 10)) == 0


def test_days_touched_split_a_span_at_local_midnight():
    days = LONDON.days_touched(at(5, 18), at(7, 6))
    assert days == [
        (datetime.date(2024, 1, 5), 6.0),
        (datetime.date(2024, 1, 6), 24.0),
        (datetime.date(2024, 1, 7), 6.0),
    ]
    assert LONDON.working_days(datetime.date(2024, 1, 1), datetime.date(2024, 1, 7)) == [
        datetime.date(2024, 1, d) for d in (2, 3, 4, 5)
    ]
