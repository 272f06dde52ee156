import datetime as dt

import attrs

from offender_journey.builder import JourneyBuilder
from offender_journey.folds.history_bands import band, history_at
from offender_journey.history import History, Window
from offender_journey.metrics import compute
from offender_journey.offender import history_bands

YEAR_2014 = Window(dt.date(2014, 1, 1), dt.date(2014, 12, 31))


def prolific(offender_id: str, convictions: int) -> JourneyBuilder:
    j = JourneyBuilder(offender_id)
    for n in range(convictions):
        day = dt.date(2000, 1, 1) + dt.timedelta(days=150 * n)
        j.convict(day + dt.timedelta(days=30), j.charge(day, "shoplifting"))
    return j


def test_previous_means_strictly_before_and_occasions_count_once() -> None:
    j = JourneyBuilder("O1")
    j.convict("2013-05-01", j.charge("2013-04-01", "theft_other"))
    j.convict("2013-05-01", j.charge("2013-04-02", "fraud"))
    j.caution("2013-06-01", "shoplifting")
    history = History.build("O1", j.events)
    assert history_at(history, dt.date(2013, 5, 1)).previous_sanctions == 0
    record = history_at(history, dt.date(2013, 6, 2))
    assert (record.previous_convictions, record.previous_cautions) == (1, 1)


def test_bands() -> None:
    assert [band(n) for n in (0, 1, 2, 3, 6, 7, 10, 11, 14, 15)] == [
        "0",
        "1-2",
        "1-2",
        "3-6",
        "3-6",
        "7-10",
        "7-10",
        "11-14",
        "11-14",
        "15+",
    ]


def test_cautions_given_to_offenders_with_15_or_more_previous_convictions() -> None:
    veteran = prolific("O1", 15)
    veteran.caution("2014-03-01", "shoplifting")
    newcomer = JourneyBuilder("O2")
    newcomer.caution("2014-04-01", "shoplifting")
    newcomer.caution("2014-09-01", "theft_other")
    report = compute(
        [(j.offender_id, j.events) for j in (veteran, newcomer)],
        window=YEAR_2014,
        views=["history_bands"],
    )
    bands = report["history_bands"]
    assert bands.cautions_by_previous_convictions == {"0": 2, "15+": 1}
    assert bands.offenders_by_previous_convictions == {"0": 1, "15+": 1}
    assert (bands.sanctioned, bands.with_previous) == (2, 1)


def test_offenders_outside_the_window_are_not_in_the_cohort() -> None:
    j = prolific("O1", 3)
    assert history_bands(History.build("O1", j.events), YEAR_2014).sanctioned == 0


def test_convictions_of_retracted_or_unknown_charges_are_no_previous_sanction() -> None:
    j = JourneyBuilder("O1")
    retracted = j.charge("2012-05-01", "robbery")
    j.retract(retracted)
    j.convict("2012-06-01", retracted)
    never_recorded = j.charge("2013-05-01", "fraud")
    j.events.remove(never_recorded)
    j.convict("2013-06-01", never_recorded)
    j.caution("2014-03-01", "shoplifting")
    history = History.build("O1", j.events)
    assert history_at(history, dt.date(2014, 3, 1)).previous_sanctions == 0
    bands = history_bands(history, YEAR_2014)
    assert (bands.sanctioned, bands.with_previous) == (1, 0)
    assert (
        history_bands(history, Window(dt.date(2012, 1, 1), dt.date(2013, 12, 31))).sanctioned == 0
    )


def test_a_resent_caution_is_one_sanction_described_by_its_latest_record() -> None:
    j = JourneyBuilder("O1")
    first = j.caution("2014-03-01", "shoplifting")
    j.extend(
        [
            attrs.evolve(
                first,
                event_id="corrected",
                date=dt.date(2014, 2, 20),
                recorded_at=dt.datetime(2014, 3, 5, tzinfo=dt.UTC),
            )
        ]
    )
    history = History.build("O1", j.events)
    assert history_at(history, dt.date(2014, 2, 21)).previous_cautions == 1
    assert history_at(history, dt.date(2014, 12, 31)).previous_cautions == 1
