"""Proven reoffending, the Ministry of Justice measure.

The window is the cohort period. An offender is in the cohort when they have an
*index event* in it: a caution, a court sentence other than immediate custody, or a
release from custody on licence; the index date is the earliest such date in the
period. A *proven reoffence* is an offence (charge or caution, by offence date)
committed after the index date and no later than one year after it, and proven (the
charge finally convicted, or the caution given) no later than one year and six months
after it. Offences in category ``breach`` do not count. Dates add calendar years and
months: from 29 February, one year is 28 February.

Examples:
    >>> from offender_journey.history import History
    >>> from offender_journey.offender import reoffending
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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from ..codec import parse_date
from ..dates import add_years
from ..folds.reoffending import AgeGroup, IndexKind
from ..history import ALL_TIME, Window
from ..store.base import from_micros
from ..tables import Column, Table, Tabular
from .base import View

if TYPE_CHECKING:
    from ..facts.aggregate import FactSource

__all__ = [
    "Counts",
    "Member",
    "Reoffending",
    "ReoffendingView",
    "ReoffendingRows",
    "data_end",
    "latest_in",
    "members_in",
    "reoffending_in",
]


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
    #: Cohort members by the day their waiting period ends (index date + 18 months).
    waiting_ends: Mapping[dt.date, int] = attrs.field(factory=dict)
    #: The latest ``recorded_at`` seen as of the question (retracted events included): the
    #: data's extent, not a number, so two results are equal when their numbers are.
    latest_recorded_at: dt.datetime | None = attrs.field(default=None, eq=False)

    def __add__(self, other: Reoffending) -> Reoffending:
        ends = dict(self.waiting_ends)
        for day, n in other.waiting_ends.items():
            ends[day] = ends.get(day, 0) + n
        return Reoffending(
            self.total + other.total,
            _add_maps(self.by_age, other.by_age),
            _add_maps(self.by_index, other.by_index),
            ends,
            _latest(self.latest_recorded_at, other.latest_recorded_at),
        )

    @property
    def data_end(self) -> dt.date | None:
        """The data's end: the day of the latest ``recorded_at`` (``None`` without data).

        Nothing recorded after ``as_of`` is seen, so this is also the ``as_of`` day or,
        when earlier, the latest day recorded.
        """
        return data_end(self.latest_recorded_at)

    @property
    def provisional_members(self) -> int:
        """Cohort members whose waiting period ends after the data's end."""
        end = self.data_end
        if end is None:
            return 0
        return sum(n for day, n in self.waiting_ends.items() if day > end)

    @property
    def provisional(self) -> bool:
        """Whether some members lack full follow-up: the rates may still rise."""
        return self.provisional_members > 0

    def table(self) -> Table:
        """One row for the cohort, then one per age group and per index kind."""
        columns = (
            Column("split", "category"),
            Column("group", "category"),
            Column("cohort", "int"),
            Column("reoffenders", "int"),
            Column("reoffences", "int"),
            Column("binary_rate", "float", "rate", "share"),
            Column("frequency", "float", "per reoffender"),
            Column("per_offender", "float", "per offender"),
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
        """The headline keys (``cohort``, ``reoffenders``, ``reoffences``, ``binary_rate``,
        ``frequency``) at the top, the splits beneath."""
        return {
            **self.total.to_json(),
            "provisional": self.provisional,
            "provisional_members": self.provisional_members,
            "data_end": None if self.data_end is None else self.data_end.isoformat(),
            "by_age": {k: v.to_json() for k, v in self.by_age.items()},
            "by_index": {k: v.to_json() for k, v in self.by_index.items()},
        }

    def __str__(self) -> str:
        lines = [self.table().to_text(title=False)]
        if self.provisional:
            lines.insert(
                0,
                f"PROVISIONAL: {self.provisional_members} of {self.total.cohort} cohort members "
                f"lack full follow-up (index date + 18 months is after the data's end, "
                f"{self.data_end}); the rates may still rise.",
            )
        return "\n".join(lines)


@attrs.frozen
class Member:
    """One cohort member: the index event and what followed it (one offender's row)."""

    offender_id: str
    index_date: dt.date
    index_kind: IndexKind
    age_group: AgeGroup
    #: Proven reoffences (offences in the follow-up year, proven by the waiting end).
    reoffences: int
    #: Offence date of the first proven reoffence, if any.
    first_reoffence: dt.date | None
    #: Index date + 18 months: the follow-up is complete once the data reach this day.
    waiting_end: dt.date
    #: The latest ``recorded_at`` in the offender's stream (retracted events included).
    latest_recorded_at: dt.datetime | None


#: Every cohort member of the window: the earliest index event dated in it (by date, then
#: rank on the day), with the proven reoffences that followed it. ``{where}`` keeps the
#: ``index_events i`` dated in the window, ``{first}`` those with no index date of the
#: offender's before them in it. The follow-up and proof periods, the reoffences and the
#: order of index events are columns of ``index_events``, computed once, when the facts
#: are made, by the calendar rules of :mod:`offender_journey.dates`.
_MEMBERS = """
WITH members AS (
    SELECT i.offender_id, i.date, i.kind, i.age_group, i.proof_deadline, i.reoffences,
           i.first_reoffence
    FROM index_events i WHERE {where} AND i.first_on_day = {true} AND {first}
)
"""


def _members_of(source: FactSource, window: Window) -> tuple[str, list[Any]]:
    """The ``members`` clause for ``window`` and its parameters."""
    where, params = source.where("i", "date", window)
    first = "i.previous_date IS NULL"
    if window.start is not None:
        first = f"({first} OR i.previous_date < {source.dialect.placeholder})"
        params.append(source.date_param(window.start))
    true = "TRUE" if source.dialect.name == "postgresql" else "1"
    return _MEMBERS.format(where=where, true=true, first=first), params


def latest_in(source: FactSource) -> dt.datetime | None:
    """The latest ``recorded_at`` of the offenders of ``source`` (``None`` without any)."""
    where, params = source.where("f")
    ((latest,),) = source.fetch(
        f"SELECT MAX(f.latest_recorded_at) FROM offenders f WHERE {where}", params
    )
    return from_micros(int(latest)) if latest else None


def reoffending_in(source: FactSource, window: Window = ALL_TIME) -> Reoffending:
    """Proven reoffending of the cohort of ``window``, counted in SQL.

    Reads ``index_events`` (and ``offenders`` for the data's extent).
    """
    members, params = _members_of(source, window)
    # Plain running sums per (age group, index kind) and per waiting end, Counts built
    # once at the end: thousands of groups come back, only a few totals go out.
    groups: dict[tuple[Any, Any], list[int]] = {}
    ends: dict[Any, int] = {}
    for group, kind, deadline, cohort, reoffenders, reoffences in source.fetch(
        members + "SELECT age_group, kind, proof_deadline, COUNT(*), "
        "SUM(CASE WHEN reoffences > 0 THEN 1 ELSE 0 END), SUM(reoffences) FROM members "
        "GROUP BY proof_deadline, age_group, kind",  # the many-valued key first: a cheaper sort
        params,
    ):
        sums = groups.get((group, kind))
        if sums is None:
            groups[group, kind] = sums = [0, 0, 0]
        sums[0] += cohort
        sums[1] += reoffenders
        sums[2] += reoffences
        ends[deadline] = ends.get(deadline, 0) + cohort
    by_age: dict[str, list[int]] = {}
    by_index: dict[str, list[int]] = {}
    for (group, kind), sums in groups.items():
        _add(by_age, source.text(group), sums)
        _add(by_index, source.text(kind), sums)
    total = [sum(column) for column in zip(*groups.values(), strict=True)] or [0, 0, 0]
    waiting_ends: dict[dt.date, int] = {}
    for deadline, cohort in ends.items():
        day = source.date(deadline)
        assert day is not None
        waiting_ends[day] = int(cohort)
    return Reoffending(
        Counts(*map(int, total)),
        {key: Counts(*map(int, sums)) for key, sums in sorted(by_age.items())},
        {key: Counts(*map(int, sums)) for key, sums in sorted(by_index.items())},
        waiting_ends,
        latest_in(source),
    )


def _add(into: dict[str, list[int]], key: str, sums: list[int]) -> None:
    """Add three running sums into ``into[key]``."""
    mine = into.get(key)
    if mine is None:
        into[key] = list(sums)
    else:
        for i, value in enumerate(sums):
            mine[i] += value


def members_in(source: FactSource, window: Window = ALL_TIME) -> list[Member]:
    """Every cohort member of ``window`` among ``source``'s offenders, by offender id."""
    members, params = _members_of(source, window)
    rows = source.fetch(
        members + "SELECT m.offender_id, m.date, m.kind, m.age_group, m.reoffences, "
        "m.first_reoffence, m.proof_deadline, f.latest_recorded_at FROM members m "
        "JOIN offenders f ON f.offender_id = m.offender_id "
        f"ORDER BY m.offender_id{source.dialect.collate}",
        params,
    )
    found = []
    for offender_id, day, kind, group, count, first, deadline, latest in rows:
        index_date, waiting_end = source.date(day), source.date(deadline)
        assert index_date is not None
        assert waiting_end is not None
        found.append(
            Member(
                source.text(offender_id),
                index_date,
                cast(IndexKind, source.text(kind)),
                cast(AgeGroup, source.text(group)),
                int(count),
                source.date(first),
                waiting_end,
                from_micros(int(latest)) if latest else None,
            )
        )
    return found


@attrs.frozen
class ReoffendingRows(Tabular):
    """One row per cohort member, for survival analysis (time to first proven reoffence).

    ``duration`` is the days from the index date to the first proven reoffence's offence
    date when ``observed``; otherwise the days the member was followed without one: the
    follow-up year, or less when the data end earlier (censored).
    """

    members: tuple[Member, ...]
    data_end: dt.date | None

    def table(self) -> Table:
        """One row per member."""
        columns = (
            Column("offender_id", "str"),
            Column("index_date", "date"),
            Column("index_kind", "category"),
            Column("age_group", "category"),
            Column("reoffences", "int"),
            Column("first_reoffence", "date"),
            Column("days_to_reoffence", "int"),
            Column("follow_up_complete", "bool"),
            Column("duration", "int"),
            Column("observed", "bool"),
        )
        rows = []
        for m in self.members:
            days = (m.first_reoffence - m.index_date).days if m.first_reoffence else None
            complete = self.data_end is not None and m.waiting_end <= self.data_end
            duration, observed = self._duration(m, days)
            rows.append(
                (
                    m.offender_id,
                    m.index_date,
                    m.index_kind,
                    m.age_group,
                    m.reoffences,
                    m.first_reoffence,
                    days,
                    complete,
                    duration,
                    observed,
                )
            )
        return Table("Proven reoffending, one row per cohort member", columns, tuple(rows))

    def _duration(self, m: Member, days: int | None) -> tuple[int, bool]:
        if days is not None:
            return days, True
        year = (add_years(m.index_date, 1) - m.index_date).days
        if self.data_end is None:
            return year, False
        return max(0, min(year, (self.data_end - m.index_date).days)), False

    def __len__(self) -> int:
        return len(self.members)


def data_end(latest_recorded_at: dt.datetime | None) -> dt.date | None:
    """The London day of the latest transaction time seen (``None`` when nothing was)."""
    return None if latest_recorded_at is None else parse_date(latest_recorded_at)


def _latest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


@attrs.frozen
class ReoffendingView(View[Reoffending]):
    """The proven-reoffending view; the window is the cohort period."""

    name: str = "reoffending"
    #: The fact tables the view reads.
    tables = ("offenders", "index_events")
    title = "Proven reoffending (the window is the cohort period)"

    def aggregate(self, source: FactSource, window: Window) -> Reoffending:
        """The :class:`Reoffending` of the cohort of ``window`` among ``source``'s offenders."""
        return reoffending_in(source, window)

    def empty(self) -> Reoffending:
        """The zero result."""
        return Reoffending()
