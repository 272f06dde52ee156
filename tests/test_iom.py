import datetime as dt

import attrs

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Category
from offender_journey.history import History, Window
from offender_journey.metrics import compute
from offender_journey.offender import select
from offender_journey.views.iom import LONDON, IomCohort, IomView, Selected

ON = dt.date(2015, 6, 30)


def scored(offender_id: str, score: float) -> JourneyBuilder:
    j = JourneyBuilder(offender_id)
    j.risk("2015-01-10", score_2y=score)
    return j


def test_high_score_is_selected_whatever_the_offending() -> None:
    chosen = select(History.build("O1", scored("O1", 0.75).events), LONDON, ON)
    assert isinstance(chosen, Selected)
    assert chosen.reason == "2-year score 75 % (>= 75 %)"


def test_medium_score_needs_robbery_or_burglary_in_the_last_12_months() -> None:
    j = scored("O1", 0.5)
    assert not isinstance(select(History.build("O1", j.events), LONDON, ON), Selected)
    j.charge("2014-06-30", "burglary_domestic")  # exactly 12 months before: outside
    assert not isinstance(select(History.build("O1", j.events), LONDON, ON), Selected)
    c = j.charge("2014-07-01", "robbery")
    chosen = select(History.build("O1", j.events), LONDON, ON)
    assert isinstance(chosen, Selected)
    assert chosen.recent == (c.charge_id,)
    assert "with robbery in the previous 12 months" in chosen.reason


def test_below_the_lower_threshold_is_never_selected() -> None:
    j = scored("O1", 0.49)
    j.charge("2015-05-01", "robbery")
    assert not isinstance(select(History.build("O1", j.events), LONDON, ON), Selected)


def test_the_rule_is_a_preset_to_change() -> None:
    j = scored("O1", 0.55)
    j.charge("2015-05-01", "shoplifting")
    local = attrs.evolve(
        LONDON, name="our area", categories=frozenset({Category.SHOPLIFTING}), look_back_months=6
    )
    assert isinstance(select(History.build("O1", j.events), local, ON), Selected)
    assert "unconfirmed" in LONDON.name


def test_cohort_counts_unscored_offenders_by_missing_input() -> None:
    unscored = JourneyBuilder("O3")
    unscored.convict("2014-06-01", unscored.charge("2014-05-01", "theft_other"))
    journeys = [scored("O1", 0.9), scored("O2", 0.2), unscored]
    report = compute(
        [(j.offender_id, j.events) for j in journeys], window=Window(None, ON), views=["iom"]
    )
    cohort: IomCohort = report["iom"]
    assert cohort.offender_ids == ("O1",)
    assert cohort.considered == 3
    assert cohort.unscored == {"date_of_birth": 1}
    custom = IomView(rule=attrs.evolve(LONDON, threshold=0.1), on=ON)
    assert compute([(j.offender_id, j.events) for j in journeys], views=[custom])[
        "iom"
    ].offender_ids == ("O1", "O2")
