"""Provisional reoffending: follow-up that has not finished is said so, never shown as final."""

from __future__ import annotations

import datetime as dt

from offender_journey.builder import JourneyBuilder
from offender_journey.history import Window
from offender_journey.metrics import compute, reoffending_rows

Q3_2016 = Window(dt.date(2016, 7, 1), dt.date(2016, 9, 30))
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _cohort(data_end: str) -> list[tuple[str, list]]:
    """Two members cautioned in 2016 Q3; O1 reoffends in October (proven in November)."""
    one = JourneyBuilder("O1")
    one.caution("2016-08-01", "shoplifting")
    c = one.charge("2016-10-20", "theft_other", offence_date="2016-10-15")
    one.convict("2016-11-30", c)
    two = JourneyBuilder("O2")
    two.caution("2016-09-01", "shoplifting")
    two.arrest(data_end)  # the latest thing the store knows about
    return [("O1", one.events), ("O2", two.events)]


def test_a_cohort_whose_follow_up_has_not_finished_is_provisional() -> None:
    report = compute(_cohort("2016-12-31"), window=Q3_2016, as_of=LATER)
    result = report["reoffending"]
    assert result.data_end == dt.date(2016, 12, 31)  # the data end before as_of
    assert result.provisional
    assert result.provisional_members == 2
    out = report.to_json()
    assert out["reoffending"]["provisional"] is True
    assert out["reoffending"]["provisional_members"] == 2
    assert out["reoffending"]["data_end"] == "2016-12-31"
    assert out["provisional"] == ["reoffending"]
    assert str(result).startswith("PROVISIONAL: 2 of 2 cohort members lack full follow-up")


def test_complete_follow_up_is_final() -> None:
    report = compute(_cohort("2018-06-01"), window=Q3_2016, as_of=LATER)
    result = report["reoffending"]
    assert not result.provisional
    assert result.provisional_members == 0
    assert "provisional" not in report.to_json()
    assert "PROVISIONAL" not in str(result)
    assert (result.total.cohort, result.total.reoffenders) == (2, 1)


def test_as_of_ends_the_data_where_it_cuts_them() -> None:
    cohort = _cohort("2017-06-30")  # recorded at noon that day
    later = JourneyBuilder("O3")
    later.arrest("2018-06-01")  # not yet recorded as of the question
    cohort.append(("O3", later.events))
    as_of = dt.datetime(2017, 6, 30, 18, tzinfo=dt.UTC)
    result = compute(cohort, window=Q3_2016, as_of=as_of)["reoffending"]
    assert result.data_end == dt.date(2017, 6, 30)
    assert result.provisional_members == 2  # waiting ends 2018-02-01 and 2018-03-01


def test_only_members_past_the_data_end_are_provisional() -> None:
    # O1's waiting period ends 2018-02-01, O2's 2018-03-01: data to mid-February.
    result = compute(_cohort("2018-02-15"), window=Q3_2016, as_of=LATER)["reoffending"]
    assert result.provisional_members == 1


def test_rows_for_survival_analysis() -> None:
    rows = reoffending_rows(_cohort("2016-12-31"), window=Q3_2016, as_of=LATER)
    frame = {row[0]: row for row in rows.table().rows}
    (_, index, kind, _age, reoffences, first, days, complete, duration, observed) = frame["O1"]
    assert (index, kind, reoffences, first, days) == (
        dt.date(2016, 8, 1),
        "caution",
        1,
        dt.date(2016, 10, 15),
        75,
    )
    assert (complete, duration, observed) == (False, 75, True)
    o2 = frame["O2"]
    # No reoffence yet, followed from 1 September to the data's end: censored at 121 days.
    assert o2[5:] == (None, None, False, 121, False)
    assert len(rows) == 2
    assert list(rows.to_pandas().columns)[-2:] == ["duration", "observed"]
