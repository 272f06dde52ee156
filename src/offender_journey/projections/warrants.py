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

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> w = j.warrant("2014-03-01", "failed_to_appear", "A")
    >>> _ = j.execute_warrant("2014-03-10", w)
    >>> _ = j.warrant("2014-06-01", "breach", "C")
    >>> year_end = Window(None, dt.date(2014, 12, 31))
    >>> report = WarrantsProjection().project(History.build("O1", j.events), year_end)
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

from ..events import (
    LicenceRecalled,
    ReturnedToCustody,
    WarrantExecuted,
    WarrantIssued,
    WarrantWithdrawn,
)
from ..tables import Column, Table, Tabular, plural
from .base import History, Window, as_of_date

__all__ = ["Timeliness", "WarrantTargets", "Warrants", "WarrantsProjection"]


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


@attrs.frozen
class WarrantsProjection:
    """The warrants-and-recalls view."""

    targets: WarrantTargets = attrs.field(factory=WarrantTargets)
    name: str = "warrants"

    def project(self, history: History, window: Window) -> Warrants:
        day = window.end or as_of_date(history.as_of)
        # The first execution or withdrawal closes a warrant.
        closed: dict[str, dt.date] = {}
        executed_on: dict[str, dt.date] = {}
        ends: list[WarrantExecuted | WarrantWithdrawn] = [
            *history.of_type(WarrantExecuted),
            *history.of_type(WarrantWithdrawn),
        ]
        for end in ends:
            closed[end.warrant_id] = min(end.date, closed.get(end.warrant_id, end.date))
            if isinstance(end, WarrantExecuted):
                executed_on[end.warrant_id] = min(
                    end.date, executed_on.get(end.warrant_id, end.date)
                )
        issued = {w.warrant_id: w for w in history.of_type_recorded(WarrantIssued)}
        outstanding: Counter[str] = Counter()
        executed: dict[str, Timeliness] = {}
        for warrant_id, warrant in issued.items():
            category = warrant.category.value if warrant.category else "none"
            ended = closed.get(warrant_id)
            if warrant.date <= day and (ended is None or ended > day):
                outstanding[f"{warrant.kind.value}/{category}"] += 1
            done = executed_on.get(warrant_id)
            if done is not None and window.contains(warrant.date) and done >= warrant.date:
                took = (done - warrant.date).days
                target = self.targets.days.get(category)
                on_time = 1 if target is not None and took <= target else 0
                executed[category] = executed.get(category, Timeliness()) + Timeliness(
                    1, on_time, {took: 1}
                )
        returns: dict[str, list[dt.date]] = {}
        for back in history.of_type(ReturnedToCustody):
            returns.setdefault(back.licence_id, []).append(back.date)
        recall_days: Counter[int] = Counter()
        waiting = 0
        for recall in history.of_type(LicenceRecalled):
            if not window.contains(recall.date):
                continue
            later = [d for d in returns.get(recall.licence_id, []) if d >= recall.date]
            if later:
                recall_days[(min(later) - recall.date).days] += 1
            else:
                waiting += 1
        return Warrants(
            dict(sorted(outstanding.items())),
            dict(sorted(executed.items())),
            Timeliness(sum(recall_days.values()), 0, dict(sorted(recall_days.items()))),
            waiting,
            self.targets,
        )

    def empty(self) -> Warrants:
        return Warrants(targets=self.targets)
