import datetime as dt
import functools
import operator
from collections import Counter

import attrs
from hypothesis import given
from hypothesis import strategies as st

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Category
from offender_journey.history import History, Window
from offender_journey.metrics import compute
from offender_journey.offender import select
from offender_journey.views.iom import LONDON, IomAccumulator, IomCohort, IomView, Selected

ON = dt.date(2015, 6, 30)


def scored(offender_id: str, score: float, on: str = "2015-01-10") -> JourneyBuilder:
    j = JourneyBuilder(offender_id)
    j.risk(on, score_2y=score)
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


def test_a_score_is_compared_as_the_whole_percentage_it_is_shown_as() -> None:
    """The shape of P131-000273 on 2010-12-31: a 2-year score of 0.748 shows as 75 %."""
    day = dt.date(2010, 12, 31)
    chosen = select(History.build("O1", scored("O1", 0.748, "2010-06-01").events), LONDON, day)
    assert isinstance(chosen, Selected)
    assert chosen.reason == "2-year score 75 % (>= 75 %)"
    j = scored(
        "O2", 0.749, "2010-06-01"
    )  # with recent burglary too: still selected on the score alone
    j.charge("2010-11-01", "burglary_domestic")
    chosen = select(History.build("O2", j.events), LONDON, day)
    assert isinstance(chosen, Selected)
    assert chosen.reason == "2-year score 75 % (>= 75 %)"
    below = select(History.build("O3", scored("O3", 0.7449, "2010-06-01").events), LONDON, day)
    assert not isinstance(below, Selected)  # 74 %: medium, and no recent offence


def test_a_recent_offence_counts_only_once_charged_no_look_ahead() -> None:
    """The shape of P131-000021 on 2010-12-31: a burglary of 24 November 2010 that was
    charged on 8 January 2011 was not known on the selection day."""
    j = scored("O1", 0.6, "2010-06-01")
    c = j.charge("2011-01-08", "burglary_domestic", offence_date="2010-11-24")
    history = History.build("O1", j.events)
    assert not isinstance(select(history, LONDON, dt.date(2010, 12, 31)), Selected)
    chosen = select(history, LONDON, dt.date(2011, 1, 8))
    assert isinstance(chosen, Selected)
    assert chosen.recent == (c.charge_id,)


def test_a_recent_caution_counts_from_the_day_it_was_given() -> None:
    j = scored("O1", 0.6, "2010-06-01")
    j.caution("2011-01-08", "robbery", offence_date="2010-12-20")
    history = History.build("O1", j.events)
    assert not isinstance(select(history, LONDON, dt.date(2010, 12, 31)), Selected)
    assert isinstance(select(history, LONDON, dt.date(2011, 1, 8)), Selected)


_selected = st.builds(
    Selected,
    st.sampled_from(["O1", "O2", "O3", "O4"]),
    st.sampled_from([0.5, 0.8]),
    st.just("oasys"),
    st.sampled_from(["high score", "recent burglary"]),
)
_cohorts = st.builds(
    IomCohort,
    st.lists(_selected, max_size=3).map(lambda s: tuple(sorted(s, key=lambda x: x.offender_id))),
    st.integers(0, 5),
    st.dictionaries(st.sampled_from(["date_of_birth", "current sanction"]), st.integers(1, 3)),
)


@given(st.lists(_cohorts, max_size=8), st.integers(0, 8))
def test_cohorts_add_up_the_same_however_they_are_grouped(
    cohorts: list[IomCohort], cut: int
) -> None:
    """A running total of cohorts (as a fold over many offenders keeps) is their sum taken
    two at a time, and the same when the offenders are split into two parts: the
    selected in offender order, ties in the order added."""
    total = IomAccumulator()
    for cohort in cohorts:
        total.add(cohort)
    everyone = [s for c in cohorts for s in c.selected]
    assert total.result() == IomCohort(
        tuple(sorted(everyone, key=lambda s: s.offender_id)),
        sum(c.considered for c in cohorts),
        dict(sorted(sum((Counter(c.unscored) for c in cohorts), Counter()).items())),
    )
    assert functools.reduce(operator.add, cohorts, IomCohort()) == total.result()
    first, second = IomAccumulator(), IomAccumulator()
    for cohort in cohorts[:cut]:
        first.add(cohort)
    for cohort in cohorts[cut:]:
        second.add(cohort)
    assert first.result() + second.result() == total.result()
