"""The data-quality report: facts the definitions say are stored but not trusted, counted by kind.

Each oddity is shown by one event (its id is kept as an example) and counts on one
day: the day of that event, except negative durations, which count on the
sentencing occasion they were measured for (so a windowed report lists exactly
what days by sentencing occasion left out). Reports add up across offenders; the examples kept are
the smallest event ids, so the sum does not depend on the order of adding.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c = j.charge("2013-02-02", "shoplifting")
    >>> _ = j.convict("2013-01-01", c)
    >>> quality(History.build("O1", j.events), ALL_TIME).counts
    {'conviction_before_charge': 1}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

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
from ..tables import Column, Table, Tabular, plural
from .base import ALL_TIME, History, Window
from .timeline import Episode, EpisodeKind, Episodes, Oddity, latest_by_id, latest_cautions

if TYPE_CHECKING:
    from ..facts.aggregate import FactSource

__all__ = [
    "KINDS",
    "Quality",
    "QualityProjection",
    "arrests_while_held",
    "event_oddities",
    "oddities",
    "quality",
    "quality_in",
]

#: Every kind of oddity, with what it means. Order is the report's order.
KINDS: dict[str, str] = {
    "outcome_unknown_charge": "conviction or disposal for a charge id never charged",
    "duplicate_outcomes": "charge with several outcome events (the final one counts)",
    "conviction_before_charge": "conviction dated before its charge",
    "conviction_before_arrest": "conviction dated before the arrest of its charge",
    "offence_after_arrest": "offence dated after its arrest",
    "offence_after_charge": "offence dated after the charge for it",
    "offence_after_caution": "offence dated after the caution for it",
    "unknown_arrest": "charge or caution naming an arrest id never recorded",
    "resent_charge_id": "charge id recorded more than once (the last record counts)",
    "resent_id": "arrest, bail, remand, hearing, sentence, caution, licence or warrant id "
    "recorded more than once (the last record counts)",
    "sentence_unknown_charge": "sentence listing a charge id never charged",
    "sentence_charge_not_convicted": "sentence listing a charge not finally convicted",
    "negative_arrest_to_conviction": "arrest-to-conviction < 0 days (left out of that measure)",
    "negative_offence_to_arrest": "offence-to-arrest < 0 days (left out of that measure)",
    "bail_ended_without_grant": "bail ended that was never granted",
    "remand_ended_without_remand": "remand ended that never started",
    "warrant_closed_without_issue": "warrant executed or withdrawn that was never issued",
    "licence_event_without_release": "recall, return or licence end for a licence never released",
    "release_without_custodial_sentence": "release on licence from no immediate-custody sentence",
    "episode_ends_before_start": "end event (or licence end) dated before its episode's start",
    "order_without_length": "suspended sentence or community order without length_days",
    "retraction_unknown_target": "retraction of an event id not in the offender's stream",
    "recorded_in_future": "recorded_at later than the report (unseen by every view until then)",
    "arrest_while_held": "arrest dated while the person was in custody or on remand",
}

#: How many example event ids a report keeps per kind.
EXAMPLES = 5


def _kind_order(kind: str) -> tuple[int, str]:
    order = list(KINDS)
    return (order.index(kind) if kind in KINDS else len(order), kind)


def _counts(mapping: Mapping[str, int]) -> dict[str, int]:
    return {k: mapping[k] for k in sorted(mapping, key=_kind_order)}


def _examples(mapping: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {k: mapping[k] for k in sorted(mapping, key=_kind_order)}


@attrs.frozen
class Quality(Tabular):
    """Counts of oddities by kind, with up to :data:`EXAMPLES` example event ids each.

    Examples:
        >>> a = Quality({"resent_id": 1}, {"resent_id": ("e9",)})
        >>> b = Quality({"resent_id": 2}, {"resent_id": ("e1", "e2")})
        >>> (a + b).examples["resent_id"]
        ('e1', 'e2', 'e9')
    """

    counts: Mapping[str, int] = attrs.field(factory=dict, converter=_counts)
    examples: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_examples)

    @property
    def total(self) -> int:
        """All oddities of every kind."""
        return sum(self.counts.values())

    def __add__(self, other: Quality) -> Quality:
        counts = dict(self.counts)
        examples = dict(self.examples)
        for kind, n in other.counts.items():
            counts[kind] = counts.get(kind, 0) + n
        for kind, ids in other.examples.items():
            mine = examples.get(kind, ())
            examples[kind] = tuple(sorted(set(mine) | set(ids))[:EXAMPLES])
        return Quality(counts, examples)

    def table(self) -> Table:
        """One row per kind of oddity found."""
        columns = (
            Column("kind", "category"),
            Column("count", "int"),
            Column("examples"),
            Column("meaning"),
        )
        rows = tuple(
            (kind, self.counts[kind], " ".join(self.examples.get(kind, ())), KINDS.get(kind, ""))
            for kind in sorted(self.counts, key=_kind_order)
        )
        return Table("Data quality", columns, rows)

    def to_json(self) -> dict[str, Any]:
        """``{"total": n, "kinds": {kind: {"count", "examples", "meaning"}}}``."""
        return {
            "total": self.total,
            "kinds": {
                kind: {
                    "count": self.counts[kind],
                    "examples": list(self.examples.get(kind, ())),
                    "meaning": KINDS.get(kind, ""),
                }
                for kind in sorted(self.counts, key=_kind_order)
            },
        }

    def __str__(self) -> str:
        if not self.counts:
            return "No data-quality issues found."
        table = self.table()
        counts = Table(table.title, table.columns[:3], tuple(row[:3] for row in table.rows))
        explained = "\n".join(f"  {kind}: {meaning}" for kind, _, _, meaning in table.rows)
        return "\n".join(
            [
                f"{plural(self.total, 'oddity', 'oddities')} of {plural(len(self.counts), 'kind')} "
                "(stored, not rejected; each view says how it treats them):",
                counts.to_text(title=False),
                "",
                "What each kind means:",
                explained,
            ]
        )


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

    if history.retractions:
        known = {e.event_id for e in history.events}
        known.update(e.event_id for e in history.retracted)
        known.update(r.event_id for r in history.retractions)
        for retraction in history.retractions:
            if retraction.target_event_id not in known:
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


def oddities(history: History, window: Window = ALL_TIME) -> list[Oddity]:
    """Every oddity of one offender's history that counts on a day in ``window``."""
    from ..facts.derive import derive

    rows = derive(history, QualityProjection.tables).quality_issues
    return [Oddity(r.code, r.event_id, r.day) for r in rows if window.contains(r.day)]


def quality_in(source: FactSource, window: Window = ALL_TIME) -> Quality:
    """The report of the ``quality_issues`` counting in ``window``, counted in SQL.

    The examples are the smallest distinct event ids of each kind.
    """
    where, params = source.where("q", "day", window)
    counts = {
        source.text(code): int(n)
        for code, n in source.fetch(
            f"SELECT q.code, COUNT(*) FROM quality_issues q WHERE {where} GROUP BY q.code",
            params,
        )
    }
    examples: dict[str, list[str]] = {}
    for code, event_id in source.fetch(
        "SELECT code, event_id FROM (SELECT code, event_id, ROW_NUMBER() OVER "
        f"(PARTITION BY code ORDER BY event_id{source.dialect.collate}) AS n FROM "
        f"(SELECT DISTINCT q.code, q.event_id FROM quality_issues q WHERE {where}) d) r "
        f"WHERE n <= {EXAMPLES}",
        params,
    ):
        examples.setdefault(source.text(code), []).append(source.text(event_id))
    return Quality(counts, {code: tuple(sorted(ids)) for code, ids in examples.items()})


def quality(history: History, window: Window = ALL_TIME) -> Quality:
    """One offender's data-quality report for oddities counting on days in ``window``."""
    from ..facts.aggregate import scratch_of

    with scratch_of([history], QualityProjection.tables) as scratch:
        return quality_in(scratch.source, window)


@attrs.frozen
class QualityProjection:
    """The quality report as a :class:`~offender_journey.projections.base.Projection`."""

    name: str = "quality"
    #: The fact tables the view reads.
    tables: ClassVar[tuple[str, ...]] = ("quality_issues",)

    def aggregate(self, source: FactSource, window: Window) -> Quality:
        """The :class:`Quality` of every offender of ``source`` in ``window``."""
        return quality_in(source, window)

    def empty(self) -> Quality:
        """The zero result (no offenders)."""
        return Quality()
