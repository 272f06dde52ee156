"""Days from arrest to conviction by sentencing occasion (SPEC 3.2), hand-worked."""

import datetime as dt
import itertools
import statistics
from collections import Counter

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offender_journey.builder import JourneyBuilder
from offender_journey.history import ALL_TIME, History, Window
from offender_journey.metrics import compute
from offender_journey.offender import days_by_occasion
from offender_journey.views.occasions import (
    DaysByOccasion,
    DaysByOccasionAccumulator,
    Measure,
    quantile,
)


def days(j: JourneyBuilder, window: Window = ALL_TIME) -> DaysByOccasion:
    return days_by_occasion(History.build(j.offender_id, j.events), window)


def sentenced(j, arrest_day, offence_day, convict_day, sentence_day, *, arrest=True):
    """One arrested, charged, convicted and sentenced charge."""
    a = j.arrest(arrest_day)
    c = j.charge(arrest_day, "shoplifting", arrest=a if arrest else None, offence_date=offence_day)
    j.convict(convict_day, c)
    j.sentence(sentence_day, c)
    return c


def test_two_occasions_hand_worked():
    j = JourneyBuilder("O1")
    sentenced(j, "2013-01-10", "2013-01-05", "2013-02-09", "2013-03-01")  # 30 / 5
    sentenced(j, "2014-01-01", "2013-12-22", "2014-03-02", "2014-04-01")  # 60 / 10
    sentenced(j, "2014-01-01", "2013-12-30", "2014-04-11", "2014-04-01")  # 100 / 2
    rows = days(j).to_json()
    assert rows == [
        {
            "occasion": 1,
            "n": 1,
            "arrest_to_conviction": {"mean": 30.0, "median": 30.0},
            "offence_to_arrest": {"mean": 5.0, "median": 5.0},
            "n_offence_to_arrest": 1,
        },
        {
            "occasion": 2,
            "n": 2,
            "arrest_to_conviction": {"mean": 80.0, "median": 80.0},
            "offence_to_arrest": {"mean": 6.0, "median": 6.0},
            "n_offence_to_arrest": 2,
        },
    ]


def test_occasions_are_numbered_over_the_whole_history_but_only_window_ones_count():
    j = JourneyBuilder("O1")
    sentenced(j, "2010-01-01", "2010-01-01", "2010-01-11", "2010-02-01")
    sentenced(j, "2013-01-01", "2013-01-01", "2013-01-21", "2013-02-01")
    result = days(j, Window(dt.date(2012, 1, 1), dt.date(2015, 12, 31)))
    assert result.occasions == [2]
    assert result.row(2)[0] == Measure(1, 20.0, 20.0)


def test_a_charge_in_two_sentences_of_one_date_counts_once_and_occasions_are_dates():
    j = JourneyBuilder("O1")
    a = j.arrest("2013-01-01")
    c = j.charge("2013-01-01", "shoplifting", arrest=a)
    j.convict("2013-01-11", c)
    j.sentence("2013-02-01", c, disposal="fine")
    j.sentence("2013-02-01", c, c, disposal="community_order", length_days=365)
    # Re-sentenced later (e.g. after a breach): a second occasion, counted there too.
    j.sentence("2013-09-01", c, disposal="immediate_custody", length_days=90)
    result = days(j)
    assert result.arrest_to_conviction == {1: {10: 1}, 2: {10: 1}}


def test_charges_without_arrest_conviction_or_known_arrest_are_left_out():
    j = JourneyBuilder("O1")
    summons = j.charge("2013-01-01", "motoring_other")  # no arrest_id
    pending = j.charge("2013-01-01", "shoplifting", arrest=j.arrest("2013-01-01"))
    acquitted = j.charge("2013-01-01", "shoplifting", arrest=j.arrest("2013-01-01"))
    ghost_arrest = JourneyBuilder("elsewhere").arrest("2012-12-01")
    no_arrest = j.charge("2013-01-01", "shoplifting", arrest=ghost_arrest)
    j.convict("2013-02-01", summons)
    j.convict("2013-02-01", acquitted)
    j.dispose("2013-04-01", acquitted, "acquitted")  # final outcome: not convicted
    j.convict("2013-02-01", no_arrest)
    j.sentence("2013-05-01", summons, pending, acquitted, no_arrest)
    assert days(j).to_json() == []


def test_negative_value_is_left_out_of_its_own_measure_only():
    j = JourneyBuilder("O1")
    # Convicted before the recorded arrest: arrest_to_conviction = -5 is dropped,
    # offence_to_arrest = 3 still counts.
    sentenced(j, "2013-01-10", "2013-01-07", "2013-01-05", "2013-02-01")
    (row,) = days(j).to_json()
    assert row["n"] == 0
    assert row["arrest_to_conviction"] == {"mean": None, "median": None}
    assert row["offence_to_arrest"] == {"mean": 3.0, "median": 3.0}
    assert row["n_offence_to_arrest"] == 1


def test_zero_days_is_a_value():
    j = JourneyBuilder("O1")
    sentenced(j, "2013-01-10", "2013-01-10", "2013-01-10", "2013-01-10")
    assert days(j).row(1) == (Measure(1, 0.0, 0.0), Measure(1, 0.0, 0.0))


def test_median_of_even_count_is_the_mean_of_the_middle_two():
    assert Measure.of({10: 1, 20: 1, 40: 1, 100: 1}) == Measure(4, 42.5, 30.0)
    assert Measure.of({7: 3}) == Measure(3, 7.0, 7.0)
    assert Measure.of({}) == Measure(0, None, None)


def test_merging_offenders_is_exact_in_any_order():
    results = []
    for offender, convict_days in (("A", [10]), ("B", [20, 40]), ("C", [5, 5, 90])):
        j = JourneyBuilder(offender)
        for n in convict_days:
            convicted = dt.date(2013, 1, 1) + dt.timedelta(days=n)
            sentenced(j, "2013-01-01", "2013-01-01", convicted, "2013-06-01")
        results.append(days(j))
    totals = set()
    for order in itertools.permutations(results):
        total = DaysByOccasion()
        for r in order:
            total = total + r
        totals.add(str(total))
        assert total.row(1)[0] == Measure(6, 170 / 6, 15.0)
    assert len(totals) == 1
    acc = DaysByOccasionAccumulator()
    for r in results:
        acc.add(r)
    assert acc.result() == results[0] + results[1] + results[2]


def test_text_rendering_names_the_columns():
    j = JourneyBuilder("O1")
    sentenced(j, "2013-01-10", "2013-01-05", "2013-02-09", "2013-03-01")
    text = str(days(j))
    assert "occasion" in text
    assert "30.0" in text
    assert "no sentenced" in str(DaysByOccasion())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_quartiles_are_exact_from_the_kept_values(values: list[int]) -> None:
    """The usual interpolating quartiles, whatever the values' order or repetition."""
    counts = Counter(values)
    expected = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else None
    low, high = quantile(counts, 0.25), quantile(counts, 0.75)
    if expected is None:
        assert low == high == values[0]
    else:
        assert low == pytest.approx(expected[0])
        assert high == pytest.approx(expected[2])
    assert quantile(counts, 0.5) == Measure.of(counts).median
    assert quantile(counts, 0) == min(values)
    assert quantile(counts, 1) == max(values)


def test_days_by_occasion_gives_quartiles_per_occasion_without_changing_other_numbers() -> None:
    days = DaysByOccasion({1: {10: 1, 20: 1, 30: 1, 40: 1}}, {1: {5: 3}})
    assert days.quartiles(1) == ((17.5, 32.5), (5.0, 5.0))
    assert days.quartiles(2) == ((None, None), (None, None))
    assert days.row(1)[0] == Measure(4, 25.0, 25.0)


def test_a_resent_sentence_counts_only_its_latest_record():
    """A sentence re-sent under its id with a corrected date: the earlier record counts nowhere."""
    j = JourneyBuilder("O1")
    first = sentenced(j, "2013-01-10", "2013-01-05", "2013-02-09", "2013-03-01")
    second = sentenced(j, "2014-01-01", "2013-12-22", "2014-03-02", "2014-04-01")
    wrong = next(e for e in j.events if getattr(e, "charge_ids", None) == (second.charge_id,))
    j.extend(
        [
            attrs.evolve(
                wrong,
                event_id="O1-resent",
                date=dt.date(2014, 4, 15),
                recorded_at=dt.datetime(2014, 5, 1, tzinfo=dt.UTC),
            )
        ]
    )
    history = History.build("O1", j.events)
    assert history.sentencing_occasions == (dt.date(2013, 3, 1), dt.date(2014, 4, 15))
    result = days(j)
    assert result.occasions == [1, 2]
    assert result.row(2)[0].mean == 60  # the second charge, arrested 2014-01-01, convicted 03-02
    assert first.charge_id != second.charge_id
    report = compute([("O1", j.events)], views=["days_by_sentencing_occasion"])
    assert report["days_by_sentencing_occasion"].occasions == [1, 2]
