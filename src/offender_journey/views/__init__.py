"""Views: what counts the fact tables, one module per view, registered here by name.

Each module holds a view's SQL (or per-offender reading) over the fact tables, its
result type, and that result's table and JSON shape; :mod:`.base` says what shapes a
view can take. They read fact rows, never events: the rows come from
:mod:`offender_journey.facts`, which runs the folds. :data:`VIEWS` maps each name
to its :class:`View`; :mod:`offender_journey.metrics` computes them over many
offenders, :mod:`offender_journey.offender` over one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from importlib import import_module
from typing import Any, Generic, Protocol, TypeVar, cast

import attrs

from ..facts.aggregate import FactSource
from ..facts.schema import OffenderFacts
from ..facts.scratch import Scratch
from ..history import History, Window
from .base import AggregateProjection, DatedProjection, HistoryProjection, Projection
from .conversion import ConversionProjection
from .occasions import DaysByOccasionProjection
from .quality import QualityProjection
from .reoffending import ReoffendingProjection

__all__ = [
    "VIEWS",
    "Accumulator",
    "SumAccumulator",
    "View",
    "ViewChoice",
    "ViewRegistry",
    "default_views",
    "register_view",
    "resolve_views",
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

    projection: Projection[R] | HistoryProjection[R] | AggregateProjection[R]
    empty: Callable[[], R]
    accumulator: Callable[[], Accumulator[R]] | None = None
    #: Computed when no views are named (the ``metrics`` command's default).
    default: bool = True

    @property
    def tables(self) -> tuple[str, ...] | None:
        """The fact tables the view reads; ``None`` for a view that folds histories."""
        tables: tuple[str, ...] | None = getattr(self.projection, "tables", None)
        return tables

    @property
    def aggregates(self) -> bool:
        """Whether the view counts in SQL over fact tables (rather than per offender)."""
        return callable(getattr(self.projection, "aggregate", None))

    def over(self, source: FactSource, window: Window) -> R:
        """The view's total over every offender of ``source`` (an aggregating view)."""
        return cast(AggregateProjection[R], self.projection).aggregate(source, window)

    @property
    def dated(self) -> bool:
        """Whether the view is given the as-of day (see ``DatedProjection``)."""
        return bool(getattr(self.projection, "dated", False))

    def of(
        self,
        history: History,
        facts: OffenderFacts | None,
        window: Window,
        as_of_day: dt.date | None = None,
    ) -> R:
        """One offender's result: from ``facts`` (derived now if not given), or the history."""
        if self.tables is None:
            return cast(HistoryProjection[R], self.projection).project(history, window)
        from ..facts.derive import derive  # start-up: answering from stored tables derives nothing

        if self.aggregates:  # the same SQL, over this offender's rows alone
            with Scratch() as scratch:
                scratch.add(
                    derive(history, {"offenders", *self.tables}) if facts is None else facts
                )
                return self.over(scratch.source, window)
        if facts is None:
            facts = derive(history, self.tables)
        return self.project(facts, window, as_of_day)

    def project(self, facts: OffenderFacts, window: Window, as_of_day: dt.date | None) -> R:
        """One offender's result from facts, on ``as_of_day`` if the view is dated."""
        if self.dated:
            return cast(DatedProjection[R], self.projection).project(facts, window, as_of_day)
        return cast(Projection[R], self.projection).project(facts, window)

    def start(self) -> Accumulator[R]:
        """A fresh running total."""
        if self.accumulator is not None:
            return self.accumulator()
        return SumAccumulator(self.empty())


class ViewRegistry(MutableMapping[str, "View[Any]"]):
    """Views by name, like a dict; the optional ones are made on first use.

    A view registered with :meth:`later` is only a name until it is looked up, so a
    command that asks for the default views does not import the modules of the others.
    """

    def __init__(self) -> None:
        self._views: dict[str, View[Any] | Callable[[], View[Any]]] = {}

    def __getitem__(self, name: str) -> View[Any]:
        view = self._views[name]
        if not isinstance(view, View):
            view = self._views[name] = view()
        return view

    def __setitem__(self, name: str, view: View[Any]) -> None:
        self._views[name] = view

    def __delitem__(self, name: str) -> None:
        del self._views[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def later(self, name: str, make: Callable[[], View[Any]]) -> None:
        """Register a view that is not a default one, made by ``make()`` when looked up."""
        self._views[name] = make

    def defaults(self) -> list[str]:
        """The names of the default views (a view made later is never one)."""
        return [n for n, v in self._views.items() if isinstance(v, View) and v.default]


#: Every view :func:`compute` knows, by the name its JSON is reported under.
VIEWS = ViewRegistry()


def register_view(
    projection: Projection[R] | HistoryProjection[R] | AggregateProjection[R],
    empty: Callable[[], R],
    accumulator: Callable[[], Accumulator[R]] | None = None,
    *,
    default: bool = True,
) -> None:
    """Make a view available to :func:`compute` under ``projection.name``.

    The result type must support ``+`` (associative, commutative, ``empty()`` its zero)
    and ``to_json()``. ``default=False`` views are computed only when named. A
    projection with ``aggregate`` counts over fact tables in SQL; one with ``tables``
    and ``project`` reads each offender's fact rows (both can answer from the store's
    tables); one without folds each offender's history.
    """
    VIEWS[projection.name] = View(projection, empty, accumulator, default)


def default_views() -> list[str]:
    """The views computed when none are named."""
    return VIEWS.defaults()


ViewChoice = str | View[Any]


def resolve_views(views: Iterable[ViewChoice] | None) -> list[View[Any]]:
    """Names (from :data:`VIEWS`) or ready views (e.g. with a custom rule) → views."""
    chosen = default_views() if views is None else list(views)
    unknown = [v for v in chosen if isinstance(v, str) and v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view(s) {unknown}; known: {', '.join(VIEWS)}")
    return [VIEWS[v] if isinstance(v, str) else v for v in chosen]


def _optional(module: str, projection: str) -> Callable[[], View[Any]]:
    """An optional view, made from ``views.<module>.<projection>()`` when first used."""

    def make() -> View[Any]:
        made = getattr(import_module(f".{module}", __name__), projection)()
        return View(made, made.empty, getattr(made, "accumulator", None), default=False)

    return make


_conversion = ConversionProjection()


_occasions = DaysByOccasionProjection()


_quality = QualityProjection()


_reoffending = ReoffendingProjection()


register_view(_conversion, _conversion.empty)
register_view(_occasions, _occasions.empty)
register_view(_reoffending, _reoffending.empty)
register_view(_quality, _quality.empty)
VIEWS.later("history_bands", _optional("history_bands", "HistoryBandsProjection"))
VIEWS.later("iom", _optional("iom", "IomProjection"))
VIEWS.later("cost", _optional("cost", "CostProjection"))
VIEWS.later("warrants", _optional("warrants", "WarrantsProjection"))
