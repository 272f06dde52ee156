"""Properties every view has because it is a fold: split, merge, shuffle, retract."""

import datetime as dt
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from offender_journey.events import Event, EventRetracted
from offender_journey.history import History, Journey, Window, fold
from offender_journey.metrics import VIEWS, compute
from offender_journey.timeline import build_timeline
from strategies import cohorts, journeys

# In the past (journeys are recorded up to about 2021): a future as_of would also
# see, and report, events recorded after the tests run.
AS_OF = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
WINDOWS = st.sampled_from(
    [Window(), Window(dt.date(2010, 1, 1), dt.date(2013, 12, 31)), Window(dt.date(2012, 6, 1))]
)


def every_view(history: History, window: Window) -> dict[str, Any]:
    """Every registered view's JSON, and the timeline's, for one history."""
    out = {name: view.of(history, None, window).to_json() for name, view in VIEWS.items()}
    out["timeline"] = build_timeline(history, window).to_json()
    # The data's end is the latest time the store learnt anything (a retraction included),
    # and whether follow-up is complete depends on it: the extent of the data, not one of
    # the numbers these properties are about.
    for extent in ("data_end", "provisional", "provisional_members"):
        out["reoffending"].pop(extent)
    return out


@settings(max_examples=100, deadline=None)
@given(journeys(), st.data(), WINDOWS)
def test_folding_a_stream_split_in_two_equals_folding_it_whole(events, data, window):
    cut = data.draw(st.integers(0, len(events)))
    whole = fold(events)
    halves = fold(events[cut:], Journey("O1", list(events[:cut])))
    assert halves.events == whole.events
    assert every_view(halves.history(AS_OF), window) == every_view(whole.history(AS_OF), window)


@settings(max_examples=60, deadline=None)
@given(cohorts(), st.randoms(use_true_random=False), WINDOWS)
def test_merging_offenders_in_any_order_gives_the_same_totals(streams, rnd, window):
    shuffled = list(streams)
    rnd.shuffle(shuffled)
    first = compute(streams, window=window, as_of=AS_OF, views=list(VIEWS)).to_json()
    assert compute(shuffled, window=window, as_of=AS_OF, views=list(VIEWS)).to_json() == first
    # Summing per-offender reports in another grouping gives the same totals too.
    parts = [compute([s], window=window, as_of=AS_OF, views=list(VIEWS)) for s in streams]
    for name in VIEWS:
        total = parts[-1].results[name]
        for part in reversed(parts[:-1]):
            total = part.results[name] + total
        assert total.to_json() == first[name]


@settings(max_examples=100, deadline=None)
@given(journeys(), st.randoms(use_true_random=False), WINDOWS)
def test_shuffling_the_lines_changes_nothing(events, rnd: random.Random, window):
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert every_view(History.build("O1", shuffled, AS_OF), window) == every_view(
        History.build("O1", events, AS_OF), window
    )


@settings(max_examples=100, deadline=None)
@given(journeys(), st.data(), WINDOWS)
def test_retracting_an_event_is_as_if_it_never_happened(events: list[Event], data, window):
    target = data.draw(st.sampled_from(events))
    retraction = EventRetracted(
        event_id="retraction-of-" + target.event_id,
        offender_id="O1",
        date=target.date,
        recorded_at=AS_OF - dt.timedelta(days=1),
        target_event_id=target.event_id,
        reason="recorded in error",
    )
    with_retraction = [*events, retraction]
    without = [e for e in events if e is not target]
    retracted = every_view(History.build("O1", with_retraction, AS_OF), window)
    assert retracted == every_view(History.build("O1", without, AS_OF), window)
    # Seen before the retraction was recorded, the event is still there.
    before = AS_OF - dt.timedelta(days=2)
    assert every_view(History.build("O1", with_retraction, before), window) == every_view(
        History.build("O1", events, before), window
    )
