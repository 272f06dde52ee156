"""OGRS3: the published worked checks to the percent, the band rule and missing inputs."""

import datetime as dt

import attrs
import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Category
from offender_journey.history import History
from offender_journey.offender import ogrs3_at, risk_at
from offender_journey.views.ogrs3 import (
    CATEGORY_GROUPS,
    OFFENCE_TERMS,
    OffenceGroup,
    band_of,
    ogrs3_score,
    percent,
)


def test_worked_check_1_from_the_service_fixtures() -> None:
    # male, born 1991-07-17, convicted 2021-08-05, 2 sanctions, first at 21, "other"
    score = ogrs3_score(
        sex="male", age=30, age_at_first_sanction=21, sanctions=2, offence_group=OffenceGroup.OTHER
    )
    assert (score.percent_1y, score.percent_2y, score.band) == (9, 17, "low")


def test_worked_check_2_from_the_service_fixtures() -> None:
    # male, born 1965-12-07, convicted 2025-05-13, 2 sanctions, first at 47, soliciting
    score = ogrs3_score(
        sex="male",
        age=59,
        age_at_first_sanction=47,
        sanctions=2,
        offence_group=OffenceGroup.SOLICITING,
    )
    assert (score.percent_1y, score.percent_2y, score.band) == (8, 16, "low")


def test_worked_check_1_from_the_event_stream() -> None:
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", "1991-07-17", "male")
    first = j.charge("2012-09-01", "theft_other")
    j.convict("2012-10-01", first)  # aged 21
    current = j.charge("2021-07-01", "other")
    j.convict("2021-08-05", current)
    score = ogrs3_at(History.build("O1", j.events), dt.date(2021, 8, 5))
    assert score.inputs == {
        "sex": "male",
        "age": 30,
        "age_at_first_sanction": 21,
        "sanctions": 2,
        "offence_group": "other_offences",
    }
    assert (score.percent_1y, score.percent_2y) == (9, 17)


def test_sanctions_are_occasions_not_offences() -> None:
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", "1980-01-01", "female")
    for category in ("theft_other", "shoplifting", "fraud"):
        j.convict("2014-06-01", j.charge("2014-05-01", category))
    j.caution("2015-01-10", "shoplifting")
    score = ogrs3_at(History.build("O1", j.events), dt.date(2015, 2, 1))
    assert score.inputs["sanctions"] == 2
    assert score.inputs["offence_group"] == "theft_non_motor"


def test_missing_inputs_are_named_not_guessed() -> None:
    j = JourneyBuilder("O1")
    j.convict("2014-06-01", j.charge("2014-05-01", "theft_other"))
    score = ogrs3_at(History.build("O1", j.events), dt.date(2015, 1, 1))
    assert score.probability_2y is None
    assert score.missing == ("date_of_birth", "sex")
    k = JourneyBuilder("O2")
    k.profile("2010-01-01", "1980-01-01", "unknown")
    assert ogrs3_at(History.build("O2", k.events), dt.date(2015, 1, 1)).missing == (
        "sex",
        "current sanction",
    )


def test_display_rules_and_bands() -> None:
    assert (percent(0.0), percent(0.004), percent(0.745), percent(1.0)) == (1, 1, 75, 99)
    assert [band_of(p) for p in (49, 50, 74, 75, 89, 90)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "very high",
    ]


def test_every_category_has_a_group_with_a_term() -> None:
    assert set(CATEGORY_GROUPS) == set(Category)
    assert set(OFFENCE_TERMS) == set(OffenceGroup)


def test_impossible_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="age at first sanction"):
        ogrs3_score(
            sex="male",
            age=20,
            age_at_first_sanction=25,
            sanctions=2,
            offence_group=OffenceGroup.OTHER,
        )
    with pytest.raises(ValueError, match="male or female"):
        ogrs3_score(
            sex="unknown",
            age=20,
            age_at_first_sanction=18,
            sanctions=2,
            offence_group=OffenceGroup.OTHER,
        )


def test_a_supplied_assessment_is_preferred_unless_told() -> None:
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", "1991-07-17", "male")
    j.convict("2012-10-01", j.charge("2012-09-01", "theft_other"))
    j.convict("2021-08-05", j.charge("2021-07-01", "other"))
    j.risk("2021-09-01", score_2y=0.81, score_1y=0.6)
    history = History.build("O1", j.events)
    assessed = risk_at(history, dt.date(2021, 10, 1))
    assert (assessed.score_2y, assessed.source) == (0.81, "assessed (OGRS3)")  # type: ignore[union-attr]
    computed = risk_at(history, dt.date(2021, 10, 1), prefer_assessed=False)
    assert computed.source == "OGRS3"  # type: ignore[union-attr]
    assert percent(computed.score_2y) == 17  # type: ignore[union-attr]


def test_the_current_offence_is_the_first_in_charge_order_not_in_recording_order() -> None:
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", "1990-06-01", "male")
    robbery = j.charge("2012-01-05", "robbery")
    shoplifting = j.charge("2012-01-10", "shoplifting")
    j.convict("2012-03-01", shoplifting)
    j.convict("2012-03-01", robbery, recorded_at="2012-03-02T12:00:00+00:00")
    score = ogrs3_at(History.build("O1", j.events), dt.date(2012, 3, 1))
    assert score.inputs["offence_group"] == "robbery"
    expected = ogrs3_score(
        sex="male",
        age=21,
        age_at_first_sanction=21,
        sanctions=1,
        offence_group=OffenceGroup.ROBBERY,
    )
    assert (score.percent_1y, score.percent_2y) == (expected.percent_1y, expected.percent_2y)


def test_charges_of_the_same_date_go_in_transaction_order() -> None:
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", "1990-06-01", "male")
    fraud = j.charge("2012-01-05", "fraud", recorded_at="2012-01-06T09:00:00+00:00")
    burglary = j.charge("2012-01-05", "burglary_other", recorded_at="2012-01-05T09:00:00+00:00")
    j.convict("2012-03-01", fraud)
    j.convict("2012-03-01", burglary)
    history = History.build("O1", j.events)
    assert ogrs3_at(history, dt.date(2012, 3, 1)).inputs["offence_group"] == "other_burglary"
    # A re-sent charge record takes the place of its latest record in transaction order.
    j.extend(
        [
            attrs.evolve(
                burglary, event_id="again", recorded_at=dt.datetime(2012, 1, 7, tzinfo=dt.UTC)
            )
        ]
    )
    history = History.build("O1", j.events)
    assert ogrs3_at(history, dt.date(2012, 3, 1)).inputs["offence_group"] == "fraud_and_forgery"


def retracted_charge_still_convicted() -> JourneyBuilder:
    """Three sanctions, then a conviction whose charge was retracted."""
    j = JourneyBuilder("O1")
    j.profile("2005-01-01", "1985-04-01", "male")
    for year in (2010, 2011, 2012):
        j.convict(f"{year}-06-01", j.charge(f"{year}-05-01", "theft_other"))
    robbery = j.charge("2013-05-01", "robbery")
    j.retract(robbery)
    j.convict("2013-06-01", robbery)
    return j


def test_a_conviction_of_a_retracted_charge_is_no_sanction() -> None:
    history = History.build("O1", retracted_charge_still_convicted().events)
    score = ogrs3_at(history, dt.date(2013, 7, 1))
    assert score.missing == ()
    assert score.inputs == {
        "sex": "male",
        "age": 27,
        "age_at_first_sanction": 25,
        "sanctions": 3,
        "offence_group": "theft_non_motor",
    }


def test_a_conviction_of_an_unknown_charge_is_no_sanction() -> None:
    j = JourneyBuilder("O1")
    j.profile("2005-01-01", "1985-04-01", "male")
    j.convict("2010-06-01", j.charge("2010-05-01", "theft_other"))
    never_recorded = j.charge("2013-05-01", "robbery")
    j.events.remove(never_recorded)
    j.convict("2013-06-01", never_recorded)
    score = ogrs3_at(History.build("O1", j.events), dt.date(2013, 7, 1))
    assert (score.inputs["sanctions"], score.inputs["offence_group"]) == (1, "theft_non_motor")


def test_ages_are_whole_years_the_day_before_a_birthday_is_the_younger_age() -> None:
    j = JourneyBuilder("O1")
    j.profile("2005-01-01", "1992-09-10", "male")
    j.convict("2013-09-09", j.charge("2013-08-01", "theft_other"))
    score = ogrs3_at(History.build("O1", j.events), dt.date(2013, 9, 9))
    assert (score.inputs["age"], score.inputs["age_at_first_sanction"]) == (20, 20)


def test_the_profile_recorded_last_wins_whatever_its_date() -> None:
    j = JourneyBuilder("O1")
    j.profile("2012-01-01", "1980-05-01", "male")
    correction = j.profile("2010-01-01", "1990-05-01", "female", recorded_at="2013-01-01T12:00:00Z")
    j.convict("2012-06-01", j.charge("2012-05-01", "theft_other"))
    history = History.build("O1", j.events)
    assert history.profile == correction
    score = ogrs3_at(history, dt.date(2012, 6, 1))
    assert (score.inputs["sex"], score.inputs["age"]) == ("female", 22)
