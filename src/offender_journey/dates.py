"""Calendar arithmetic on valid-time dates.

Adding periods is done by pendulum, which clamps to the month's last day (checked
against a plain standard-library version over every date 1900-2100 in the tests).
Ages are plain arithmetic on year, month and day: pendulum's year difference is a
year too high on some days just before a birthday.

Examples:
    >>> add_years(dt.date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    >>> add_months(dt.date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    >>> age_on(dt.date(1992, 9, 10), dt.date(2013, 9, 9))
    20
"""

from __future__ import annotations

import datetime as dt

import pendulum

__all__ = ["add_months", "add_years", "add_years_months", "age_on"]


def _plain(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, day.day)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months, clamped to the month's last day."""
    return _plain(pendulum.Date(day.year, day.month, day.day).add(months=months))


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole calendar years (29 February + 1 year = 28 February)."""
    return _plain(pendulum.Date(day.year, day.month, day.day).add(years=years))


def age_on(born: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``: birthdays passed, so the day before one is the younger age.

    Someone born on 29 February turns a year older on 1 March in a non-leap year
    (28 February is still the day before the birthday). Before ``born`` the age is negative.
    """
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def add_years_months(day: dt.date, years: int, months: int) -> dt.date:
    """``day`` plus years and months together (29 Feb 2016 + 1 year 6 months = 29 Aug 2017)."""
    return _plain(pendulum.Date(day.year, day.month, day.day).add(years=years, months=months))
