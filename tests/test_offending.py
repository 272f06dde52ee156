"""Sanctions: what counts as one, and that recording order does not decide the current offence."""

import random

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Category, Charge, ChargeDisposed, Conviction, Event
from offender_journey.folds.offending import convicted_charges, sanctions
from offender_journey.history import History
from strategies import journeys


@settings(max_examples=60, deadline=None)
@given(journeys(), st.randoms(use_true_random=False))
def test_the_order_convictions_were_recorded_in_plays_no_part(
    events: list[Event], rnd: random.Random
) -> None:
    # Without disposals, every charge's final outcome is its latest-dated conviction.
    events = [e for e in events if not isinstance(e, ChargeDisposed)]
    convictions = [i for i, e in enumerate(events) if isinstance(e, Conviction)]
    times = [events[i].recorded_at for i in convictions]
    rnd.shuffle(times)
    shuffled = list(events)
    for i, when in zip(convictions, times, strict=True):
        shuffled[i] = attrs.evolve(events[i], recorded_at=when)
    before = sanctions(History.build("O1", events))
    assert sanctions(History.build("O1", shuffled)) == before
    assert all(s.categories for s in before)


@settings(max_examples=60, deadline=None)
@given(journeys(), st.data())
def test_retracting_a_charge_removes_its_conviction_from_the_sanctions(
    events: list[Event], data: st.DataObject
) -> None:
    charges = [e for e in events if isinstance(e, Charge)]
    assume(charges)
    history = History.build("O1", events)
    gone = data.draw(st.sampled_from(charges))
    retraction = JourneyBuilder("O1").retract(gone, recorded_at="2025-01-01T00:00:00Z")
    after = History.build("O1", [*events, attrs.evolve(retraction, event_id="retraction")])
    assert len(sanctions(after)) <= len(sanctions(history))
    assert all(charge.charge_id != gone.charge_id for charge, _ in convicted_charges(after))
    assert all(s.categories for s in sanctions(after))


def test_one_sanction_per_conviction_day_in_charge_order() -> None:
    j = JourneyBuilder("O1")
    theft = j.charge("2013-02-01", "theft_other")
    robbery = j.charge("2013-01-05", "robbery")
    fraud = j.charge("2013-01-20", "fraud")
    j.convict("2013-03-01", theft)
    j.convict("2013-03-01", fraud)
    j.convict("2013-03-01", robbery, recorded_at="2013-03-04T10:00:00Z")
    (day,) = sanctions(History.build("O1", j.events))
    assert day.categories == (Category.ROBBERY, Category.FRAUD, Category.THEFT_OTHER)
    assert day.current is Category.ROBBERY
