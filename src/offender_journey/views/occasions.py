"""Days from arrest to conviction, by sentencing occasion.

An offender's sentencing occasions are the distinct dates of their sentences over
the whole history, numbered 1, 2, 3 ... For every convicted charge listed in a
sentence on an occasion inside the window, whose arrest is known, two durations in
days are taken: arrest → conviction and offence → arrest. A charge listed by two
sentences of the same date counts once for that occasion. A negative duration is
left out of its own measure only (the quality report lists it).

Results keep every value (as value → count), so the means and medians of any set
of offenders are exact, whatever order the offenders are added in.

Examples:
    >>> from offender_journey.history import History
    >>> from offender_journey.offender import days_by_occasion
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> a = j.arrest("2013-02-01")
    >>> c = j.charge("2013-02-02", "shoplifting", arrest=a, offence_date="2013-01-30")
    >>> _ = j.convict("2013-04-02", c)
    >>> _ = j.sentence("2013-05-01", c)
    >>> days = days_by_occasion(History.build("O1", j.events), ALL_TIME)
    >>> days.to_json()[0]["arrest_to_conviction"]
    {'mean': 60.0, 'median': 60.0}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..history import ALL_TIME, Window
from ..tables import Column, Table, Tabular, plural
from .base import View

if TYPE_CHECKING:
    from ..facts.aggregate import FactSource

__all__ = [
    "MIN_N",
    "DaysByOccasion",
    "DaysByOccasionAccumulator",
    "DaysByOccasionView",
    "Measure",
    "days_in",
    "quantile",
]

#: Occasions measured on fewer convictions than this are left out of the text and the
#: picture (one rule for both); the JSON and ``table()`` keep every occasion.
MIN_N = 10


@attrs.frozen
class Measure:
    """Summary of one measure's values: count, mean and median (``None`` without values)."""

    n: int
    mean: float | None
    median: float | None

    @classmethod
    def of(cls, counts: Mapping[int, int]) -> Measure:
        """Summarise values given as value → count.

        Examples:
            >>> Measure.of({3: 1, 5: 1, 10: 2})
            Measure(n=4, mean=7.0, median=7.5)
        """
        n = sum(counts.values())
        if n == 0:
            return cls(0, None, None)
        total = sum(value * count for value, count in counts.items())
        return cls(n, total / n, quantile(counts, 0.5))

    def to_json(self) -> dict[str, float | None]:
        """``{"mean": ..., "median": ...}``."""
        return {"mean": self.mean, "median": self.median}


def quantile(counts: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile of values given as value → count, interpolating between ranks.

    The usual linear rule (the default of numpy and R): rank ``(n - 1) * q`` counted
    from 0, so ``q=0.5`` is :class:`Measure`'s median. ``None`` without values.

    Examples:
        >>> quantile({1: 1, 2: 1, 3: 1, 4: 1}, 0.25), quantile({1: 1, 2: 1, 3: 1, 4: 1}, 0.75)
        (1.75, 3.25)
    """
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, not {q}")
    n = sum(counts.values())
    if n == 0:
        return None
    rank = (n - 1) * q
    low_rank = int(rank)
    high_rank = min(low_rank + 1, n - 1)
    low = high = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    assert low is not None
    assert high is not None
    return low + (rank - low_rank) * (high - low)


def _freeze(values: Mapping[int, Mapping[int, int]]) -> dict[int, dict[int, int]]:
    return {k: dict(v) for k, v in sorted(values.items()) if v}


@attrs.frozen
class DaysByOccasion(Tabular):
    """Durations by occasion ordinal, kept as value → count so merged statistics are exact.

    ``arrest_to_conviction[k]`` and ``offence_to_arrest[k]`` map a number of days to
    how many charges had it on occasion ``k``.
    """

    arrest_to_conviction: Mapping[int, Mapping[int, int]] = attrs.field(
        factory=dict, converter=_freeze
    )
    offence_to_arrest: Mapping[int, Mapping[int, int]] = attrs.field(
        factory=dict, converter=_freeze
    )

    def __add__(self, other: DaysByOccasion) -> DaysByOccasion:
        total = DaysByOccasionAccumulator()
        total.add(self)
        total.add(other)
        return total.result()

    @property
    def occasions(self) -> list[int]:
        """Ordinals with at least one value of either measure, in order."""
        return sorted(set(self.arrest_to_conviction) | set(self.offence_to_arrest))

    def row(self, occasion: int) -> tuple[Measure, Measure]:
        """(arrest → conviction, offence → arrest) summaries for one ordinal."""
        return (
            Measure.of(self.arrest_to_conviction.get(occasion, {})),
            Measure.of(self.offence_to_arrest.get(occasion, {})),
        )

    def quartiles(
        self, occasion: int
    ) -> tuple[tuple[float | None, float | None], tuple[float | None, float | None]]:
        """(arrest → conviction, offence → arrest) lower and upper quartiles for one ordinal.

        Exact, from every value kept; the interquartile range runs between the two.
        """
        a2c = self.arrest_to_conviction.get(occasion, {})
        o2a = self.offence_to_arrest.get(occasion, {})
        return (
            (quantile(a2c, 0.25), quantile(a2c, 0.75)),
            (quantile(o2a, 0.25), quantile(o2a, 0.75)),
        )

    def shown(self, min_n: int = MIN_N) -> list[int]:
        """The occasions measured on at least ``min_n`` convictions: those the text and the
        picture show (a mean of one or two values is noise, not a trend)."""
        return [k for k in self.occasions if self.row(k)[0].n >= min_n]

    def table(self, min_n: int | None = None) -> Table:
        """One row per occasion (with ``min_n``, only those :meth:`shown`): count, mean and
        median of each measure."""
        columns = (
            Column("occasion", "int"),
            Column("n", "int", "convictions timed"),
            Column("arrest_to_conviction_mean", "float", "arrest to conviction: mean"),
            Column("arrest_to_conviction_median", "float", "median"),
            Column("n_offence_to_arrest", "int", "arrests timed"),
            Column("offence_to_arrest_mean", "float", "offence to arrest: mean"),
            Column("offence_to_arrest_median", "float", "median"),
        )
        rows = []
        for k in self.occasions if min_n is None else self.shown(min_n):
            a2c, o2a = self.row(k)
            rows.append((k, a2c.n, a2c.mean, a2c.median, o2a.n, o2a.mean, o2a.median))
        return Table("Days from arrest to conviction by sentencing occasion", columns, tuple(rows))

    def to_json(self) -> list[dict[str, Any]]:
        """The documented JSON rows, plus ``n_offence_to_arrest``."""
        rows = []
        for k in self.occasions:
            a2c, o2a = self.row(k)
            rows.append(
                {
                    "occasion": k,
                    "n": a2c.n,
                    "arrest_to_conviction": a2c.to_json(),
                    "offence_to_arrest": o2a.to_json(),
                    "n_offence_to_arrest": o2a.n,
                }
            )
        return rows

    def __str__(self) -> str:
        if not self.occasions:
            return "(no sentenced, convicted charges with a known arrest)"
        lines = [
            "Calendar days, per sentencing occasion (1 = the offender's first). Convictions",
            "timed: convicted charges sentenced on that occasion, each timed from its arrest;",
            "arrests timed: those of them also timed from offence to arrest.",
        ]
        shown = self.shown()
        if shown:
            lines.append(self.table(MIN_N).to_text(title=False))
        left = len(self.occasions) - len(shown)
        if left:
            lines.append(
                f"{plural(left, 'occasion')} with fewer than {MIN_N} convictions timed left out "
                "here and in the picture (all are in --json and .table())."
            )
        return "\n".join(lines)


class DaysByOccasionAccumulator:
    """Adds many offenders' results in place: linear in the values, not quadratic."""

    def __init__(self) -> None:
        self._a2c: dict[int, Counter[int]] = {}
        self._o2a: dict[int, Counter[int]] = {}

    def add(self, result: DaysByOccasion) -> None:
        """Add one result (typically one offender's)."""
        for mine, theirs in (
            (self._a2c, result.arrest_to_conviction),
            (self._o2a, result.offence_to_arrest),
        ):
            for k, counts in theirs.items():
                into = mine.get(k)
                if into is None:
                    mine[k] = Counter(counts)
                else:
                    into.update(counts)

    def result(self) -> DaysByOccasion:
        """The sum of everything added so far."""
        return DaysByOccasion(self._a2c, self._o2a)


def days_in(source: FactSource, window: Window = ALL_TIME) -> DaysByOccasion:
    """Durations by sentencing occasion in ``window``, counted in SQL.

    Reads ``charge_occasions`` (occasion dated in the window), which carries each
    charge's durations; a negative duration is left out of its own measure only.
    """
    where, params = source.where("o", "occasion_date", window)
    measures: list[dict[int, dict[int, int]]] = []
    for column in ("arrest_to_conviction", "offence_to_arrest"):
        values: dict[int, dict[int, int]] = {}
        for occasion, days, count in source.fetch(
            f"SELECT o.occasion, o.{column}, COUNT(*) FROM charge_occasions o "
            # The many-valued key first: a cheaper sort, and each occasion's days in order.
            f"WHERE {where} AND o.{column} >= 0 GROUP BY o.{column}, o.occasion",
            params,
        ):
            values.setdefault(int(occasion), {})[int(days)] = int(count)
        measures.append(values)
    return DaysByOccasion(*measures)


@attrs.frozen
class DaysByOccasionView(View[DaysByOccasion]):
    """The days-by-occasion view, counted in SQL."""

    name: str = "days_by_sentencing_occasion"
    #: The fact tables the view reads.
    tables = ("charge_occasions",)
    title = "Days from arrest to conviction by sentencing occasion"

    def aggregate(self, source: FactSource, window: Window) -> DaysByOccasion:
        """The :class:`DaysByOccasion` of every offender of ``source`` in ``window``."""
        return days_in(source, window)

    def empty(self) -> DaysByOccasion:
        """The zero result (no offenders)."""
        return DaysByOccasion()
