"""Calendar arithmetic agrees with a plain standard-library version on every date 1900-2100."""

import calendar
import datetime as dt

from hypothesis import example, given
from hypothesis import strategies as st

from offender_journey.dates import add_months, add_years, add_years_months, age_on

DAYS = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
LEAP_DAYS = st.sampled_from([y for y in range(1904, 2100, 4) if calendar.isleap(y)]).map(
    lambda year: dt.date(year, 2, 29)
)


def plain_add_months(day: dt.date, months: int) -> dt.date:
    """Month arithmetic by hand: move the month, clamp the day to the month's length."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def plain_add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a non-leap year
        return dt.date(day.year + years, 2, 28)


def plain_age(born: dt.date, day: dt.date) -> int:
    """Birthdays passed by ``day``; a 29 February birthday falls on 1 March in other years."""

    def birthday(year: int) -> dt.date:
        try:
            return born.replace(year=year)
        except ValueError:
            return dt.date(year, 3, 1)

    years = day.year - born.year
    return years if birthday(day.year) <= day else years - 1


@st.composite
def near_birthdays(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    """A date of birth and a day within a few days of one of its anniversaries."""
    born = draw(DAYS | LEAP_DAYS)
    years = draw(st.integers(0, 2100 - born.year))
    anniversary = plain_add_years(born, years)
    return born, anniversary + dt.timedelta(days=draw(st.integers(-3, 3)))


@given(DAYS | LEAP_DAYS, st.integers(-36, 36))
def test_add_months_is_plain_month_arithmetic(day: dt.date, months: int) -> None:
    assert add_months(day, months) == plain_add_months(day, months)


@given(DAYS | LEAP_DAYS, st.integers(-5, 5))
@example(dt.date(2024, 2, 29), 1)
def test_add_years_keeps_the_day_or_clamps_29_february(day: dt.date, years: int) -> None:
    assert add_years(day, years) == plain_add_years(day, years)


@given(DAYS | LEAP_DAYS, st.integers(0, 3), st.integers(-11, 11))
@example(dt.date(2016, 2, 29), 1, 6)
def test_add_years_months_is_one_move_of_the_total_months(
    day: dt.date, years: int, months: int
) -> None:
    assert add_years_months(day, years, months) == plain_add_months(day, 12 * years + months)


@given(DAYS, DAYS)
def test_age_is_birthdays_passed(born: dt.date, day: dt.date) -> None:
    assert age_on(born, day) == plain_age(born, day)


@given(near_birthdays())
@example((dt.date(1992, 9, 10), dt.date(2013, 9, 9)))
@example((dt.date(1993, 2, 19), dt.date(2009, 2, 16)))
def test_age_changes_on_the_birthday_and_not_before(pair: tuple[dt.date, dt.date]) -> None:
    born, day = pair
    assert age_on(born, day) == plain_age(born, day)


def test_ages_reported_a_year_too_high_before() -> None:
    assert age_on(dt.date(1992, 9, 10), dt.date(2013, 9, 9)) == 20
    assert age_on(dt.date(1992, 9, 10), dt.date(2013, 9, 10)) == 21
    assert age_on(dt.date(1993, 2, 19), dt.date(2009, 2, 16)) == 15


def test_a_29_february_birthday_counts_from_1_march_in_other_years() -> None:
    born = dt.date(2000, 2, 29)
    assert age_on(born, dt.date(2018, 2, 28)) == 17
    assert age_on(born, dt.date(2018, 3, 1)) == 18
    assert age_on(born, dt.date(2020, 2, 28)) == 19
    assert age_on(born, dt.date(2020, 2, 29)) == 20
    # Adding a period is different: a year after 29 February is 28 February.
    assert add_years(born, 1) == dt.date(2001, 2, 28)
