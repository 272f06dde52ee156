"""Cohort-level metrics: every requested view in one pass over offenders' streams.

For each offender the effective :class:`~offender_journey.projections.base.History`
is built once and handed to every view; per-offender results are summed as they
come, so memory is bounded by one offender's stream (plus the running totals).

A view is one entry of :data:`VIEWS` (name → :class:`View`); its result's
``to_json()`` appears under its name. Adding a view is adding one entry with
:func:`register_view`.

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

import datetime as dt
import functools
import itertools
import operator
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Generic, Protocol, TypeVar

import attrs

from .events import Event
from .projections.base import ALL_TIME, History, Projection, Window
from .projections.conversion import Conversion, ConversionProjection
from .projections.cost import CostProjection
from .projections.history_bands import HistoryBandsProjection
from .projections.iom import IomProjection
from .projections.occasions import DaysByOccasion, DaysByOccasionProjection
from .projections.quality import Quality, QualityProjection
from .projections.reoffending import ReoffendingProjection, ReoffendingRows
from .projections.reoffending import reoffending_rows as _reoffending_rows
from .projections.timeline import Timeline, build_timeline
from .projections.warrants import WarrantsProjection
from .store.base import OffenderRange
from .tables import plural

__all__ = [
    "VIEWS",
    "Accumulator",
    "MetricsReport",
    "SumAccumulator",
    "View",
    "compute",
    "compute_store",
    "default_views",
    "register_view",
    "reoffending_rows",
    "timeline",
]

R = TypeVar("R")


class Accumulator(Protocol[R]):
    """A running total of one view's per-offender results."""

    def add(self, result: R, /) -> None:
        """Add one offender's result."""

    def result(self) -> R:
        """The total so far."""
        ...


class SumAccumulator(Generic[R]):
    """The default running total: ``total = total + result``."""

    def __init__(self, empty: R) -> None:
        self._total = empty

    def add(self, result: R, /) -> None:
        """Add one offender's result with ``+``."""
        self._total = self._total + result  # type: ignore[operator]

    def result(self) -> R:
        """The total so far."""
        return self._total


@attrs.frozen
class View(Generic[R]):
    """A registered view: its projection, its zero result and (optionally) a faster total."""

    projection: Projection[R]
    empty: Callable[[], R]
    accumulator: Callable[[], Accumulator[R]] | None = None
    #: Computed when no views are named (the ``metrics`` command's default).
    default: bool = True

    def start(self) -> Accumulator[R]:
        """A fresh running total."""
        if self.accumulator is not None:
            return self.accumulator()
        return SumAccumulator(self.empty())


#: Every view :func:`compute` knows, by the name its JSON is reported under.
VIEWS: dict[str, View[Any]] = {}


def register_view(
    projection: Projection[R],
    empty: Callable[[], R],
    accumulator: Callable[[], Accumulator[R]] | None = None,
    *,
    default: bool = True,
) -> None:
    """Make a view available to :func:`compute` under ``projection.name``.

    The result type must support ``+`` (associative, commutative, ``empty()`` its zero)
    and ``to_json()``. ``default=False`` views are computed only when named.
    """
    VIEWS[projection.name] = View(projection, empty, accumulator, default)


def default_views() -> list[str]:
    """The views computed when none are named."""
    return [name for name, view in VIEWS.items() if view.default]


ViewChoice = str | View[Any]


def resolve_views(views: Iterable[ViewChoice] | None) -> list[View[Any]]:
    """Names (from :data:`VIEWS`) or ready views (e.g. with a custom rule) → views."""
    chosen = default_views() if views is None else list(views)
    unknown = [v for v in chosen if isinstance(v, str) and v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view(s) {unknown}; known: {', '.join(VIEWS)}")
    return [VIEWS[v] if isinstance(v, str) else v for v in chosen]


_conversion = ConversionProjection()
_occasions = DaysByOccasionProjection()
_quality = QualityProjection()
_reoffending = ReoffendingProjection()
_bands = HistoryBandsProjection()
_iom = IomProjection()
_cost = CostProjection()
_warrants = WarrantsProjection()
register_view(_conversion, _conversion.empty)
register_view(_occasions, _occasions.empty, _occasions.accumulator)
register_view(_reoffending, _reoffending.empty)
register_view(_quality, _quality.empty)
register_view(_bands, _bands.empty, default=False)
register_view(_iom, _iom.empty, default=False)
register_view(_cost, _cost.empty, _cost.accumulator, default=False)
register_view(_warrants, _warrants.empty, default=False)


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
        """SPEC 3.1 for all offenders."""
        result: Conversion = self.results["conversion"]
        return result

    @property
    def occasions(self) -> DaysByOccasion:
        """SPEC 3.2 for all offenders."""
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
        head = f"<p>{self.offenders} offenders, {self.events} events</p>"
        return head + "".join(result._repr_html_() for result in self.results.values())

    def __repr__(self) -> str:
        return (
            f"<MetricsReport: {self.offenders} offenders, {self.events} events; "
            f"views {', '.join(self.results)}>"
        )

    def to_json(self) -> dict[str, Any]:
        """The SPEC section 4 ``metrics --json`` object, plus ``window``, ``as_of``, extra views."""
        out: dict[str, Any] = {"offenders": self.offenders, "events": self.events}
        for name, result in self.results.items():
            out[name] = result.to_json()
        provisional = [name for name, r in self.results.items() if getattr(r, "provisional", False)]
        if provisional:
            out["provisional"] = provisional
        out["window"] = {"from": _iso(self.window.start), "to": _iso(self.window.end)}
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        return out

    def __str__(self) -> str:
        start = _iso(self.window.start) or "the start"
        end = _iso(self.window.end) or "now"
        when = self.as_of.isoformat() if self.as_of else "now"
        lines = [
            f"{plural(self.offenders, 'offender')}, {plural(self.events, 'event')}; "
            f"window {start} to {end}; as of {when}",
        ]
        titles = {
            "conversion": "Charge-to-conviction conversion",
            "days_by_sentencing_occasion": "Days from arrest to conviction by sentencing occasion",
            "quality": "Data quality",
            "reoffending": "Proven reoffending (the window is the cohort period)",
            "history_bands": "Criminal history of offenders sanctioned in the window",
            "iom": "IOM cohort selection",
            "cost": "Cost of crime (Home Office unit costs, 2015/16 prices)",
            "warrants": "Warrants and recalls",
        }
        for name, result in self.results.items():
            lines += ["", titles.get(name, name.replace("_", " ").capitalize()), str(result)]
        return "\n".join(lines)


def compute(
    streams: Iterable[tuple[str, Sequence[Event]]],
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    views: Iterable[ViewChoice] | None = None,
) -> MetricsReport:
    """Every requested view over offenders' streams, in one pass.

    Args:
        streams: ``(offender_id, events)`` pairs, each offender's events in stream
            order (what ``store.read_all(as_of=...)`` yields).
        window: the valid-time window (inclusive dates; default all time).
        as_of: the transaction time to see the data as of (default: everything given).
        views: names from :data:`VIEWS` (default: :func:`default_views`).

    Cost: one history build per offender and one pass per view over it; memory is one
    offender's stream plus the running totals.
    """
    chosen = [
        (view.projection.name, view.projection, view.start()) for view in resolve_views(views)
    ]
    offenders = events = 0
    for offender_id, stream in streams:
        history = History.build(offender_id, stream, as_of)
        if history.events:
            offenders += 1
            events += len(history.events)
        for _, projection, total in chosen:
            total.add(projection.project(history, window))
    results = {name: total.result() for name, _, total in chosen}
    return MetricsReport(offenders, events, results, window, as_of)


def compute_store(
    path: str | os.PathLike[str],
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    views: Iterable[ViewChoice] | None = None,
    jobs: int = 1,
) -> MetricsReport:
    """:func:`compute` over a SQLite store, shared out over ``jobs`` processes.

    Each process reads a contiguous range of offender ids (ranges balanced by event
    count) and folds it; their reports are added. Since views merge associatively the
    answer is the same for any ``jobs``; only the time changes.
    """
    from .store import SQLiteStore

    names = resolve_views(views)
    if jobs <= 1:
        with SQLiteStore(path) as store:
            return compute(store.read_all(as_of=as_of), window=window, as_of=as_of, views=names)
    with SQLiteStore(path) as store:
        ranges = _balanced_ranges(store.stream_sizes(), jobs)
    with ProcessPoolExecutor(max_workers=len(ranges)) as pool:
        parts = pool.map(
            _compute_range, *zip(*[(path, r, window, as_of, names) for r in ranges], strict=True)
        )
        return functools.reduce(operator.add, parts)


def _compute_range(
    path: str | os.PathLike[str],
    offenders: OffenderRange,
    window: Window,
    as_of: dt.datetime | None,
    views: list[View[Any]],
) -> MetricsReport:
    from .store import SQLiteStore

    with SQLiteStore(path) as store:
        streams = store.read_all(as_of=as_of, offenders=offenders)
        return compute(streams, window=window, as_of=as_of, views=views)


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
    :class:`~offender_journey.projections.reoffending.ReoffendingRows`); memory is one
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
    histories = (History.build(offender_id, stream, as_of) for offender_id, stream in streams)
    return _reoffending_rows(histories, window)


def timeline(
    events: Iterable[Event],
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    offender_id: str | None = None,
) -> Timeline:
    """The SPEC 3.3 timeline of one offender's events (stream order).

    Examples:
        >>> from offender_journey.builder import JourneyBuilder
        >>> j = JourneyBuilder("O1")
        >>> _ = j.arrest("2013-02-01")
        >>> timeline(j.events).summary.within.arrests
        1
    """
    stream = list(events)
    if offender_id is None:
        if not stream:
            raise ValueError("no events: pass offender_id to build an empty timeline")
        offender_id = stream[0].offender_id
    history = History.build(offender_id, stream, as_of)
    return build_timeline(history, window, as_of=as_of)
