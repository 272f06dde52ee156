"""Proven reoffending (SPEC 3.4), hand-worked, with the boundary dates that are easy to get wrong."""

import datetime as dt

import attrs
import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.history import History, Window
from offender_journey.metrics import compute
from offender_journey.offender import index_event, reoffending
from offender_journey.views.reoffending import Counts

Q1_2015 = Window(dt.date(2015, 1, 1), dt.date(2015, 3, 31))


def result(j: JourneyBuilder, window: Window = Q1_2015):  # type: ignore[no-untyped-def]
    return reoffending(History.build(j.offender_id, j.events), window)


def cautioned_on(day: str) -> JourneyBuilder:
    j = JourneyBuilder("O1")
    j.profile("2000-01-01", "1990-06-01")
    j.caution(day, "shoplifting")
    return j


def test_index_events_and_the_earliest_one_in_the_period() -> None:
    j = JourneyBuilder("O1")
    c = j.charge("2014-11-01", "theft_other")
    j.convict("2014-12-01", c)
    custody = j.sentence("2015-01-05", c, disposal="immediate_custody", length_days=60)
    j.release("2015-02-04", custody, "2015-03-06")
    j.sentence("2015-03-10", c, disposal="fine")
    history = History.build("O1", j.events)
    assert index_event(history, Q1_2015) == (dt.date(2015, 2, 4), "release_from_custody")
    assert index_event(history, Window(dt.date(2015, 3, 1), dt.date(2015, 12, 31))) == (
        dt.date(2015, 3, 10),
        "court_non_custodial",
    )
    assert index_event(history, Window(dt.date(2015, 1, 1), dt.date(2015, 1, 31))) is None


def test_not_in_the_cohort_without_an_index_event() -> None:
    j = JourneyBuilder("O1")
    j.charge("2015-02-01", "robbery")
    assert result(j).total == Counts()


@pytest.mark.parametrize(
    ("offence_date", "counted"),
    [
        ("2015-03-01", False),  # on the index date: not after it
        ("2015-03-02", True),
        ("2016-03-01", True),  # exactly one year after
        ("2016-03-02", False),
    ],
)
def test_follow_up_year_boundaries(offence_date: str, counted: bool) -> None:
    j = cautioned_on("2015-03-01")
    c = j.charge("2016-03-05", "theft_other", offence_date=offence_date)
    j.convict("2016-06-01", c)
    assert result(j).total.reoffences == (1 if counted else 0)


@pytest.mark.parametrize(
    ("proven_on", "counted"),
    [("2016-09-01", True), ("2016-09-02", False)],  # exactly 18 months, and a day later
)
def test_proof_deadline_of_eighteen_months(proven_on: str, counted: bool) -> None:
    j = cautioned_on("2015-03-01")
    c = j.charge("2016-02-01", "burglary_domestic", offence_date="2016-01-20")
    j.convict(proven_on, c)
    assert result(j).total.reoffenders == (1 if counted else 0)


def test_a_caution_proves_an_offence_on_its_own_date() -> None:
    j = cautioned_on("2015-03-01")
    j.caution("2016-08-31", "theft_other", offence_date="2016-02-01")
    j.caution("2016-09-05", "theft_other", offence_date="2016-02-02")  # too late to count
    assert result(j).total == Counts(1, 1, 1)


def test_29_february_plus_one_year_is_28_february() -> None:
    window = Window(dt.date(2016, 1, 1), dt.date(2016, 3, 31))
    j = cautioned_on("2016-02-29")
    inside = j.charge("2017-03-01", "theft_other", offence_date="2017-02-28")
    outside = j.charge("2017-03-01", "theft_other", offence_date="2017-03-01")
    j.convict("2017-06-01", inside)
    j.convict("2017-06-01", outside)
    assert result(j, window).total.reoffences == 1
    # 29 Feb 2016 + 1 year 6 months = 29 Aug 2017
    late = cautioned_on("2016-02-29")
    c = late.charge("2016-05-01", "theft_other")
    late.convict("2017-08-29", c)
    assert result(late, window).total.reoffences == 1


def test_unproven_breach_and_acquitted_offences_do_not_count() -> None:
    j = cautioned_on("2015-03-01")
    j.charge("2015-05-01", "robbery")  # still pending
    breach = j.charge("2015-06-01", "breach")
    acquitted = j.charge("2015-07-01", "theft_other")
    j.convict("2015-08-01", breach)
    j.dispose("2015-09-01", acquitted, "acquitted")
    assert result(j).total == Counts(1, 0, 0)


def test_final_outcome_decides_proof() -> None:
    j = cautioned_on("2015-03-01")
    c = j.charge("2015-05-01", "theft_other")
    j.convict("2015-06-01", c)
    j.dispose("2015-07-01", c, "other")  # conviction quashed later
    assert result(j).total.reoffences == 0


def test_retracted_reoffence_is_gone() -> None:
    j = cautioned_on("2015-03-01")
    c = j.charge("2015-05-01", "theft_other")
    conviction = j.convict("2015-06-01", c)
    assert result(j).total.reoffences == 1
    j.retract(conviction)
    assert result(j).total.reoffences == 0


def test_age_groups_and_offenders_without_a_profile() -> None:
    adult = cautioned_on("2015-03-01")
    juvenile = JourneyBuilder("O2")
    juvenile.profile("2010-01-01", "1997-03-02")  # 17 on 1 March 2015, 18 the next day
    juvenile.caution("2015-03-01", "shoplifting")
    unknown = JourneyBuilder("O3")
    unknown.caution("2015-03-01", "shoplifting")
    report = compute(
        [(j.offender_id, j.events) for j in (adult, juvenile, unknown)],
        window=Q1_2015,
        views=["reoffending"],
    )
    by_age = report["reoffending"].by_age
    assert {k: v.cohort for k, v in by_age.items()} == {"adult": 1, "juvenile": 1, "unknown": 1}
    assert report["reoffending"].by_index["caution"].cohort == 3


def test_rates_and_json_keys() -> None:
    first = cautioned_on("2015-03-01")
    for day in ("2015-04-01", "2015-05-01", "2015-06-01"):
        first.convict("2015-09-01", first.charge(day, "theft_other"))
    second = JourneyBuilder("O2")
    second.caution("2015-01-20", "shoplifting")
    report = compute(
        [(j.offender_id, j.events) for j in (first, second)], window=Q1_2015, views=["reoffending"]
    )
    out = report.to_json()["reoffending"]
    assert {
        k: out[k] for k in ("cohort", "reoffenders", "reoffences", "binary_rate", "frequency")
    } == {"cohort": 2, "reoffenders": 1, "reoffences": 3, "binary_rate": 0.5, "frequency": 3.0}
    assert out["per_offender"] == 1.5
    assert Counts().binary_rate is None


def test_a_resent_caution_is_one_index_event_on_its_latest_date() -> None:
    """A caution re-sent under its id with a corrected date: the earlier record counts nowhere."""
    j = cautioned_on("2014-12-20")
    (caution,) = [e for e in j.events if type(e).__name__ == "Caution"]
    j.extend(
        [
            attrs.evolve(
                caution,
                event_id="O1-resent",
                date=dt.date(2015, 1, 10),
                recorded_at=dt.datetime(2015, 2, 1, tzinfo=dt.UTC),
            )
        ]
    )
    history = History.build("O1", j.events)
    assert index_event(history, Q1_2015) == (dt.date(2015, 1, 10), "caution")
    assert index_event(history, Window(dt.date(2014, 12, 1), dt.date(2014, 12, 31))) is None
