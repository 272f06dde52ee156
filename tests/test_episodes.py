"""The episode look-up every flag and the held-arrest check use: the first covering episode."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offender_journey.events import Event
from offender_journey.facts.derive import derive
from offender_journey.folds.episodes import Episode, EpisodeKind, Episodes
from offender_journey.history import History
from strategies import journeys

DAY0 = dt.date(2014, 1, 1)


@st.composite
def episode_lists(draw: st.DrawFn) -> list[Episode]:
    spans = draw(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 90)), max_size=40))
    return [
        Episode(
            EpisodeKind.ON_BAIL,
            DAY0 + dt.timedelta(days=start),
            DAY0 + dt.timedelta(days=start + length),
            f"b{i}",
            f"e{i}",
            charge_ids=(f"c{i % 3}",),
        )
        for i, (start, length) in enumerate(spans)
    ]


@given(episode_lists(), st.integers(-5, 160), st.sampled_from([None, "c0", "c1"]), st.booleans())
def test_the_first_covering_episode_is_the_first_of_all_covering_ones(
    episodes: list[Episode], offset: int, own: str | None, started_before: bool
) -> None:
    day = DAY0 + dt.timedelta(days=offset)
    built = Episodes(episodes)
    built.check()
    every = [
        e
        for e in built.covering(EpisodeKind.ON_BAIL, day)
        if (own is None or own not in e.charge_ids) and (not started_before or e.start < day)
    ]
    skip = None if own is None else (lambda e: own in e.charge_ids)
    found = built.first_covering(EpisodeKind.ON_BAIL, day, skip=skip, started_before=started_before)
    assert found == (every[0] if every else None)
    added = Episodes()
    for episode in episodes:
        added.add(episode)
    assert list(added) == list(built)
    assert (
        added.first_covering(EpisodeKind.ON_BAIL, day, skip=skip, started_before=started_before)
        == found
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journeys())
def test_proven_reoffences_after_each_index_event_are_counted_as_by_looking_at_every_offence(
    events: list[Event],
) -> None:
    by_offender: dict[str, list[Event]] = {}
    for event in events:
        by_offender.setdefault(event.offender_id, []).append(event)
    for offender_id, stream in by_offender.items():
        facts = derive(History.build(offender_id, stream))
        for row in facts.index_events:
            proven = [
                o.offence_date
                for o in facts.offences
                if row.date < o.offence_date <= row.follow_up_end
                and o.category != "breach"
                and o.proven_date is not None
                and o.proven_date <= row.proof_deadline
            ]
            assert (row.reoffences, row.first_reoffence) == (len(proven), min(proven, default=None))
