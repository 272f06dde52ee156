"""OGRS3: the published worked checks to the percent, the band rule and missing inputs."""

import datetime as dt

import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Category
from offender_journey.projections import History
from offender_journey.projections.ogrs3 import (
    CATEGORY_GROUPS,
    OFFENCE_TERMS,
    OffenceGroup,
    band_of,
    ogrs3_at,
    ogrs3_score,
    percent,
    risk_at,
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
