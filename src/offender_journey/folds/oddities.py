"""Oddities one offender's events show: facts the definitions say are stored but not trusted.

What each kind means is listed in :data:`offender_journey.views.quality.KINDS`;
:func:`offender_journey.facts.derive.derive` writes them as ``quality_issues`` rows,
and the quality view counts those.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator

from ..events import (
    Arrest,
    Caution,
    Charge,
    ChargeDisposed,
    Conviction,
    CourtAppearance,
    Event,
    Sentence,
)
from ..history import History
from ..linkage.identifiers import checked_identifiers
from .episodes import Episode, EpisodeKind, Episodes, Oddity, latest_by_id, latest_cautions

__all__ = ["arrests_while_held", "event_oddities", "held_overlaps"]


def event_oddities(history: History) -> Iterator[Oddity]:
    """Oddities shown by single events and their references (episodes and durations aside)."""
    charges = history.charges
    arrests = history.arrests
    outcomes = history.outcomes
    outcome_count: dict[str, int] = {}
    outcome_kinds: tuple[type[Conviction | ChargeDisposed], ...] = (Conviction, ChargeDisposed)
    for kind in outcome_kinds:
        for outcome in history.of_type(kind):
            charge_id = outcome.charge_id
            outcome_count[charge_id] = outcome_count.get(charge_id, 0) + 1
            charge = charges.get(charge_id)
            if charge is None:
                yield Oddity("outcome_unknown_charge", outcome.event_id, outcome.date)
                continue
            if kind is not Conviction:
                continue
            if outcome.date < charge.date:
                yield Oddity("conviction_before_charge", outcome.event_id, outcome.date)
            arrest = arrests.get(charge.arrest_id) if charge.arrest_id else None
            if arrest is not None and outcome.date < arrest.date:
                yield Oddity("conviction_before_arrest", outcome.event_id, outcome.date)
    for charge_id, n in outcome_count.items():
        if n > 1:
            final = outcomes[charge_id]
            yield Oddity("duplicate_outcomes", final.event_id, final.date)

    seen: set[str] = set()
    for charge in history.of_type_recorded(Charge):
        if charge.charge_id in seen:
            yield Oddity("resent_charge_id", charge.event_id, charge.date)
        seen.add(charge.charge_id)
    # Bail, remand, warrant, sentence and licence ids are checked with their episodes.
    introducing: tuple[tuple[type[Event], str], ...] = (
        (Arrest, "arrest_id"),
        (CourtAppearance, "hearing_id"),
        (Caution, "caution_id"),
    )
    for introduced, field in introducing:
        seen = set()
        for event in history.of_type_recorded(introduced):
            key = getattr(event, field)
            if key in seen:
                yield Oddity("resent_id", event.event_id, event.date)
            seen.add(key)
    offences: list[Charge | Caution] = [*charges.values(), *latest_cautions(history).values()]
    for offence in offences:
        if offence.offence_date > offence.date:
            late = (
                "offence_after_charge" if isinstance(offence, Charge) else "offence_after_caution"
            )
            yield Oddity(late, offence.event_id, offence.date)
        if offence.arrest_id is None:
            continue
        arrest = arrests.get(offence.arrest_id)
        if arrest is None:
            yield Oddity("unknown_arrest", offence.event_id, offence.date)
        elif offence.offence_date > arrest.date:
            yield Oddity("offence_after_arrest", offence.event_id, offence.date)

    convictions = history.convictions
    for sentence in latest_by_id(history, Sentence, "sentence_id").values():
        for charge_id in dict.fromkeys(sentence.charge_ids):
            if charge_id not in charges:
                yield Oddity("sentence_unknown_charge", sentence.event_id, sentence.date)
            elif charge_id not in convictions:
                yield Oddity("sentence_charge_not_convicted", sentence.event_id, sentence.date)

    for event in history.future:
        yield Oddity("recorded_in_future", event.event_id, event.date)

    for conflict in history.conflicts:  # a person's sources disagreeing about one fact
        yield Oddity(f"conflicting_{conflict.kind}", conflict.shown, conflict.kept[-1].date)

    person = history.person
    if person is not None:  # the current identity record: the one linkage reads
        for checked in checked_identifiers(person):
            if not checked.valid:
                yield Oddity(f"invalid_{checked.field}", person.event_id, person.date)

    if history.retractions:
        # An event id is its source's own: a retraction reaches only its source's events.
        known = {(e.source, e.event_id) for e in history.events}
        known.update((e.source, e.event_id) for e in history.retracted)
        known.update((e.source, e.event_id) for e in history.set_aside)
        known.update((r.source, r.event_id) for r in history.retractions)
        for retraction in history.retractions:
            if (retraction.source, retraction.target_event_id) not in known:
                yield Oddity("retraction_unknown_target", retraction.event_id, retraction.date)


_HELD = (EpisodeKind.IN_CUSTODY, EpisodeKind.REMANDED)


def arrests_while_held(
    history: History, episodes: Episodes | Iterable[Episode]
) -> Iterator[Oddity]:
    """Arrests dated strictly inside the person's own custody or remand episodes.

    The first day of a hold does not count (arrested, charged and remanded the same
    day is the usual course), nor its end day (arrested at the gate on release).
    ``episodes`` may be the :class:`Episodes` already built for the history (shared,
    not rebuilt).
    """
    if isinstance(episodes, Episodes):
        held = episodes
        if not any(held.of_kind(kind) for kind in _HELD):
            return
    else:
        held = Episodes(e for e in episodes if e.kind in _HELD)
        if not len(held):
            return
    for arrest in history.arrests.values():
        day = arrest.date
        if any(held.first_covering(kind, day, started_before=True) for kind in _HELD):
            yield Oddity("arrest_while_held", arrest.event_id, day)


def held_overlaps(episodes: Episodes) -> Iterator[Oddity]:
    """Bail that overlaps the person's remand or prison terms by a day or more, and
    community orders made during a prison term. O(n log n) in the episodes.

    A hold that starts on the day bail ends is the usual course (bail ends when the
    person is remanded); an order that a later prison term interrupts is ended there by
    the episodes' rule, so only an order *made* in prison is left to report.
    """
    held = _Spans(e for kind in _HELD for e in episodes.of_kind(kind))
    for bail in episodes.of_kind(EpisodeKind.ON_BAIL):
        day = held.first_overlap(bail.start, bail.end) if bail.start < bail.end else None
        if day is not None:
            yield Oddity("bail_while_held", bail.start_event_id, day)
    prison = _Spans(episodes.of_kind(EpisodeKind.IN_CUSTODY))
    for order in episodes.of_kind(EpisodeKind.COMMUNITY_ORDER):
        if prison.covers(order.start):
            yield Oddity("order_while_in_prison", order.start_event_id, order.start)


class _Spans:
    """Episodes' ``[start, end)`` spans, sorted by start with the running latest end, for
    "does any cover this day" and "where does the first overlap begin" in O(log n)."""

    def __init__(self, episodes: Iterable[Episode]) -> None:
        spans = sorted((e.start, e.end) for e in episodes if e.start < e.end)
        self.starts = [start for start, _ in spans]
        self.latest: list[dt.date] = list(itertools.accumulate((end for _, end in spans), max))

    def covers(self, day: dt.date) -> bool:
        """Whether a span holds ``day``."""
        at = bisect.bisect_right(self.starts, day)
        return at > 0 and self.latest[at - 1] > day

    def first_overlap(self, start: dt.date, end: dt.date) -> dt.date | None:
        """The first day of ``[start, end)`` some span holds, ``None`` if none does."""
        if self.covers(start):
            return start
        at = bisect.bisect_right(self.starts, start)
        if at < len(self.starts) and self.starts[at] < end:
            return self.starts[at]
        return None
