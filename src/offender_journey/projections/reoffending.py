"""Proven reoffending, the Ministry of Justice measure (SPEC 3.4).

The window is the cohort period. An offender is in the cohort when they have an
*index event* in it: a caution, a court sentence other than immediate custody, or a
release from custody on licence; the index date is the earliest such date in the
period. A *proven reoffence* is an offence (charge or caution, by offence date)
committed after the index date and no later than one year after it, and proven (the
charge finally convicted, or the caution given) no later than one year and six months
after it. Offences in category ``breach`` do not count. Dates add calendar years and
months: from 29 February, one year is 28 February.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> _ = j.caution("2015-03-01", "shoplifting")
    >>> c = j.charge("2015-09-01", "theft_other", offence_date="2015-08-30")
    >>> _ = j.convict("2016-01-10", c)
    >>> first_quarter = Window(dt.date(2015, 1, 1), dt.date(2015, 3, 31))
    >>> r = reoffending(History.build("O1", j.events), first_quarter)
    >>> r.total
    Counts(cohort=1, reoffenders=1, reoffences=1)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal, cast

import attrs

from ..dates import add_years, add_years_months, age_on
from ..events import Category, Caution, Disposal, ReleasedOnLicence, Sentence
from ..facts.schema import IndexEventRow, OffenderFacts
from ..tables import Column, Table, Tabular
from .base import ALL_TIME, History, Window

__all__ = [
    "Counts",
    "Reoffending",
    "ReoffendingProjection",
    "earliest_index",
    "index_candidates",
    "index_event",
    "reoffending",
    "reoffending_of",
]

IndexKind = Literal["caution", "court_non_custodial", "release_from_custody"]
AgeGroup = Literal["adult", "juvenile", "unknown"]


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@attrs.frozen
class Counts:
    """Cohort, reoffenders and reoffences of one group, with the published rates."""

    cohort: int = 0
    reoffenders: int = 0
    reoffences: int = 0

    @property
    def binary_rate(self) -> float | None:
        """Share of the cohort who reoffended."""
        return _ratio(self.reoffenders, self.cohort)

    @property
    def frequency(self) -> float | None:
        """Reoffences per reoffender."""
        return _ratio(self.reoffences, self.reoffenders)

    @property
    def per_offender(self) -> float | None:
        """Reoffences per offender in the cohort."""
        return _ratio(self.reoffences, self.cohort)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.cohort + other.cohort,
            self.reoffenders + other.reoffenders,
            self.reoffences + other.reoffences,
        )

    def to_json(self) -> dict[str, Any]:
        """Counts and rates (``null`` where undefined)."""
        return {
            "cohort": self.cohort,
            "reoffenders": self.reoffenders,
            "reoffences": self.reoffences,
            "binary_rate": self.binary_rate,
            "frequency": self.frequency,
            "per_offender": self.per_offender,
        }


def _add_maps(a: Mapping[str, Counts], b: Mapping[str, Counts]) -> dict[str, Counts]:
    out = dict(a)
    for key, counts in b.items():
        out[key] = out.get(key, Counts()) + counts
    return dict(sorted(out.items()))


@attrs.frozen
class Reoffending(Tabular):
    """Proven reoffending of a cohort, in total and split by age group and index kind."""

    total: Counts = Counts()
    #: ``adult`` (18+ at the index date), ``juvenile`` (10-17), ``unknown`` (no date of birth).
    by_age: Mapping[str, Counts] = attrs.field(factory=dict)
    #: ``caution``, ``court_non_custodial``, ``release_from_custody``.
    by_index: Mapping[str, Counts] = attrs.field(factory=dict)

    def __add__(self, other: Reoffending) -> Reoffending:
        return Reoffending(
            self.total + other.total,
            _add_maps(self.by_age, other.by_age),
            _add_maps(self.by_index, other.by_index),
        )

    def table(self) -> Table:
        """One row for the cohort, then one per age group and per index kind."""
        columns = (
            Column("split", "category"),
            Column("group", "category"),
            Column("cohort", "int"),
            Column("reoffenders", "int"),
            Column("reoffences", "int"),
            Column("binary_rate", "float"),
            Column("frequency", "float"),
            Column("per_offender", "float"),
        )
        groups = [("all", "all", self.total)]
        groups += [("age", k, v) for k, v in self.by_age.items()]
        groups += [("index", k, v) for k, v in self.by_index.items()]
        rows = tuple(
            (
                split,
                group,
                c.cohort,
                c.reoffenders,
                c.reoffences,
                c.binary_rate,
                c.frequency,
                c.per_offender,
            )
            for split, group, c in groups
        )
        return Table("Proven reoffending", columns, rows)

    def to_json(self) -> dict[str, Any]:
        """SPEC keys (``cohort``, ``reoffenders``, ``reoffences``, ``binary_rate``,
        ``frequency``) at the top, the splits beneath."""
        return {
            **self.total.to_json(),
            "by_age": {k: v.to_json() for k, v in self.by_age.items()},
            "by_index": {k: v.to_json() for k, v in self.by_index.items()},
        }

    def __str__(self) -> str:
        def line(label: str, c: Counts) -> str:
            rate = "n/a" if c.binary_rate is None else f"{100 * c.binary_rate:.1f} %"
            freq = "n/a" if c.frequency is None else f"{c.frequency:.2f}"
            return (
                f"{label:<22}{c.cohort:>8}{c.reoffenders:>12}{c.reoffences:>12}{rate:>10}{freq:>11}"
            )

        lines = [
            f"{'':<22}{'cohort':>8}{'reoffenders':>12}{'reoffences':>12}{'rate':>10}{'frequency':>11}",
            line("all", self.total),
        ]
        lines += [line(f"  {k}", v) for k, v in self.by_age.items()]
        lines += [line(f"  {k.replace('_', ' ')}", v) for k, v in self.by_index.items()]
        return "\n".join(lines)


def index_candidates(history: History) -> list[tuple[dt.date, int, IndexKind, str]]:
    """Every event that can be an index event: ``(date, rank on the day, kind, event_id)``.

    On one day a caution (rank 0) comes before a court sentence (1), and both before a
    release (2).
    """
    candidates: list[tuple[dt.date, int, IndexKind, str]] = []
    for caution in history.of_type(Caution):
        candidates.append((caution.date, 0, "caution", caution.event_id))
    for sentence in history.of_type(Sentence):
        if sentence.disposal is not Disposal.IMMEDIATE_CUSTODY:
            candidates.append((sentence.date, 1, "court_non_custodial", sentence.event_id))
    for release in history.of_type(ReleasedOnLicence):
        candidates.append((release.date, 2, "release_from_custody", release.event_id))
    return candidates


def index_event(history: History, window: Window) -> tuple[dt.date, IndexKind] | None:
    """The earliest index event dated in the cohort period, if any."""
    from ..facts.derive import derive

    return earliest_index(derive(history, ("index_events",)).index_events, window)


def earliest_index(
    rows: Iterable[IndexEventRow], window: Window
) -> tuple[dt.date, IndexKind] | None:
    """The earliest of ``index_events`` rows dated in ``window`` (by date, then rank)."""
    inside = [(r.date, r.rank, r.kind) for r in rows if window.contains(r.date)]
    if not inside:
        return None
    day, _, kind = min(inside)
    return day, cast(IndexKind, kind)


def age_group(date_of_birth: dt.date | None, day: dt.date) -> AgeGroup:
    """Adult (18+) or juvenile (10-17) on ``day``; unknown without a date of birth."""
    if date_of_birth is None:
        return "unknown"
    age = age_on(date_of_birth, day)
    if age >= 18:
        return "adult"
    return "juvenile" if age >= 10 else "unknown"


def reoffending_of(facts: OffenderFacts, window: Window = ALL_TIME) -> Reoffending:
    """One offender's contribution to the cohort of ``window``, from their facts."""
    index = earliest_index(facts.index_events, window)
    if index is None:
        return Reoffending()
    day, kind = index
    follow_up_end = add_years(day, 1)
    proof_deadline = add_years_months(day, 1, 6)
    count = sum(
        1
        for offence in facts.offences
        if day < offence.offence_date <= follow_up_end
        and offence.category != Category.BREACH.value
        and offence.proven_date is not None
        and offence.proven_date <= proof_deadline
    )
    offender = facts.offender
    birth = None if offender is None else offender.date_of_birth
    counts = Counts(1, 1 if count else 0, count)
    return Reoffending(counts, {age_group(birth, day): counts}, {kind: counts})


def reoffending(history: History, window: Window = ALL_TIME) -> Reoffending:
    """One offender's contribution to the cohort of ``window`` (empty if not in it)."""
    from ..facts.derive import derive

    return reoffending_of(derive(history, ReoffendingProjection.tables), window)


@attrs.frozen
class ReoffendingProjection:
    """The proven-reoffending view; the window is the cohort period."""

    name: str = "reoffending"
    #: The fact tables the view reads.
    tables: ClassVar[tuple[str, ...]] = ("offenders", "index_events", "offences")

    def project(self, facts: OffenderFacts, window: Window) -> Reoffending:
        """One offender's :class:`Reoffending`."""
        return reoffending_of(facts, window)

    def empty(self) -> Reoffending:
        """The zero result."""
        return Reoffending()
