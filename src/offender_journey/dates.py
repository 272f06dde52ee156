"""Calendar arithmetic on valid-time dates.

Adding periods clamps to the month's last day, as pendulum does (checked against a
plain version over every date 1900-2100 in the tests); it is plain ``datetime.date``
arithmetic, since the views add periods to every offender's dates.
Ages are plain arithmetic on year, month and day: pendulum's year difference is a
year too high on some days just before a birthday.

Also the days courts sit in England and Wales: weekdays that are not bank holidays.

Examples:
    >>> add_years(dt.date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    >>> add_months(dt.date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    >>> age_on(dt.date(1992, 9, 10), dt.date(2013, 9, 9))
    20
    >>> is_court_day(dt.date(2015, 12, 25)), is_court_day(dt.date(2015, 12, 24))
    (False, True)
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools

__all__ = [
    "add_months",
    "add_years",
    "add_years_months",
    "age_on",
    "bank_holidays",
    "easter_sunday",
    "in_words",
    "is_court_day",
    "next_court_day",
    "span_in_words",
    "when_in_words",
]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months, clamped to the month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    if day.day <= 28:
        return dt.date(year, month, day.day)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole calendar years (29 February + 1 year = 28 February)."""
    return add_months(day, 12 * years)


def age_on(born: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``: birthdays passed, so the day before one is the younger age.

    Someone born on 29 February turns a year older on 1 March in a non-leap year
    (28 February is still the day before the birthday). Before ``born`` the age is negative.
    """
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def add_years_months(day: dt.date, years: int, months: int) -> dt.date:
    """``day`` plus years and months together (29 Feb 2016 + 1 year 6 months = 29 Aug 2017)."""
    return add_months(day, 12 * years + months)


_DAY = dt.timedelta(days=1)


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm).

    Examples:
        >>> easter_sunday(2016), easter_sunday(2019)
        (datetime.date(2016, 3, 27), datetime.date(2019, 4, 21))
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=-day.weekday() % 7)


def _last_monday(year: int, month: int) -> dt.date:
    last = dt.date(year + month // 12, month % 12 + 1, 1) - _DAY
    return last - dt.timedelta(days=last.weekday())


#: One-off changes by royal proclamation since 1995: (days no longer holidays, days added).
_ONE_OFF: dict[int, tuple[tuple[dt.date, ...], tuple[dt.date, ...]]] = {
    1995: ((dt.date(1995, 5, 1),), (dt.date(1995, 5, 8),)),  # VE day's 50th anniversary
    1999: ((), (dt.date(1999, 12, 31),)),  # the millennium
    2002: ((dt.date(2002, 5, 27),), (dt.date(2002, 6, 3), dt.date(2002, 6, 4))),  # jubilee
    2011: ((), (dt.date(2011, 4, 29),)),  # a royal wedding
    2012: ((dt.date(2012, 5, 28),), (dt.date(2012, 6, 4), dt.date(2012, 6, 5))),  # jubilee
    2020: ((dt.date(2020, 5, 4),), (dt.date(2020, 5, 8),)),  # VE day's 75th anniversary
    2022: (
        (dt.date(2022, 5, 30),),
        (dt.date(2022, 6, 2), dt.date(2022, 6, 3), dt.date(2022, 9, 19)),  # jubilee, funeral
    ),
    2023: ((), (dt.date(2023, 5, 8),)),  # the coronation
}


@functools.cache
def bank_holidays(year: int) -> frozenset[dt.date]:
    """The bank holidays of England and Wales in ``year``, substitute days included.

    New Year's Day, Good Friday, Easter Monday, the early May, spring and summer bank
    holidays (first Monday of May, last Mondays of May and August), Christmas Day and
    Boxing Day; a holiday on a weekend moves to the next weekday not already a holiday.
    The one-off days proclaimed since 1995 (jubilees, royal occasions, the moved early
    May holidays) are applied; later ones are not known here.

    Examples:
        >>> sorted(d.isoformat() for d in bank_holidays(2016) if d.month == 12)
        ['2016-12-26', '2016-12-27']
    """
    easter = easter_sunday(year)
    fixed = [dt.date(year, 1, 1), dt.date(year, 12, 25), dt.date(year, 12, 26)]
    days = {
        easter - 2 * _DAY,
        easter + _DAY,
        _monday_on_or_after(dt.date(year, 5, 1)),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    for day in fixed:  # in date order, so Boxing Day's substitute follows Christmas's
        while day.weekday() >= 5 or day in days:
            day += _DAY
        days.add(day)
    removed, added = _ONE_OFF.get(year, ((), ()))
    return frozenset(days.difference(removed).union(added))


def is_court_day(day: dt.date) -> bool:
    """Whether courts sit on ``day``: a weekday that is not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def next_court_day(day: dt.date) -> dt.date:
    """``day`` if courts sit then, else the first court day after it."""
    while not is_court_day(day):
        day += _DAY
    return day


def in_words(day: dt.date) -> str:
    """A date as a reader writes it.

    Examples:
        >>> in_words(dt.date(2015, 1, 1))
        '1 January 2015'
    """
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def span_in_words(start: dt.date | None, end: dt.date | None) -> str:
    """A valid-time window as a reader says it (both ends inclusive).

    Examples:
        >>> span_in_words(None, None)
        'all dates'
        >>> span_in_words(dt.date(2014, 3, 1), dt.date(2014, 5, 31))
        'dates 1 March 2014 to 31 May 2014'
        >>> span_in_words(None, dt.date(2014, 5, 31))
        'dates up to 31 May 2014'
    """
    if start is None and end is None:
        return "all dates"
    if end is None:
        return f"dates from {in_words(start)}" if start else "all dates"
    if start is None:
        return f"dates up to {in_words(end)}"
    return f"dates {in_words(start)} to {in_words(end)}"


def when_in_words(instant: dt.datetime | None) -> str:
    """A transaction time as a reader says it: the end of a UTC day is said as such.

    Examples:
        >>> when_in_words(dt.datetime(2015, 1, 1, 23, 59, 59, 999999, tzinfo=dt.UTC))
        '1 January 2015 (end of day)'
        >>> when_in_words(dt.datetime(2015, 1, 1, 9, 30, tzinfo=dt.UTC))
        '1 January 2015, 09:30 UTC'
        >>> when_in_words(None)
        'now'
    """
    if instant is None:
        return "now"
    utc = instant.astimezone(dt.UTC)
    if utc.time() == dt.time.max:
        return f"{in_words(utc.date())} (end of day)"
    seconds = f":{utc.second:02d}" if utc.second or utc.microsecond else ""
    return f"{in_words(utc.date())}, {utc.hour:02d}:{utc.minute:02d}{seconds} UTC"
