"""Charge-to-conviction conversion (SPEC 3.1), hand-worked."""

import datetime as dt

import attrs
import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.history import ALL_TIME, History, Window
from offender_journey.offender import conversion
from offender_journey.views.conversion import Conversion


def convert(j: JourneyBuilder, window: Window = ALL_TIME, as_of: dt.datetime | None = None):
    return conversion(History.build(j.offender_id, j.events, as_of), window)


def test_counts_and_rates():
    j = JourneyBuilder("O1")
    convicted = j.charge("2013-01-10", "shoplifting")
    disposed = j.charge("2013-01-11", "shoplifting")
    j.charge("2013-01-12", "shoplifting")  # pending
    j.convict("2013-03-01", convicted)
    j.dispose("2013-03-01", disposed, "acquitted")
    result = convert(j)
    assert result == Conversion(charges=3, convicted=1, not_convicted=1, pending=1)
    assert result.rate == pytest.approx(1 / 3)
    assert result.resolved_rate == 0.5


def test_rates_are_none_without_denominators():
    assert Conversion().rate is None
    assert Conversion().resolved_rate is None
    pending_only = Conversion(charges=2, pending=2)
    assert pending_only.rate == 0.0
    assert pending_only.resolved_rate is None


def test_json_has_exactly_the_spec_keys():
    assert Conversion(4, 1, 1, 2).to_json() == {
        "charges": 4,
        "convicted": 1,
        "not_convicted": 1,
        "pending": 2,
        "rate": 0.25,
        "resolved_rate": 0.5,
    }
    assert Conversion().to_json()["rate"] is None


def test_window_is_on_the_charge_date_and_outcome_may_come_after_it():
    j = JourneyBuilder("O1")
    before = j.charge("2011-12-31", "shoplifting")
    first = j.charge("2012-01-01", "shoplifting")
    last = j.charge("2015-12-31", "shoplifting")
    j.charge("2016-01-01", "shoplifting")
    j.convict("2012-02-01", before)
    j.convict("2016-06-01", last)  # after the window: still counts
    j.dispose("2012-05-01", first)
    window = Window(dt.date(2012, 1, 1), dt.date(2015, 12, 31))
    assert convert(j, window) == Conversion(2, 1, 1, 0)


def test_final_outcome_is_the_latest_dated():
    j = JourneyBuilder("O1")
    quashed = j.charge("2013-01-10", "shoplifting")
    upheld = j.charge("2013-01-10", "shoplifting")
    j.convict("2013-03-01", quashed)
    j.dispose("2013-09-01", quashed, "other")  # conviction quashed later
    # Recorded in the other order: the disposal line arrives first but is dated earlier.
    j.convict("2013-09-01", upheld, recorded_at="2013-09-02T00:00:00+00:00")
    j.dispose("2013-03-01", upheld, recorded_at="2013-09-03T00:00:00+00:00")
    assert convert(j) == Conversion(2, 1, 1, 0)


def test_same_date_outcomes_go_to_the_one_recorded_later():
    j = JourneyBuilder("O1")
    a = j.charge("2013-01-10", "shoplifting")
    b = j.charge("2013-01-10", "shoplifting")
    # a: the conviction is appended first in the stream but recorded later.
    j.convict("2013-03-01", a, recorded_at="2013-03-05T00:00:00+00:00")
    j.dispose("2013-03-01", a, recorded_at="2013-03-02T00:00:00+00:00")
    # b: same recorded_at for both: stream position breaks the tie.
    j.dispose("2013-03-01", b, recorded_at="2013-03-02T00:00:00+00:00")
    j.convict("2013-03-01", b, recorded_at="2013-03-02T00:00:00+00:00")
    history = History.build("O1", j.events)
    assert history.outcomes[a.charge_id].TYPE == "conviction"
    assert history.outcomes[b.charge_id].TYPE == "conviction"
    assert convert(j) == Conversion(2, 2, 0, 0)


def test_outcome_recorded_after_as_of_leaves_the_charge_pending():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-10", "shoplifting")
    j.convict("2013-03-01", c, recorded_at="2014-01-01T00:00:00+00:00")
    quarter_end = dt.datetime(2013, 12, 31, 23, 59, tzinfo=dt.UTC)
    assert convert(j, as_of=quarter_end) == Conversion(1, 0, 0, 1)
    assert convert(j) == Conversion(1, 1, 0, 0)


def test_resent_charge_counts_once_and_unknown_charge_outcomes_are_ignored():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-10", "shoplifting")
    j.extend([attrs.evolve(c, event_id="again", date=dt.date(2013, 1, 11))])
    ghost = JourneyBuilder("elsewhere").charge("2013-01-01", "theft_other")
    j.convict("2013-02-01", ghost)
    assert convert(j) == Conversion(1, 0, 0, 1)


def test_retracted_conviction_does_not_exist():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-10", "shoplifting")
    wrong = j.convict("2013-03-01", c)
    j.retract(wrong)
    assert convert(j) == Conversion(1, 0, 0, 1)


def test_results_add_up():
    a = Conversion(3, 1, 1, 1)
    b = Conversion(2, 2, 0, 0)
    assert a + b == Conversion(5, 3, 1, 1)
    assert a + Conversion() == a
    assert str(a + b).startswith("3 of 5 charges convicted (60.0 %)")
