"""One offender's effective history: what every fold starts from.

One offender's events are folded, in stream order, into a :class:`Journey`
(an append-only accumulator: folding a stream split in two equals folding it
whole). :meth:`Journey.history` freezes it into a :class:`History`: the
*effective* events (transaction time cut at ``as_of``, retractions applied),
sorted by valid time, with the indices every fold needs (charges, arrests, final
outcomes, sentencing occasions). The folds (:mod:`offender_journey.folds`) and
:func:`offender_journey.facts.derive.derive` read nothing else.

Ordering rule, used wherever the definitions say "appended later": transaction order,
that is ``recorded_at`` and then position in the stream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from operator import attrgetter
from typing import TypeVar, cast

import attrs

from .codec import parse_date, parse_instant
from .events import (
    EVENT_TYPES,
    Arrest,
    Caution,
    Charge,
    ChargeDisposed,
    Conviction,
    Event,
    EventRetracted,
    OffenderProfile,
    PersonRecorded,
    Sentence,
    record_key,
)
from .persons import Conflict, Rules, merge

__all__ = [
    "ALL_TIME",
    "History",
    "Journey",
    "Outcome",
    "Window",
    "as_of_date",
    "as_of_instant",
    "fold",
]

R = TypeVar("R")

_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)

#: The concrete event classes (none subclasses another), for exact-type look-ups.
EVENT_CLASSES: frozenset[type] = frozenset(EVENT_TYPES.values())


def _recorded_key(event: Event) -> dt.datetime:
    return event.recorded_at or _EPOCH


_DATE = attrgetter("date")
_RECORDED = attrgetter("recorded_at")


def _group(events: Iterable[Event]) -> dict[type[Event], list[Event]]:
    groups: dict[type[Event], list[Event]] = {}
    for event in events:
        group = groups.get(type(event))
        if group is None:
            groups[type(event)] = [event]
        else:
            group.append(event)
    return groups


Outcome = Conviction | ChargeDisposed


def _window_day(value: object) -> dt.date | None:
    """A window end: a date, a ``YYYY-MM-DD`` string (or datetime with offset), or ``None``."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str | dt.datetime):
        return parse_date(value)
    raise TypeError(
        f"a window end must be a date, a 'YYYY-MM-DD' string or None, not {type(value).__name__}"
    )


@attrs.frozen
class Window:
    """An inclusive valid-time window ``[start, end]``; ``None`` leaves a side open.

    Ends may be given as dates or ISO strings (``"2012-01-01"``); anything else raises
    ``TypeError``, and a window that ends before it starts raises ``ValueError``, both
    at construction rather than deep inside a view.

    Examples:
        >>> Window(dt.date(2012, 1, 1), dt.date(2015, 12, 31)).contains(dt.date(2013, 5, 1))
        True
        >>> Window("2012-01-01", "2015-12-31").start
        datetime.date(2012, 1, 1)
    """

    start: dt.date | None = attrs.field(default=None, converter=_window_day)
    end: dt.date | None = attrs.field(default=None, converter=_window_day)

    def __attrs_post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"the window starts on {self.start}, after it ends ({self.end})")

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` lies inside the window (both ends included)."""
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def before(self, day: dt.date) -> bool:
        """Whether ``day`` lies before the window's start."""
        return self.start is not None and day < self.start


#: All of time.
ALL_TIME = Window()


def as_of_instant(value: dt.datetime | dt.date | str | None) -> dt.datetime | None:
    """An ``as_of`` as an aware UTC datetime, converted as the command line does.

    Accepts an aware datetime, an ISO datetime string with offset, or a date (object or
    ``YYYY-MM-DD``) meaning the end of that day, UTC. ``None`` stays ``None`` (now).
    A naive datetime raises ``ValueError``; any other type ``TypeError``.

    Examples:
        >>> as_of_instant("2016-01-01")
        datetime.datetime(2016, 1, 1, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)
    """
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        value = parse_date(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time.max, tzinfo=dt.UTC)
    if isinstance(value, dt.datetime | str):
        try:
            return parse_instant(value)
        except ValueError as exc:
            raise ValueError(f"as_of: {exc}") from None
    raise TypeError(
        f"as_of must be an aware datetime, an ISO datetime string or a date, "
        f"not {type(value).__name__}"
    )


def as_of_date(as_of: dt.datetime | None) -> dt.date:
    """The London calendar date of a transaction time (today when ``None``)."""
    return parse_date(as_of if as_of is not None else dt.datetime.now(dt.UTC))


@attrs.define
class Journey:
    """One offender's events in stream order: the fold's accumulator.

    Cheap to extend; all the work happens once, in :meth:`history`.
    """

    offender_id: str
    events: list[Event] = attrs.Factory(list)

    def add(self, event: Event) -> None:
        """Fold in one event (the next in stream order)."""
        self.events.append(event)

    def extend(self, events: Iterable[Event]) -> None:
        """Fold in several events in stream order."""
        self.events.extend(events)

    def history(self, as_of: dt.datetime | None = None) -> History:
        """The effective history as of a transaction time (``None`` = now)."""
        return History.build(self.offender_id, self.events, as_of)


def fold(events: Iterable[Event], journey: Journey | None = None) -> Journey:
    """Fold events (one offender, stream order) into a journey, continuing ``journey`` if given."""
    items = iter(events)
    if journey is None:
        first = next(items, None)
        if first is None:
            raise ValueError("cannot fold an empty stream without a journey to continue")
        journey = Journey(record_key(first.source, first.offender_id), [first])
    journey.extend(items)
    return journey


def _effective_ids(events: Sequence[Event]) -> set[str]:
    """Event ids that are retracted by a retraction that is itself in force.

    A retraction is in force unless a retraction in force retracts it; one that
    would retract a retraction already on the chain being resolved (a cycle) is
    ignored. Resolved with an explicit stack, so a chain of any length folds.
    """
    targeted_by: dict[str, list[str]] = {}
    for event in events:
        if isinstance(event, EventRetracted):
            targeted_by.setdefault(event.target_event_id, []).append(event.event_id)
    if not targeted_by:
        return set()
    retracted: dict[str, bool] = {}
    for start in targeted_by:
        if start in retracted:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(targeted_by[start]))]
        on_chain = {start}
        returned: bool | None = None  # the verdict on the retraction just resolved
        while stack:
            node, candidates = stack[-1]
            # A retraction of ``node`` that is not itself retracted is in force.
            verdict: bool | None = True if returned is False else None
            returned = None
            if verdict is None:
                for retraction in candidates:
                    if retraction in on_chain:
                        continue
                    known = retracted.get(retraction)
                    if known is False:
                        verdict = True
                        break
                    if known is None:
                        stack.append((retraction, iter(targeted_by.get(retraction, ()))))
                        on_chain.add(retraction)
                        break
                else:
                    verdict = False
                if verdict is None:
                    continue  # resolve the retraction just pushed first
            retracted[node] = verdict
            stack.pop()
            on_chain.discard(node)
            returned = verdict
    return {target for target in targeted_by if retracted[target]}


@attrs.frozen(eq=False)
class History:
    """One offender's effective events, sorted by valid time, with shared indices.

    Built once per offender per query and shared by every view, so a single pass
    over the store computes all of them.
    """

    offender_id: str
    #: Effective events in valid-time order (ties: transaction order).
    events: tuple[Event, ...]
    #: The same events in transaction order (``recorded_at``, then stream position).
    in_transaction_order: tuple[Event, ...]
    #: Events retracted by a retraction in force (kept for the quality report).
    retracted: tuple[Event, ...]
    #: The transaction time the history was cut at (``None`` = the time it was built).
    as_of: dt.datetime | None
    #: Every retraction known at ``as_of``, in force or not (for the quality report).
    retractions: tuple[EventRetracted, ...] = ()
    #: Events recorded after the history was built (a wrong clock, a placeholder time),
    #: when ``as_of`` is now or later; unseen unless ``as_of`` is later still.
    future: tuple[Event, ...] = ()
    #: A person's events about a fact that a source ranked higher reported too (they count
    #: nowhere; see :mod:`offender_journey.persons`).
    set_aside: tuple[Event, ...] = ()
    #: The facts the person's sources gave differing accounts of, and whose counted.
    conflicts: tuple[Conflict, ...] = ()
    #: Charges matched by offence: ``(source, its charge id, the charge id kept)``.
    matched: tuple[tuple[str | None, str, str], ...] = ()

    @classmethod
    def build(
        cls,
        offender_id: str,
        events: Iterable[Event],
        as_of: dt.datetime | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> History:
        """Cut at ``as_of`` (default ``now``), apply retractions and sort: the effective history.

        ``now`` is the moment of the query (default: the current time); pass one instant
        for a whole cohort so every offender is cut alike.
        """
        now = dt.datetime.now(dt.UTC) if now is None else now
        cut = now if as_of is None else as_of
        # Future-recorded events are oddities of the present: a history of the past (a
        # published quarter reproduced) is not told about them, so it stays as it was.
        watch = as_of is None or as_of > now
        seen_late = cut > now  # an as_of after now sees some future-recorded events
        stream: list[Event] = []
        future: list[Event] = []
        unrecorded = retracting = False
        for event in events:
            recorded = event.recorded_at
            if recorded is None:
                unrecorded = True
            elif recorded > cut:
                if watch and recorded > now:
                    future.append(event)
                continue
            elif seen_late and recorded > now:
                future.append(event)
            stream.append(event)
            if isinstance(event, EventRetracted):
                retracting = True
        # Transaction order first: the sort is stable, so position in the stream breaks
        # recorded_at ties.
        in_transaction_order = sorted(stream, key=_recorded_key if unrecorded else _RECORDED)
        kept: list[Event] = in_transaction_order
        dropped: list[Event] = []
        retractions: list[EventRetracted] = []
        if retracting:  # few streams hold a retraction: the others keep every event
            gone = _effective_ids(in_transaction_order)
            kept = []
            for event in in_transaction_order:
                if isinstance(event, EventRetracted):
                    retractions.append(event)
                elif event.event_id in gone:
                    dropped.append(event)
                else:
                    kept.append(event)
        # A stable sort keeps transaction order among events of the same date.
        by_date = sorted(kept, key=_DATE)
        return cls(
            offender_id,
            tuple(by_date),
            tuple(kept),
            tuple(dropped),
            as_of,
            tuple(retractions),
            tuple(future),
        )

    @classmethod
    def of_records(
        cls,
        person_id: str,
        records: Mapping[str, Iterable[Event]],
        as_of: dt.datetime | None = None,
        *,
        now: dt.datetime | None = None,
        rules: Rules | None = None,
    ) -> History:
        """One person's history from the streams of their source records (key → events).

        Each source's records are cut and their retractions applied on their own (an event
        id is unique only within its source, and a retraction may sit in another record of
        the same source); then the effective events are put together with each fact once,
        the sources ranked by ``rules`` (default :class:`~offender_journey.persons.Rules`)
        where their accounts differ (:func:`~offender_journey.persons.merge`): one history
        whose indices span every record. The history of one source is :meth:`build`'s,
        renamed. O(n log n) in the events.
        """
        now = dt.datetime.now(dt.UTC) if now is None else now
        by_source: dict[str | None, list[Event]] = {}
        for events in records.values():
            for event in events:
                by_source.setdefault(event.source, []).append(event)
        parts = [
            cls.build(str(source), events, as_of, now=now) for source, events in by_source.items()
        ]
        if len(parts) == 1:
            return attrs.evolve(parts[0], offender_id=person_id)
        merged = merge(
            sorted(
                (event for part in parts for event in part.in_transaction_order),
                key=_recorded_key,
            ),
            rules,
        )
        return cls(
            person_id,
            tuple(sorted(merged.events, key=_DATE)),
            merged.events,
            tuple(event for part in parts for event in part.retracted),
            as_of,
            tuple(event for part in parts for event in part.retractions),
            tuple(event for part in parts for event in part.future),
            merged.set_aside,
            merged.conflicts,
            merged.matched,
        )

    # --- indices (computed on first use) -------------------------------------------------

    @cached_property
    def by_type(self) -> dict[type[Event], list[Event]]:
        """Effective events grouped by class, each group in valid-time order (one pass)."""
        return _group(self.events)

    @cached_property
    def journey(self) -> tuple[Event, ...]:
        """The effective events less the link decisions about the person's records: what
        happened to the person, which is what every count of events counts."""
        if not any(kind.ABOUT_THE_RECORD for kind in self.by_type):
            return self.events  # nearly every history: a type look-up, not a pass
        return tuple(e for e in self.events if not e.ABOUT_THE_RECORD)

    @cached_property
    def by_type_recorded(self) -> dict[type[Event], list[Event]]:
        """Effective events grouped by class, each group in transaction order (one pass)."""
        return _group(self.in_transaction_order)

    def of_type(self, kind: type[R]) -> list[R]:
        """Effective events of one type, in valid-time order."""
        group = self.by_type.get(kind)  # type: ignore[arg-type]
        if group is not None:
            return cast("list[R]", list(group))
        if kind in EVENT_CLASSES:
            return []
        return [e for e in self.events if isinstance(e, kind)]

    @cached_property
    def charges(self) -> dict[str, Charge]:
        """Charges by ``charge_id``; a re-sent charge id keeps the one appended last."""
        latest = {c.charge_id: c for c in self._in_transaction_order(Charge)}
        return dict(sorted(latest.items(), key=lambda item: item[1].date))

    @cached_property
    def arrests(self) -> dict[str, Arrest]:
        """Arrests by ``arrest_id``; a re-sent arrest id keeps the one appended last."""
        return {a.arrest_id: a for a in self._in_transaction_order(Arrest)}

    @cached_property
    def outcomes(self) -> dict[str, Outcome]:
        """Each charge id's final outcome: latest ``date``, ties to the one appended later."""
        final: dict[str, Outcome] = {}
        # self.events is date-ordered with transaction order inside a date, so the last
        # outcome seen for a charge is its final one.
        for event in self.events:
            kind = type(event)
            if kind is Conviction or kind is ChargeDisposed:
                outcome = cast(Outcome, event)
                final[outcome.charge_id] = outcome
        return final

    @cached_property
    def convictions(self) -> dict[str, Conviction]:
        """Convicted charges (final outcome a conviction), by charge id."""
        return {k: v for k, v in self.outcomes.items() if isinstance(v, Conviction)}

    def latest(self, kind: type[R], field: str) -> list[R]:
        """The records of one introducing type that describe their thing, in valid-time order.

        When several records carry the same id (``field``: ``sentence_id``, ``caution_id``,
        …), the one appended last describes the thing and the earlier ones count nowhere.
        """
        records = self.of_type_recorded(kind)
        key = attrgetter(field)
        if len({key(record) for record in records}) == len(records):
            return self.of_type(kind)  # no id re-sent: every record is the latest of its id
        latest = {key(record): record for record in records}
        return sorted(latest.values(), key=_DATE)

    @cached_property
    def sentences(self) -> list[Sentence]:
        """Sentences in date order; a re-sent sentence id keeps the one appended last."""
        return self.latest(Sentence, "sentence_id")

    @cached_property
    def sentencing_occasions(self) -> tuple[dt.date, ...]:
        """Distinct sentence dates over the whole history, in order: occasion k is index k-1."""
        return tuple(sorted({s.date for s in self.sentences}))

    @cached_property
    def cautions(self) -> list[Caution]:
        """Cautions in date order; a re-sent caution id keeps the one appended last."""
        return self.latest(Caution, "caution_id")

    @cached_property
    def profile(self) -> OffenderProfile | None:
        """The profile appended last (transaction order, whatever its date), if any.

        A correction is recorded later, so it wins even when dated earlier.
        """
        profiles = self.of_type_recorded(OffenderProfile)
        return profiles[-1] if profiles else None

    @cached_property
    def person(self) -> PersonRecorded | None:
        """The current identity record: the one appended last (transaction order), if any."""
        people = self.of_type_recorded(PersonRecorded)
        return people[-1] if people else None

    def of_type_recorded(self, kind: type[R]) -> list[R]:
        """Effective events of one type, in transaction order (the last is the latest record)."""
        group = self.by_type_recorded.get(kind)  # type: ignore[arg-type]
        if group is not None:
            return cast("list[R]", list(group))
        if kind in EVENT_CLASSES:
            return []
        return [e for e in self.in_transaction_order if isinstance(e, kind)]

    def _in_transaction_order(self, kind: type[R]) -> Iterator[R]:
        return iter(self.of_type_recorded(kind))
