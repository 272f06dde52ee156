"""Cohort-level metrics: every requested view in one pass over offenders' facts.

The default views count in SQL over fact tables (see
:mod:`offender_journey.facts.aggregate`): a store's own tables when they can answer,
else facts derived on the fly, offender by offender, into a temporary database that
the same SQL counts. Other views fold each offender's facts or history and their
per-offender results are summed as they come. Memory is bounded by one offender's
stream plus a batch of rows and the running totals.

A view is one entry of :data:`~offender_journey.views.VIEWS` (name →
:class:`~offender_journey.views.View`, re-exported here); its result's ``to_json()``
appears under its name. Adding a view is adding one entry with :func:`register_view`.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c = j.charge("2013-01-10", "shoplifting")
    >>> _ = j.convict("2013-03-01", c)
    >>> report = compute([("O1", j.events)])
    >>> report.offenders, report.events, report.conversion.rate
    (1, 2, 1.0)
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import operator
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .dates import span_in_words, when_in_words
from .events import record_key
from .facts.aggregate import FactSource, offender_counts
from .facts.linked import Unit, history_of, linked_persons, person_units
from .facts.refresh import auto_jobs, facts_as_of
from .facts.schema import OffenderFacts
from .facts.scratch import Scratch
from .history import ALL_TIME, History, Window, as_of_date, as_of_instant
from .persons import Rules, read_rules
from .progress import Progress, counted
from .store import open_store
from .store.sqlite import SQLiteStore
from .tables import plural
from .views import (
    VIEWS,
    Accumulator,
    SumAccumulator,
    View,
    ViewChoice,
    ViewRegistry,
    default_views,
    register_view,
    resolve_views,
)
from .views.conversion import Conversion
from .views.occasions import DaysByOccasion
from .views.quality import Quality
from .views.reoffending import ReoffendingRows
from .workers import end_with_parent, memory_shared_with_workers, start_method

# Imported where used: a repeated ``metrics`` over the stored tables needs none of these
# (deriving facts, the optional views, the timeline, worker processes).
if TYPE_CHECKING:
    from .events import Event
    from .facts.refresh import StoredFacts
    from .store.base import EventStore, OffenderRange
    from .timeline import Timeline

__all__ = [
    "VIEWS",
    "Accumulator",
    "MetricsReport",
    "SumAccumulator",
    "View",
    "ViewRegistry",
    "compute",
    "compute_facts",
    "compute_persons",
    "compute_store",
    "default_views",
    "register_view",
    "reoffending_rows",
    "timeline",
]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


@attrs.frozen
class MetricsReport:
    """Totals over a set of offenders: counts and every computed view's result.

    ``events`` counts *effective* events: recorded by ``as_of``, neither a retraction
    nor retracted.
    """

    #: Offenders with at least one effective event.
    offenders: int
    #: Effective events over those offenders.
    events: int
    #: Each view's total, by view name.
    results: Mapping[str, Any]
    window: Window = ALL_TIME
    as_of: dt.datetime | None = None
    #: Events the store holds (its ``count_events()``), when known: the headline then says
    #: why fewer are in effect.
    stored: int | None = None
    #: What ``offenders`` counts, in words: ``person`` once records are linked,
    #: ``source record`` when they are counted apart, else ``offender``.
    unit: str = "offender"

    def __getitem__(self, name: str) -> Any:
        return self.results[name]

    def __add__(self, other: MetricsReport) -> MetricsReport:
        """The report for both sets of offenders (same window, as_of and views)."""
        if self.results.keys() != other.results.keys():
            raise ValueError("cannot add reports of different views")
        results = {name: result + other.results[name] for name, result in self.results.items()}
        return MetricsReport(
            self.offenders + other.offenders,
            self.events + other.events,
            results,
            self.window,
            self.as_of,
        )

    @property
    def conversion(self) -> Conversion:
        """Charge-to-conviction conversion for all offenders."""
        result: Conversion = self.results["conversion"]
        return result

    @property
    def occasions(self) -> DaysByOccasion:
        """Days from arrest to conviction by occasion, for all offenders."""
        result: DaysByOccasion = self.results["days_by_sentencing_occasion"]
        return result

    @property
    def quality(self) -> Quality:
        """The data-quality report for all offenders."""
        result: Quality = self.results["quality"]
        return result

    def to_pandas(self) -> dict[str, Any]:
        """Each view's result as a DataFrame, by view name (needs the ``pandas`` extra)."""
        return {name: result.to_pandas() for name, result in self.results.items()}

    def _repr_html_(self) -> str:
        head = f"<p>{plural(self.offenders, self.unit)}, {plural(self.events, 'event')}</p>"
        return head + "".join(result._repr_html_() for result in self.results.values())

    def __repr__(self) -> str:
        return (
            f"<MetricsReport: {plural(self.offenders, self.unit)}, {plural(self.events, 'event')}; "
            f"views {', '.join(self.results)}>"
        )

    def to_json(self) -> dict[str, Any]:
        """The documented ``metrics --json`` object, plus ``window``, ``as_of``, extra views."""
        out: dict[str, Any] = {"offenders": self.offenders, "events": self.events}
        for name, result in self.results.items():
            out[name] = result.to_json()
        provisional = [name for name, r in self.results.items() if getattr(r, "provisional", False)]
        if provisional:
            out["provisional"] = provisional
        out["window"] = {"from": _iso(self.window.start), "to": _iso(self.window.end)}
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        return out

    def headline(self, *, stored: bool = True) -> str:
        """Who and what was counted, over which dates, as of when: the first line of text;
        with ``stored`` (and the count known), a second saying why fewer are in effect."""
        span = span_in_words(self.window.start, self.window.end)
        line = (
            f"{plural(self.offenders, self.unit)}, {plural(self.events, 'event')} in effect; "
            f"{span}, as of {when_in_words(self.as_of)}"
        )
        if not stored or self.stored is None or self.stored == self.events:
            return line
        later = ", or recorded after the as-of time" if self.as_of is not None else ""
        quality = self.results.get("quality")
        unreadable = len(quality.unreadable) if isinstance(quality, Quality) else 0
        if unreadable:
            later += f", or rows that cannot be read back ({unreadable}: see the quality report)"
        return (
            f"{line}\n({self.stored} stored: the other {self.stored - self.events} are "
            "retractions, the records they retract, or records superseded by a later one "
            f"of the same id{later})"
        )

    def __str__(self) -> str:
        lines = [self.headline()]
        for name, result in self.results.items():
            title = VIEWS[name].title if name in VIEWS else name.replace("_", " ").capitalize()
            lines += ["", title, str(result)]
        return "\n".join(lines)


AsOf = dt.datetime | dt.date | str | None


def _query_time(window: Window, as_of: AsOf) -> tuple[dt.datetime | None, dt.datetime]:
    """Check the arguments every entry point shares; ``(as_of, now)``, ``None`` meaning now.

    Wrong types fail here, before any work, with a message saying what is accepted.
    """
    if not isinstance(window, Window):
        raise TypeError(f"window must be a Window, not {type(window).__name__}")
    return as_of_instant(as_of), dt.datetime.now(dt.UTC)


def _needed_tables(views: Sequence[View[Any]]) -> tuple[str, ...] | None:
    """The fact tables the views read; ``None`` if one of them folds histories."""
    tables: dict[str, None] = {}
    for view in views:
        if view.tables is None:
            return None
        tables.update(dict.fromkeys(view.tables))
    return tuple(tables)


def _scratch_tables(views: Sequence[View[Any]]) -> set[str]:
    """The fact tables a scratch database keeps for ``views``: those the aggregating
    views count over, and ``offenders`` (the counts of offenders and events read it)."""
    return {"offenders"}.union(*(view.tables or () for view in views if view.aggregates))


def compute(
    streams: Iterable[tuple[str, Sequence[Event]]],
    *,
    window: Window = ALL_TIME,
    as_of: AsOf = None,
    views: Iterable[ViewChoice] | None = None,
    progress: Progress | None = None,
) -> MetricsReport:
    """Every requested view over offenders' streams, in one pass.

    Args:
        streams: ``(offender_id, events)`` pairs, each offender's events in stream
            order (what ``store.read_all(as_of=...)`` yields).
        window: the valid-time window (inclusive dates; default all time).
        as_of: the transaction time to see the data as of: an aware datetime, an ISO
            string, or a date meaning the end of that day UTC (default: now, so events
            recorded in the future are not seen).
        views: names from :data:`VIEWS` (default: :func:`default_views`).
        progress: told of the offenders done (see :mod:`offender_journey.progress`);
            set its total first if you know how many streams there are.

    Cost: per offender, one history build and one derivation of the fact rows the
    views read; memory is one offender's stream plus the running totals.
    """
    cut, now = _query_time(window, as_of)
    units = ((key, {key: events}) for key, events in counted(streams, progress, None))
    return _compute(units, window, cut, now, resolve_views(views))


def compute_persons(
    store: EventStore,
    *,
    window: Window = ALL_TIME,
    as_of: AsOf = None,
    views: Iterable[ViewChoice] | None = None,
    by_record: bool = False,
) -> MetricsReport:
    """Every requested view over a store's persons, folded from its streams in one pass.

    A person is the records linked together as the links stood at ``as_of`` (each record
    on its own without link decisions, or with ``by_record``). The numbers are
    :func:`compute_store`'s, for any store, without its fact tables.
    """
    cut, now = _query_time(window, as_of)
    persons = {} if by_record else linked_persons(store, cut)
    units = person_units(store, cut, persons)
    return _compute(units, window, cut, now, resolve_views(views), read_rules(store))


def _compute(
    units: Iterable[Unit],
    window: Window,
    as_of: dt.datetime | None,
    now: dt.datetime,
    chosen: list[View[Any]],
    rules: Rules | None = None,
) -> MetricsReport:
    """Derive each person's facts (from their records' streams, put together under
    ``rules``); count the aggregating views over them in a scratch database, sum the
    others' per-person results."""
    folding = [(view, view.accumulator()) for view in chosen if not view.aggregates]
    tables: set[str] = set()
    for view in chosen:
        tables.update(view.tables or ())
    aggregating = any(view.aggregates for view in chosen)
    scratch = Scratch(_scratch_tables(chosen)) if aggregating else None
    if scratch is not None:
        tables.add("offenders")
    offenders = events = 0
    day = as_of_date(now if as_of is None else as_of)
    # start-up: answering from stored tables derives nothing
    from .facts.derive import derive

    try:
        for person_id, records in units:
            history = history_of(person_id, records, as_of, now=now, rules=rules)
            journey = history.journey
            if journey:
                offenders += 1
                events += len(journey)
            facts = derive(history, tables) if tables else None
            for view, total in folding:
                total.add(view.of(history, facts, window, day))
            if scratch is not None and facts is not None:
                scratch.add(facts)
        totals = {view.name: total.result() for view, total in folding}
        results = {
            view.name: (
                view.aggregate(scratch.source, window)
                if scratch is not None and view.aggregates
                else totals[view.name]
            )
            for view in chosen
        }
    finally:
        if scratch is not None:
            scratch.close()
    return MetricsReport(offenders, events, results, window, as_of)


def compute_facts(
    facts: Iterable[OffenderFacts],
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    views: Iterable[ViewChoice] | None = None,
) -> MetricsReport:
    """Every requested view over offenders' fact rows (each with its ``offenders`` row).

    Every view must read facts (have ``tables``); the rows are kept in a scratch
    database, which the aggregating views count over. Views that need the as-of day
    (outstanding warrants, IOM selection) see the London date of ``as_of``, today when
    ``None``.
    """
    chosen = resolve_views(views)
    if _needed_tables(chosen) is None:
        names = [v.name for v in chosen if v.tables is None]
        raise ValueError(f"view(s) {names} fold histories and cannot read fact tables")
    with Scratch(_scratch_tables(chosen)) as scratch:

        def kept() -> Iterator[OffenderFacts]:
            for item in facts:
                scratch.add(item)
                yield item

        return _over_facts(lambda: scratch.source, kept(), window, as_of, chosen, read_all=True)


def _over_facts(
    source: Callable[[], FactSource],
    facts: Iterable[OffenderFacts],
    window: Window,
    as_of: dt.datetime | None,
    chosen: list[View[Any]],
    *,
    read_all: bool = False,
) -> MetricsReport:
    """The views over fact tables: the aggregating ones in SQL over ``source()``, the
    others offender by offender over ``facts`` (read only if one of them needs them,
    or ``read_all``)."""
    folding = [(view, view.accumulator()) for view in chosen if not view.aggregates]
    day = as_of_date(as_of)
    if folding or read_all:
        for item in facts:
            for view, total in folding:
                total.add(view.project(item, window, day))
    where = source()
    totals = {view.name: total.result() for view, total in folding}
    results = {
        view.name: (view.aggregate(where, window) if view.aggregates else totals[view.name])
        for view in chosen
    }
    offenders, events = offender_counts(where)
    return MetricsReport(offenders, events, results, window, as_of)


def compute_store(
    path: str | os.PathLike[str],
    *,
    window: Window = ALL_TIME,
    as_of: AsOf = None,
    views: Iterable[ViewChoice] | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    by_record: bool = False,
) -> MetricsReport:
    """Every requested view over a store (see ``open_store``): from its fact tables when it can.

    The views count persons: when the store holds link decisions, a person is the
    records linked together as the links stood at ``as_of``; otherwise each record
    is a person. ``by_record`` counts each source record on its own, links aside.

    When every view reads facts, the tables are first brought up to date with the
    log (only offenders with new events are re-derived); the default views then count
    in SQL over them. Offenders with events recorded after ``as_of`` (or recorded in
    the future when their facts were made) are derived afresh from their history cut
    at ``as_of``. Otherwise, or when the store cannot be written to bring its tables
    up to date, every offender's stream is folded, shared out over ``jobs``
    processes (contiguous ranges of offender ids balanced by event count). The
    numbers are the same either way, and for any ``jobs`` (0: as many as the store's
    size is worth). The store must exist; ``as_of`` defaults to now, taken once so
    every part is cut at the same instant. ``progress`` (a ``tqdm`` bar, say) is told
    each stage's offenders and how many are done: see :mod:`offender_journey.progress`.
    """
    cut, now = _query_time(window, as_of)
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise TypeError(f"jobs must be a whole number, not {type(jobs).__name__}")
    names = resolve_views(views)
    tables = _needed_tables(names)
    apart = by_record and _holds_links(path)  # the stored facts are per person
    if tables is not None and not apart:
        stored = _stored_facts(path, cut, jobs, progress)
        if stored is not None:
            with stored:
                ((total,),) = stored.source.fetch("SELECT COUNT(*) FROM offenders")
                offenders = counted([int(total)], progress, int(total), "reading facts", size=int)
                report = _over_facts(lambda: stored.source, stored.read(tables), window, cut, names)
                if stored.late:
                    late = _compute(stored.streams(), window, cut, now, names, stored.rules)
                    report = report + late
                for _ in offenders:  # every offender's facts have been counted
                    pass
                # A linked person is named apart from its records (a reader may not open
                # the log to ask for the link decisions, so the facts are asked).
                linked = stored.source.fetch(
                    "SELECT 1 FROM person_records WHERE record <> offender_id LIMIT 1"
                )
            return attrs.evolve(report, unit="person" if linked else "offender")
    if jobs <= 0:
        with open_store(path) as store:
            jobs = auto_jobs(store.head())
    report = _fold_store(
        path,
        window=window,
        as_of=cut,
        now=now,
        views=names,
        jobs=jobs,
        progress=progress,
        by_record=by_record,
    )
    if by_record:
        return attrs.evolve(report, unit="source record" if apart else "offender")
    return attrs.evolve(report, unit="person" if _holds_links(path) else "offender")


def _holds_links(path: str | os.PathLike[str]) -> bool:
    """Whether the store holds any link decision (read from the decisions alone)."""
    with open_store(path) as store:
        return bool(linked_persons(store))


def _stored_facts(
    path: str | os.PathLike[str],
    as_of: dt.datetime | None,
    jobs: int,
    progress: Progress | None = None,
) -> StoredFacts | None:
    """The store's fact tables as of ``as_of`` (``None``: fold the log instead)."""
    if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
        # the postgres extra (psycopg)
        from .facts.postgres import facts_as_of as postgres_facts_as_of

        return postgres_facts_as_of(path, as_of, progress=progress)
    SQLiteStore(path, create=False).close()  # a missing store is an error
    return facts_as_of(path, as_of, jobs=jobs, progress=progress)


def _fold_store(
    path: str | os.PathLike[str],
    *,
    window: Window,
    as_of: dt.datetime | None,
    views: list[View[Any]],
    jobs: int,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    by_record: bool = False,
) -> MetricsReport:
    now = dt.datetime.now(dt.UTC) if now is None else now

    if jobs <= 1:
        with open_store(path) as store:
            persons = {} if by_record else linked_persons(store, as_of)
            total = None if progress is None else store.count_offenders()
            units = counted(person_units(store, as_of, persons), progress, total, "reading events")
            return _with_unreadable(
                _compute(units, window, as_of, now, views, read_rules(store)), store
            )
    with open_store(path) as store:
        persons = {} if by_record else linked_persons(store, as_of)
        sizes = list(store.stream_sizes())
    ranges = _balanced_ranges(sizes, jobs)
    # This process folds the first range itself while ``jobs - 1`` workers fold the others
    # (as a refresh shares out): one process fewer, none of them waiting idle.
    ours, *theirs = ranges
    if not theirs:  # too few offenders to share out
        return _compute_range(path, ours, window, as_of, views, now, persons)
    # start-up: worker processes only when asked for
    from concurrent.futures import ProcessPoolExecutor

    with (
        memory_shared_with_workers(),
        ProcessPoolExecutor(
            max_workers=len(theirs), mp_context=start_method(), initializer=end_with_parent
        ) as pool,
    ):
        args = [(path, r, window, as_of, views, now, persons) for r in theirs]
        started = pool.map(_compute_range, *zip(*args, strict=True))  # all started by now

        def folded() -> Iterator[MetricsReport]:
            """Each range's report, in the order of the ranges."""
            yield _compute_range(path, ours, window, as_of, views, now, persons)
            yield from started

        ids = [offender_id for offender_id, _ in sizes] if progress is not None else []
        done = counted(
            zip(folded(), _offenders_in(ids, ranges), strict=True),
            progress,
            len(sizes),
            "reading events",
            size=operator.itemgetter(1),
        )
        return functools.reduce(operator.add, (part for part, _ in done))


def _offenders_in(ids: Sequence[str], ranges: Iterable[OffenderRange]) -> Iterator[int]:
    """How many of the ordered ``ids`` each range holds."""
    for first, stop in ranges:
        low = 0 if first is None else bisect.bisect_left(ids, first)
        yield (len(ids) if stop is None else bisect.bisect_left(ids, stop)) - low


def _compute_range(
    path: str | os.PathLike[str],
    offenders: OffenderRange,
    window: Window,
    as_of: dt.datetime | None,
    views: list[View[Any]],
    now: dt.datetime | None = None,
    persons: Mapping[str, str] | None = None,
) -> MetricsReport:
    now = dt.datetime.now(dt.UTC) if now is None else now
    with open_store(path) as store:
        units = person_units(store, as_of, persons or {}, offenders)
        return _with_unreadable(
            _compute(units, window, as_of, now, views, read_rules(store)), store
        )


def _with_unreadable(report: MetricsReport, store: Any) -> MetricsReport:
    """``report`` with the stored rows its read of ``store`` skipped in its quality report
    (what the fact tables' ``unreadable_events`` holds when the views read those)."""
    quality = report.results.get("quality")
    rows = store.skipped() if hasattr(store, "skipped") else []
    if not rows or not isinstance(quality, Quality):
        return report
    found = attrs.evolve(quality, unreadable=(*quality.unreadable, *rows))
    return attrs.evolve(report, results={**report.results, "quality": found})


def _balanced_ranges(sizes: Iterable[tuple[str, int]], parts: int) -> list[OffenderRange]:
    """Cut the ordered offender ids into at most ``parts`` ranges of similar event counts."""
    sized = list(sizes)
    total = sum(size for _, size in sized)
    bounds: list[str | None] = [None]
    running = 0
    for offender_id, size in sized:
        if running >= total * len(bounds) / parts and len(bounds) < parts:
            bounds.append(offender_id)
        running += size
    bounds.append(None)
    return list(itertools.pairwise(bounds))


def reoffending_rows(
    streams: Iterable[tuple[str, Sequence[Event]]],
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
) -> ReoffendingRows:
    """One row per member of the reoffending cohort of ``window``, for survival analysis.

    The same per-offender definition as the ``reoffending`` view (see
    :class:`~offender_journey.views.reoffending.ReoffendingRows`); memory is one
    small row per member.

    Examples:
        >>> from offender_journey.builder import JourneyBuilder
        >>> j = JourneyBuilder("O1")
        >>> _ = j.caution("2015-03-01", "shoplifting")
        >>> _ = j.arrest("2017-01-01")  # the data now reach 2017
        >>> later = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        >>> rows = reoffending_rows([("O1", j.events)], as_of=later, window=ALL_TIME)
        >>> rows.table().rows[0][-3:]  # complete; followed a whole year, no reoffence
        (True, 366, False)
    """
    from .offender import reoffending_rows as rows_of  # start-up: it derives facts

    histories = (History.build(offender_id, stream, as_of) for offender_id, stream in streams)
    return rows_of(histories, window)


def timeline(
    events: Iterable[Event],
    *,
    window: Window = ALL_TIME,
    as_of: AsOf = None,
    offender_id: str | None = None,
) -> Timeline:
    """The IDIOM-style timeline of one offender's events (stream order), ``as_of`` (default) now.

    Examples:
        >>> from offender_journey.builder import JourneyBuilder
        >>> j = JourneyBuilder("O1")
        >>> _ = j.arrest("2013-02-01")
        >>> timeline(j.events).summary.within.arrests
        1
    """
    cut, now = _query_time(window, as_of)
    stream = list(events)
    if offender_id is None:
        if not stream:
            raise ValueError("no events: pass offender_id to build an empty timeline")
        offender_id = record_key(stream[0].source, stream[0].offender_id)
    # start-up: a timeline derives facts
    from .timeline import build_timeline

    history = History.build(offender_id, stream, cut, now=now)
    return build_timeline(history, window, as_of=cut)
