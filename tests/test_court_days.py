"""Court days in England and Wales: weekdays that are not bank holidays."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from offender_journey.dates import bank_holidays, easter_sunday, is_court_day, next_court_day

#: The published bank holidays of England and Wales, a few years of them.
PUBLISHED = {
    2010: "01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28",
    2011: "01-03 04-22 04-25 04-29 05-02 05-30 08-29 12-26 12-27",
    2012: "01-02 04-06 04-09 05-07 06-04 06-05 08-27 12-25 12-26",
    2015: "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28",
    2016: "01-01 03-25 03-28 05-02 05-30 08-29 12-26 12-27",
    2020: "01-01 04-10 04-13 05-08 05-25 08-31 12-25 12-28",
    2022: "01-03 04-15 04-18 05-02 06-02 06-03 08-29 09-19 12-26 12-27",
    2024: "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26",
}


def test_bank_holidays_match_the_published_lists() -> None:
    for year, days in PUBLISHED.items():
        expected = {dt.date.fromisoformat(f"{year}-{d}") for d in days.split()}
        assert bank_holidays(year) == expected, year


def test_easter_by_the_anonymous_gregorian_algorithm() -> None:
    known = ["2008-03-23", "2011-04-24", "2014-04-20", "2038-04-25", "2285-03-22"]
    for day in map(dt.date.fromisoformat, known):
        assert easter_sunday(day.year) == day


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_the_next_court_day_is_the_first_weekday_that_is_no_holiday(day: dt.date) -> None:
    court = next_court_day(day)
    assert is_court_day(court)
    assert court.weekday() < 5
    assert court not in bank_holidays(court.year)
    assert 0 <= (court - day).days <= 5  # Easter or Christmas weekends at most
    assert all(not is_court_day(day + dt.timedelta(days=k)) for k in range((court - day).days))


@given(st.integers(min_value=1900, max_value=2200))
def test_every_year_has_its_eight_regular_holidays_on_weekdays(year: int) -> None:
    days = bank_holidays(year)
    assert all(d.weekday() < 5 and d.year == year for d in days)
    assert len(days) >= 8
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert dt.date(year, 3, 22) <= easter <= dt.date(year, 4, 25)
