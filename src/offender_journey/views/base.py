"""What a view is: fact tables → a frozen result that adds up, under a name and a title.

A view reads fact rows (see :mod:`offender_journey.facts`), never events; the folds
that make those rows live below (:mod:`offender_journey.folds`). There is one type,
:class:`View`, and a view answers in one of three ways, by the method it defines:
``aggregate`` counts in SQL over a :class:`FactSource`, every offender at once;
``project`` reads one offender's fact rows; ``fold`` (with ``tables = None``) folds
one offender's history, for a number no fact table holds.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Collection
from typing import Any, Generic, Protocol, TypeVar

from ..facts.aggregate import FactSource
from ..facts.schema import OffenderFacts
from ..facts.scratch import Scratch
from ..history import History, Window, as_of_date

__all__ = [
    "Accumulator",
    "Result",
    "SumAccumulator",
    "View",
    "facts_on",
]

R = TypeVar("R")


class Result(Protocol):
    """A view's result: frozen, and ``a + b`` is the result for both sets of offenders."""

    def __add__(self: Res, other: Res, /) -> Res: ...


Res = TypeVar("Res", bound=Result)


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


class View(Generic[R]):
    """A view: its ``name``, the fact ``tables`` it reads, its ``title``, and how it counts.

    A view defines ``empty()`` (the zero result) and one of ``aggregate`` (SQL over
    every offender of a :class:`FactSource`), ``project`` (one offender's fact rows)
    or ``fold`` (one offender's history; its ``tables`` are ``None``). Results of
    different offenders add up with ``+``, associatively and commutatively, so
    offenders can be counted in any order or in parallel. The same rows answer
    whether they were kept in the store's tables or derived on the fly for an
    ``as_of`` in the past.
    """

    #: The key the view's result is reported under.
    name: str
    #: The fact tables the view reads (only these are loaded or derived); ``None``: the
    #: view folds each offender's history.
    tables: tuple[str, ...] | None = ()
    #: Computed when no views are named (the ``metrics`` command's default).
    default: bool = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """``View(projection, empty, accumulator, default)``, the old way, still makes a view."""
        if cls is View and (args or kwargs):
            warnings.warn(
                "View(projection, empty, ...) is deprecated: make the view a subclass of "
                "View, with name, tables, empty() and aggregate, project or fold",
                DeprecationWarning,
                stacklevel=2,
            )
            return super().__new__(_Wrapped)  # initialised by Python with the arguments
        return super().__new__(cls)

    @property
    def title(self) -> str:
        """The heading the result is printed under."""
        return self.name.replace("_", " ").capitalize()

    @property
    def aggregates(self) -> bool:
        """Whether the view counts in SQL over fact tables (it defines ``aggregate``)."""
        return type(self).aggregate is not View.aggregate

    @property
    def defined_in(self) -> str:
        """The module defining the view: a worker must import it to unpickle the view."""
        return type(self).__module__

    @property
    def projection(self) -> Any:
        """Deprecated: a view is no longer wrapped around a projection; this is the view."""
        warnings.warn(
            "View.projection is deprecated: the view itself has name and tables",
            DeprecationWarning,
            stacklevel=2,
        )
        return self

    def empty(self) -> R:
        """The zero result (no offenders)."""
        raise NotImplementedError(f"{type(self).__name__} defines no empty()")

    def accumulator(self) -> Accumulator[R]:
        """A fresh running total of per-offender results (by default, their sum)."""
        return SumAccumulator(self.empty())

    def aggregate(self, source: FactSource, window: Window) -> R:
        """The view over every offender of ``source``, counted in SQL."""
        raise NotImplementedError(f"{type(self).__name__} does not count in SQL")

    def project(self, facts: OffenderFacts, window: Window, as_of_day: dt.date | None = None) -> R:
        """One offender's result from their fact rows, seen on ``as_of_day`` (``None``: today).

        Facts never hold "today"; they hold dates. A view that needs the day (what is
        outstanding, how old someone is) reads ``as_of_day``: the London calendar date of
        the query's ``as_of``, computed once per run so every offender is seen on the same
        day. Other views ignore it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not read one offender's facts")

    def fold(self, history: History, window: Window) -> R:
        """One offender's result from their history (a view whose ``tables`` are ``None``)."""
        raise NotImplementedError(f"{type(self).__name__} does not fold histories")

    def of(
        self,
        history: History,
        facts: OffenderFacts | None,
        window: Window,
        as_of_day: dt.date | None = None,
    ) -> R:
        """One offender's result: from ``facts`` (derived now if not given), or the history."""
        if self.tables is None:
            return self.fold(history, window)
        from ..facts.derive import derive  # start-up: answering from stored tables derives nothing

        if self.aggregates:  # the same SQL, over this offender's rows alone
            with Scratch({"offenders", *self.tables}) as scratch:
                scratch.add(
                    derive(history, {"offenders", *self.tables}) if facts is None else facts
                )
                return self.aggregate(scratch.source, window)
        if facts is None:
            facts = derive(history, self.tables)
        return self.project(facts, window, as_of_day)


class _Wrapped(View[Any]):
    """A view made the deprecated way: an object with ``name`` and ``aggregate`` or
    ``project``, its zero result and (optionally) a faster running total."""

    def __init__(
        self,
        projection: Any,
        empty: Callable[[], Any],
        accumulator: Callable[[], Accumulator[Any]] | None = None,
        default: bool = True,
    ) -> None:
        self.wrapped = projection
        self.name = projection.name
        self.tables = getattr(projection, "tables", None)
        self.default = default
        self._empty = empty
        self._accumulator = accumulator

    @property
    def title(self) -> str:
        """The projection's title, if it has one."""
        title: str | None = getattr(self.wrapped, "title", None)
        return title or super().title

    @property
    def aggregates(self) -> bool:
        """Whether the projection counts in SQL."""
        return callable(getattr(self.wrapped, "aggregate", None))

    @property
    def defined_in(self) -> str:
        """The projection's module."""
        return type(self.wrapped).__module__

    @property
    def projection(self) -> Any:
        """The object the view was made from."""
        return self.wrapped

    def empty(self) -> Any:
        """The zero result."""
        return self._empty()

    def accumulator(self) -> Accumulator[Any]:
        """The running total given, else the sum."""
        return self._accumulator() if self._accumulator is not None else super().accumulator()

    def aggregate(self, source: FactSource, window: Window) -> Any:
        """The projection's ``aggregate``."""
        return self.wrapped.aggregate(source, window)

    def project(
        self, facts: OffenderFacts, window: Window, as_of_day: dt.date | None = None
    ) -> Any:
        """The projection's ``project``, given the day if it is marked ``dated``."""
        if getattr(self.wrapped, "dated", False):
            return self.wrapped.project(facts, window, as_of_day)
        return self.wrapped.project(facts, window)

    def fold(self, history: History, window: Window) -> Any:
        """The projection's ``project`` over a history."""
        return self.wrapped.project(history, window)


def facts_on(
    source: OffenderFacts | History, tables: Collection[str], as_of_day: dt.date | None
) -> tuple[OffenderFacts, dt.date]:
    """What a dated view reads: one offender's facts (derived here from a history) and the day.

    The day is ``as_of_day``, else the history's ``as_of`` date, else today.
    """
    if isinstance(source, History):
        from ..facts.derive import derive  # start-up: reading stored facts needs no folds

        return derive(source, tables), as_of_day or as_of_date(source.as_of)
    return source, as_of_day or as_of_date(None)
