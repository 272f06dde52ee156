"""What a view is: one offender's facts (or every offender's fact tables) → a frozen result.

A view reads fact rows (see :mod:`offender_journey.facts`), never events; the folds
that make those rows live below (:mod:`offender_journey.folds`). The protocols here
are the shapes a view can take: counting in SQL over a :class:`FactSource`
(:class:`AggregateProjection`), or reading one offender's rows at a time
(:class:`Projection`, :class:`DatedProjection`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Protocol, TypeVar

from ..facts.aggregate import FactSource
from ..facts.schema import OffenderFacts
from ..history import History, Window, as_of_date

__all__ = [
    "AggregateProjection",
    "DatedProjection",
    "HistoryProjection",
    "Projection",
    "Result",
    "facts_on",
]

R_co = TypeVar("R_co", covariant=True)


class Result(Protocol):
    """A view's result: frozen, and ``a + b`` is the result for both sets of offenders."""

    def __add__(self: Res, other: Res, /) -> Res: ...


Res = TypeVar("Res", bound=Result)


class Projection(Protocol[R_co]):
    """A view: one offender's facts in a window → a frozen result.

    A view reads fact rows (see :mod:`offender_journey.facts`), never events: the
    same rows whether they were kept in the store's tables or derived on the fly
    for an ``as_of`` in the past. Results of different offenders add up with ``+``,
    associatively and commutatively, so offenders can be folded in any order or in
    parallel.
    """

    @property
    def name(self) -> str:
        """The key the view's result is reported under (a plain attribute will do)."""
        ...

    @property
    def tables(self) -> tuple[str, ...]:
        """The fact tables the view reads (only these are loaded or derived)."""
        ...

    def project(self, facts: OffenderFacts, window: Window) -> R_co:
        """The view for one offender."""
        ...


class AggregateProjection(Protocol[R_co]):
    """A view that counts over fact tables in SQL, for every offender at once.

    The same statements run over a store's tables and over facts derived on the fly
    (see :mod:`offender_journey.facts.aggregate`); results still add up with ``+``.
    """

    @property
    def name(self) -> str:
        """The key the view's result is reported under."""
        ...

    @property
    def tables(self) -> tuple[str, ...]:
        """The fact tables the view reads (only these are derived on the fly)."""
        ...

    def aggregate(self, source: FactSource, window: Window) -> R_co:
        """The view over every offender of ``source``."""
        ...


class DatedProjection(Protocol[R_co]):
    """A view that also needs the as-of day: what is outstanding on it, how old someone is on it.

    Facts never hold "today"; they hold dates. A view marked ``dated`` is given the
    as-of day with every offender's facts: the London calendar date of the query's
    ``as_of`` (today when it is now), computed once per run so every offender is seen
    on the same day.
    """

    @property
    def name(self) -> str:
        """The key the view's result is reported under (a plain attribute will do)."""
        ...

    @property
    def tables(self) -> tuple[str, ...]:
        """The fact tables the view reads (only these are loaded or derived)."""
        ...

    @property
    def dated(self) -> bool:
        """True: the metrics pass the as-of day to :meth:`project`."""
        ...

    def project(
        self, facts: OffenderFacts, window: Window, as_of_day: dt.date | None = None
    ) -> R_co:
        """The view for one offender seen on ``as_of_day`` (``None``: today)."""
        ...


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


class HistoryProjection(Protocol[R_co]):
    """A view that still folds the history itself (it cannot answer from the tables)."""

    @property
    def name(self) -> str:
        """The key the view's result is reported under (a plain attribute will do)."""
        ...

    def project(self, history: History, window: Window) -> R_co:
        """The view for one offender."""
        ...
