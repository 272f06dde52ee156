"""Warrants and recalls: what is outstanding, and how quickly warrants and recalls are executed.

- **Outstanding** on a day (the window's last day, else the ``as_of`` date, else
  today): warrants issued on or before it and neither executed nor withdrawn by it,
  counted by kind and category.
- **Execution timeliness**: warrants issued in the window and executed, in days from
  issue to execution, against a target per category (defaults A 14 days, B 21, C 28)
  and an on-time share to reach (default 70 %). Warrants without a category are
  counted but not judged.
- **Recall to return**: recalls decided in the window, in days from the recall to the
  return to custody (the first return for that licence on or after the recall);
  recalls not yet returned are counted as outstanding.

The targets are the ones quoted at the 2015 London hearing (see docs/sources.md): a
preset to change, see :class:`WarrantTargets`.

The view reads the ``warrants`` and ``recalls`` fact tables (each warrant's issue,
first execution and first withdrawal dates; each recall and its first return), which
hold no "today": the day warrants are counted outstanding on is given at query time.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> w = j.warrant("2014-03-01", "failed_to_appear", "A")
    >>> _ = j.execute_warrant("2014-03-10", w)
    >>> _ = j.warrant("2014-06-01", "breach", "C")
    >>> from offender_journey.facts.derive import derive
    >>> facts = derive(History.build("O1", j.events), WarrantsView.tables)
    >>> year_end = Window(None, dt.date(2014, 12, 31))
    >>> report = WarrantsView().project(facts, year_end)
    >>> report.outstanding, report.executed["A"].on_time
    ({'breach/C': 1}, 1)
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs

from ..facts.schema import OffenderFacts, WarrantRow
from ..history import History, Window
from ..tables import Column, Table, Tabular, plural
from .base import View, facts_on

__all__ = [
    "Timeliness",
    "WarrantTargets",
    "Warrants",
    "WarrantsView",
]


@attrs.frozen(kw_only=True)
class WarrantTargets:
    """Days to execute a warrant by category, and the on-time share to reach."""

    days: Mapping[str, int] = attrs.field(factory=lambda: {"A": 14, "B": 21, "C": 28})
    on_time_share: float = 0.70


@attrs.frozen
class Timeliness:
    """Executions of one category: how many, how many on time, and the days each took."""

    executed: int = 0
    on_time: int = 0
    #: Days from issue to execution → how many warrants took that long.
    days: Mapping[int, int] = attrs.field(factory=dict)

    def __add__(self, other: Timeliness) -> Timeliness:
        days = Counter(self.days)
        days.update(other.days)
        return Timeliness(
            self.executed + other.executed, self.on_time + other.on_time, dict(sorted(days.items()))
        )

    @property
    def share_on_time(self) -> float | None:
        return self.on_time / self.executed if self.executed else None

    def median_days(self) -> float | None:
        values = [d for d, n in self.days.items() for _ in range(n)]
        return float(statistics.median(values)) if values else None


def _add(a: Mapping[str, Any], b: Mapping[str, Any], zero: Any) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, zero) + value
    return dict(sorted(out.items()))


@attrs.frozen
class Warrants(Tabular):
    """Outstanding warrants, execution timeliness by category, and recall-to-return times."""

    #: ``kind/category`` → warrants outstanding (``none`` for no category).
    outstanding: Mapping[str, int] = attrs.field(factory=dict)
    #: Category (``none`` for ungraded) → executions of warrants issued in the window.
    executed: Mapping[str, Timeliness] = attrs.field(factory=dict)
    #: Recalls in the window that ended in a return to custody, by days taken.
    recall_returns: Timeliness = Timeliness()
    #: Recalls in the window with no return to custody yet.
    recalls_outstanding: int = 0
    targets: WarrantTargets = attrs.field(factory=WarrantTargets, eq=False)

    def __add__(self, other: Warrants) -> Warrants:
        return Warrants(
            _add(self.outstanding, other.outstanding, 0),
            _add(self.executed, other.executed, Timeliness()),
            self.recall_returns + other.recall_returns,
            self.recalls_outstanding + other.recalls_outstanding,
            self.targets,
        )

    def table(self) -> Table:
        """Execution timeliness, one row per warrant category."""
        columns = (
            Column("category", "category"),
            Column("executed", "int"),
            Column("on_time", "int"),
            Column("share_on_time", "float", "on time", "share"),
            Column("target_days", "int"),
            Column("median_days", "float"),
        )
        rows = tuple(
            (
                cat,
                t.executed,
                t.on_time,
                t.share_on_time,
                self.targets.days.get(cat),
                t.median_days(),
            )
            for cat, t in self.executed.items()
        )
        return Table("Warrant execution timeliness", columns, rows)

    def outstanding_table(self) -> Table:
        """Outstanding warrants by kind and category."""
        rows = tuple((key, n) for key, n in self.outstanding.items())
        return Table(
            "Outstanding warrants",
            (Column("kind_category", "category"), Column("outstanding", "int")),
            rows,
        )

    def to_json(self) -> dict[str, Any]:
        def timeliness(t: Timeliness, target: int | None) -> dict[str, Any]:
            return {
                "executed": t.executed,
                "on_time": t.on_time if target is not None else None,
                "share_on_time": t.share_on_time if target is not None else None,
                "target_days": target,
                "meets_target": (
                    None
                    if target is None or t.share_on_time is None
                    else t.share_on_time >= self.targets.on_time_share
                ),
                "median_days": t.median_days(),
            }

        return {
            "outstanding": dict(self.outstanding),
            "outstanding_total": sum(self.outstanding.values()),
            "on_time_target": self.targets.on_time_share,
            "execution": {
                cat: timeliness(t, self.targets.days.get(cat)) for cat, t in self.executed.items()
            },
            "recall_to_return": {
                "returned": self.recall_returns.executed,
                "median_days": self.recall_returns.median_days(),
                "outstanding": self.recalls_outstanding,
            },
        }

    def __str__(self) -> str:
        median = self.recall_returns.median_days()
        return "\n".join(
            [
                f"{plural(sum(self.outstanding.values()), 'warrant')} outstanding on the "
                "window's last day, by kind and category:",
                self.outstanding_table().to_text(title=False),
                "",
                f"Execution of warrants issued in the window (target: "
                f"{100 * self.targets.on_time_share:.0f} % within the days for the category):",
                self.table().to_text(title=False),
                "",
                f"Recalls: {self.recall_returns.executed} returned to custody"
                + ("" if median is None else f" (median {median:g} days)")
                + f", {self.recalls_outstanding} not yet returned.",
            ]
        )


def _closed(row: WarrantRow) -> dt.date | None:
    """The day a warrant stopped being outstanding: its first execution or withdrawal."""
    ends = [d for d in (row.executed_date, row.withdrawn_date) if d is not None]
    return min(ends) if ends else None


@attrs.frozen
class WarrantsView(View[Warrants]):
    """The warrants-and-recalls view: an aggregation over the ``warrants`` and ``recalls`` facts.

    Outstanding is judged on the window's last day, else the as-of day the metrics
    pass (the ``as_of`` date, else today).
    """

    targets: WarrantTargets = attrs.field(factory=WarrantTargets)
    name: str = "warrants"
    tables = ("warrants", "recalls")
    title = "Warrants and recalls"
    default = False

    def project(
        self,
        facts: OffenderFacts | History,
        window: Window,
        as_of_day: dt.date | None = None,
    ) -> Warrants:
        """One offender's :class:`Warrants` (a history is derived to facts first)."""
        rows, today = facts_on(facts, self.tables, as_of_day)
        day = window.end or today
        outstanding: Counter[str] = Counter()
        executed: dict[str, Timeliness] = {}
        for warrant in rows.warrants:
            category = warrant.category or "none"
            ended = _closed(warrant)
            if warrant.issued_date <= day and (ended is None or ended > day):
                outstanding[f"{warrant.kind}/{category}"] += 1
            done = warrant.executed_date
            issued = warrant.issued_date
            if done is not None and window.contains(issued) and done >= issued:
                took = (done - issued).days
                target = self.targets.days.get(category)
                on_time = 1 if target is not None and took <= target else 0
                executed[category] = executed.get(category, Timeliness()) + Timeliness(
                    1, on_time, {took: 1}
                )
        recall_days: Counter[int] = Counter()
        waiting = 0
        for recall in rows.recalls:
            if not window.contains(recall.recall_date):
                continue
            if recall.returned_date is None:
                waiting += 1
            else:
                recall_days[(recall.returned_date - recall.recall_date).days] += 1
        return Warrants(
            dict(sorted(outstanding.items())),
            dict(sorted(executed.items())),
            Timeliness(sum(recall_days.values()), 0, dict(sorted(recall_days.items()))),
            waiting,
            self.targets,
        )

    def empty(self) -> Warrants:
        return Warrants(targets=self.targets)
