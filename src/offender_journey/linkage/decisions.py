"""Link decisions as events: who was linked to whom, from when, and on whose say-so.

Every decision lives in the stream of the source record it is about, and names no other
record, so erasing a record erases its decisions, restricting it hides them, and a
pseudonymised export hashes them like any other event:

* ``record_linked``: from its ``recorded_at`` on, the record belongs to ``person_id``,
  with the match weight that holds it there (or the rule: a shared identifier, a
  person's join) and the model's version. A run records one for each record whose person
  it changes (the first run: every record), all at the run's time.
* ``link_reviewed``: a person's decision about two records, ``join`` or ``never``: one
  event in each record's stream, the two sharing a random ``pair`` token. A decision whose
  other half is gone (erased, or hidden by a restriction) binds nothing.

:func:`read_state` folds these (as of any time) into :class:`LinkState`: each record's
person then, and the reviews in force, the latest decision on a pair winning.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from ..codec import LONDON
from ..events import (
    SOURCE_NAME,
    Event,
    LinkDecision,
    LinkReviewed,
    LinkRule,
    PersonRecorded,
    RecordLinked,
    record_key,
)
from ..store.base import EventStore
from .clusters import assign_ids, person_number
from .model import Database

__all__ = [
    "Change",
    "LinkState",
    "Review",
    "changes",
    "decision_events",
    "joined",
    "parse_record",
    "read_state",
    "review_events",
]

#: What :func:`read_state` reads of a store.
_STATE_TYPES = frozenset({PersonRecorded.TYPE, RecordLinked.TYPE, LinkReviewed.TYPE})

_IDENTITY_FIELDS = (
    "forenames",
    "surname",
    "date_of_birth",
    "sex",
    "postcode",
    "pnc_id",
    "cro_number",
    "crn",
    "nomis_number",
)


def parse_record(text: str) -> tuple[str | None, str]:
    """A source record's key (:func:`~offender_journey.events.record_key`) → source and id.

    A key with no source name before its first colon is a record of the default source.

    >>> parse_record("prison:A1234BC"), parse_record("O1")
    (('prison', 'A1234BC'), (None, 'O1'))
    """
    source, colon, offender_id = text.partition(":")
    if colon and offender_id and SOURCE_NAME.fullmatch(source):
        return source, offender_id
    if not text:
        raise ValueError("a source record is written SOURCE:ID (police:PCR0123456), or ID")
    return None, text


@attrs.frozen
class Review:
    """A person's decision about two records, in force from ``recorded_at``."""

    a: str
    b: str
    decision: LinkDecision
    reason: str
    recorded_at: dt.datetime


@attrs.frozen
class LinkState:
    """Everything linkage needs from the store, as of one time."""

    #: Every source record the store holds (visible ones: restricted records are left out).
    records: frozenset[str]
    #: Each record's current identity, as a row (``source``, ``offender_id`` and its fields).
    identities: Mapping[str, Mapping[str, Any]]
    #: Each linked record's person id.
    persons: Mapping[str, str]
    #: The reviews in force, one per pair: the latest decision on it.
    reviews: tuple[Review, ...]
    #: The highest person number ever given (new persons are numbered after it).
    highest: int

    def joins(self) -> list[tuple[str, str]]:
        """Pairs a person has joined."""
        return [(r.a, r.b) for r in self.reviews if r.decision is LinkDecision.JOIN]

    def nevers(self) -> list[tuple[str, str]]:
        """Pairs a person has kept apart."""
        return [(r.a, r.b) for r in self.reviews if r.decision is LinkDecision.NEVER]

    def person_of(self, record: str) -> str:
        """A record's person: its linked person, or the record itself until a run links it."""
        return self.persons.get(record, record)

    def listing(self) -> dict[str, list[str]]:
        """Person id → its records (sorted), every record in exactly one person."""
        out: dict[str, list[str]] = defaultdict(list)
        for record in sorted(self.records):
            out[self.person_of(record)].append(record)
        return dict(sorted(out.items()))


def read_state(store: EventStore, *, as_of: dt.datetime | None = None) -> LinkState:
    """Fold the store's identity records and link decisions, as of a time.

    The store reads only those three types of event (a record's arrests and charges are
    never decoded) and lists the records by key, so the cost follows the identity records.
    """
    records = frozenset(store.offenders(as_of=as_of))
    identities: dict[str, dict[str, Any]] = {}
    persons: dict[str, str] = {}
    halves: dict[str, list[tuple[str, LinkReviewed]]] = defaultdict(list)
    highest = 0
    for key, stream in store.read_all(as_of=as_of, types=_STATE_TYPES):
        for event in _in_transaction_order(stream):
            if isinstance(event, PersonRecorded):
                identities[key] = _identity_row(event)
            elif isinstance(event, RecordLinked):
                persons[key] = event.person_id
                highest = max(highest, person_number(event.person_id) or 0)
            elif isinstance(event, LinkReviewed):
                halves[event.pair].append((key, event))
    latest: dict[tuple[str, str], Review] = {}
    for both in halves.values():
        if len(both) != 2 or both[0][0] == both[1][0]:
            continue
        (a, first), (b, _) = sorted(both, key=lambda half: half[0])
        review = Review(a, b, first.decision, first.reason, _recorded(first))
        known = latest.get((a, b))
        if known is None or review.recorded_at >= known.recorded_at:
            latest[(a, b)] = review
    return LinkState(
        records=records,
        identities=identities,
        persons=persons,
        reviews=tuple(sorted(latest.values(), key=lambda r: (r.recorded_at, r.a, r.b))),
        highest=highest,
    )


def _recorded(event: Event) -> dt.datetime:
    assert event.recorded_at is not None  # events read from a store carry their time
    return event.recorded_at


def _in_transaction_order(stream: Iterable[Event]) -> list[Event]:
    return sorted(stream, key=_recorded)


def _identity_row(event: PersonRecorded) -> dict[str, Any]:
    row: dict[str, Any] = {"key": record_key(event.source, event.offender_id)}
    for name in _IDENTITY_FIELDS:
        value = getattr(event, name)
        row[name] = str(value) if name == "sex" and value is not None else value
    return row


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def decision_events(
    decisions: Iterable[tuple[str, str, float | None, str]],
    state: LinkState,
    model_version: str,
    now: dt.datetime,
) -> Iterator[RecordLinked]:
    """A ``record_linked`` for each record whose person the run changes, all at ``now``.

    ``decisions`` are a run's ``(record, person_id, weight, rule)`` in key order (see
    :meth:`~offender_journey.linkage.link.LinkResult.decisions`), read one at a time.
    """
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    for number, (record, person, weight, rule) in enumerate(decisions):
        if state.persons.get(record) == person:
            continue
        source, offender_id = parse_record(record)
        yield RecordLinked(
            event_id=f"link-{stamp}-{number}",
            offender_id=offender_id,
            source=source,
            date=_day(now),
            recorded_at=now,
            person_id=person,
            rule=LinkRule(rule),
            weight=None if weight is None or weight == float("inf") else round(weight, 3),
            model_version=model_version,
        )


def joined(state: LinkState, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The persons of the records a person's joins touch, once those joins hold.

    A join takes effect when it is recorded, not at the next run: the persons of the two
    records become one, which keeps the oldest id (a record no run has linked yet gets a
    new one). Records of persons no join touches are left out. Checking that a join breaks
    no constraint (different valid PNC IDs) is the caller's. Ids are given as a run gives
    them (:func:`~offender_journey.linkage.clusters.assign_ids`, in DuckDB: the link extra).

    >>> state = LinkState(frozenset({"a:1", "b:2", "c:3"}), {}, {"a:1": "P000004"}, (), 4)
    >>> joined(state, [("a:1", "b:2")])
    {'a:1': 'P000004', 'b:2': 'P000004'}
    >>> joined(state, [("b:2", "c:3")])
    {'b:2': 'P000005', 'c:3': 'P000005'}
    """
    root: dict[str, str] = {}

    def find(person: str) -> str:
        while root.get(person, person) != person:
            person = root[person]
        return person

    for a, b in pairs:
        first, second = sorted((find(state.person_of(a)), find(state.person_of(b))))
        if first != second:
            root[second] = first
    touched = set(root) | set(root.values())
    clusters = {
        record: find(state.person_of(record))
        for record in sorted(state.records)
        if state.person_of(record) in touched
    }
    if not clusters:
        return {}
    database = Database()
    try:
        con = database.con
        con.execute("CREATE TABLE touched (unique_id VARCHAR, cluster_id VARCHAR)")
        con.executemany("INSERT INTO touched VALUES (?, ?)", list(clusters.items()))
        con.execute("CREATE TABLE earlier (unique_id VARCHAR, person_id VARCHAR)")
        earlier = [(r, state.persons[r]) for r in clusters if r in state.persons]
        if earlier:
            con.executemany("INSERT INTO earlier VALUES (?, ?)", earlier)
        named = assign_ids(database, "touched", "earlier", state.highest + 1)
        found = con.execute(f"SELECT unique_id, person_id FROM {named} ORDER BY unique_id")
        return dict(found.fetchall())
    finally:
        database.close()


def review_events(
    a: str, b: str, decision: LinkDecision, reason: str, now: dt.datetime
) -> list[LinkReviewed]:
    """The two halves of a person's decision about records ``a`` and ``b``."""
    pair = secrets.token_hex(8)
    events = []
    for side, record in enumerate((a, b)):
        source, offender_id = parse_record(record)
        events.append(
            LinkReviewed(
                event_id=f"review-{pair}-{side}",
                offender_id=offender_id,
                source=source,
                date=_day(now),
                recorded_at=now,
                pair=pair,
                decision=decision,
                reason=reason,
            )
        )
    return events


@attrs.frozen
class Change:
    """A merge (one person now holds records of several earlier ones) or a split."""

    kind: str
    #: The merged person, or the person split.
    person_id: str
    #: The earlier persons merged, or the persons the split made.
    others: tuple[str, ...]


def changes(before: LinkState, after: LinkState) -> list[Change]:
    """The merges and splits between two states (records new since ``before`` aside)."""
    then: dict[str, set[str]] = defaultdict(set)
    now: dict[str, set[str]] = defaultdict(set)
    for record in after.records & before.records:
        old, new = before.person_of(record), after.person_of(record)
        now[new].add(old)
        then[old].add(new)
    out = [
        Change("merge", person, tuple(sorted(olds)))
        for person, olds in sorted(now.items())
        if len(olds) > 1
    ]
    out += [
        Change("split", person, tuple(sorted(news)))
        for person, news in sorted(then.items())
        if len(news) > 1
    ]
    return out
