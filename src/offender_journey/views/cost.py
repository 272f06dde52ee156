"""The cost of crime: Home Office unit costs applied to each offender's offences.

Unit costs come from a :class:`CostTable` — by default the shipped Home Office table
(Research Report 99, 2015/16 prices; ``data/unit_costs_2015_16.csv``), which lists only
the rows confirmed from a published summary of that report. Offences in categories
without a unit cost are counted as *unpriced*, never guessed; supply or override rows
with :meth:`CostTable.with_costs` or :meth:`CostTable.load`.

An offender's offences are their charges and cautions whose offence date is in the
window; *proven* ones are charges finally convicted and cautions. Concentration shows
how much of the cohort's cost comes from its costliest offenders: "the top 10 % of n
offenders" is the costliest ⌊n/10⌋, and at least one.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c = j.charge("2014-01-10", "robbery")
    >>> _ = j.charge("2014-02-10", "shoplifting")
    >>> _ = j.convict("2014-05-01", c)
    >>> from offender_journey.facts.derive import derive
    >>> from offender_journey.history import History
    >>> facts = derive(History.build("O1", j.events), CostView.tables)
    >>> cost = CostView().project(facts, Window())
    >>> cost.charged, cost.proven, cost.unpriced_share
    (11320.0, 11320.0, 0.5)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
from collections.abc import Mapping
from fractions import Fraction
from importlib import resources
from typing import Any

import attrs

from ..events import Category
from ..facts.schema import OffenderFacts
from ..history import Window
from ..tables import Column, Table, Tabular, plural
from .base import View

__all__ = [
    "CostAccumulator",
    "CostView",
    "CostReport",
    "CostTable",
    "OffenderCost",
]

_DEFAULT = "unit_costs_2015_16.csv"


@attrs.frozen
class CostTable:
    """Unit cost (£) per offence category, with where the figures come from."""

    costs: Mapping[Category, float]
    source: str
    price_year: str

    @classmethod
    def home_office(cls) -> CostTable:
        """The shipped Home Office table (2015/16 prices, confirmed rows only)."""
        text = resources.files("offender_journey.data").joinpath(_DEFAULT).read_text("utf-8")
        return cls._parse(
            text,
            source="Heeks et al., The economic and social costs of crime, 2nd ed., "
            "Home Office Research Report 99 (2018)",
            price_year="2015/16",
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, source: str, price_year: str) -> CostTable:
        """A table from a CSV file with columns ``category`` and ``unit_cost_gbp``."""
        with open(path, encoding="utf-8") as handle:
            return cls._parse(handle.read(), source=source, price_year=price_year)

    @classmethod
    def _parse(cls, text: str, *, source: str, price_year: str) -> CostTable:
        lines = [line for line in text.splitlines() if line and not line.startswith("#")]
        costs: dict[Category, float] = {}
        for number, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
            try:
                costs[Category(row["category"])] = float(row["unit_cost_gbp"])
            except (KeyError, ValueError) as exc:
                raise ValueError(f"unit cost table row {number}: {exc}") from None
        return cls(costs, source, price_year)

    def with_costs(
        self,
        overrides: Mapping[Category, float] | Mapping[str, float],
        *,
        source: str | None = None,
    ) -> CostTable:
        """A copy with rows added or replaced (e.g. local estimates for unpriced categories)."""
        costs = dict(self.costs)
        costs.update({Category(k): float(v) for k, v in overrides.items()})
        note = source or "with user-supplied rows"
        return CostTable(costs, f"{self.source}; {note}", self.price_year)


@attrs.frozen
class OffenderCost:
    """One offender's estimated cost of offending."""

    offender_id: str
    #: Cost of every charged or cautioned offence that has a unit cost.
    charged: float = 0.0
    #: Cost of the proven ones (convicted charges and cautions).
    proven: float = 0.0
    offences: int = 0
    unpriced_offences: int = 0
    proven_offences: int = 0
    unpriced_proven: int = 0


def _top_count(n: int, fraction: float | Fraction) -> int:
    """How many offenders "the top ``fraction`` of n" is: rounded down, at least one."""
    exact = fraction if isinstance(fraction, Fraction) else Fraction(str(fraction))
    return max(1, math.floor(exact * n))


@attrs.frozen
class CostReport(Tabular):
    """Costs of a cohort, offender by offender, with totals and concentration."""

    offenders: tuple[OffenderCost, ...] = ()

    def __add__(self, other: CostReport) -> CostReport:
        total = CostAccumulator()
        total.add(self)
        total.add(other)
        return total.result()

    @property
    def charged(self) -> float:
        return sum(c.charged for c in self.offenders)

    @property
    def proven(self) -> float:
        return sum(c.proven for c in self.offenders)

    @property
    def unpriced_share(self) -> float | None:
        """Share of offences that could not be priced."""
        total = sum(c.offences for c in self.offenders)
        return sum(c.unpriced_offences for c in self.offenders) / total if total else None

    def top_share(self, fraction: float = 0.1, *, proven: bool = False) -> float | None:
        """Share of the cost from the costliest ``fraction`` of offenders.

        The top 10 % of n offenders are the costliest ⌊n/10⌋, and at least one: 15
        offenders give 1, 25 give 2 (the fraction is read as the decimal it prints as).
        """
        costs = sorted((c.proven if proven else c.charged for c in self.offenders), reverse=True)
        total = sum(costs)
        if not total:
            return None
        return sum(costs[: _top_count(len(costs), fraction)]) / total

    def lorenz(self, points: int = 10, *, proven: bool = False) -> list[tuple[float, float]]:
        """(share of offenders, share of cost) from the costliest down, at ``points`` steps.

        Each step counts offenders as :meth:`top_share` does, so the first of ten steps
        is the top 10 %.
        """
        costs = sorted((c.proven if proven else c.charged for c in self.offenders), reverse=True)
        total = sum(costs)
        if not costs or not total:
            return []
        table = []
        for step in range(1, points + 1):
            count = _top_count(len(costs), Fraction(step, points))
            table.append((count / len(costs), sum(costs[:count]) / total))
        return table

    def table(self) -> Table:
        """One row per offender with offences in the window."""
        columns = (
            Column("offender_id"),
            Column("charged", "float"),
            Column("proven", "float"),
            Column("offences", "int"),
            Column("unpriced_offences", "int"),
            Column("proven_offences", "int"),
            Column("unpriced_proven", "int"),
        )
        rows = tuple(attrs.astuple(c) for c in self.offenders)
        return Table("Cost of crime by offender (£, 2015/16 prices)", columns, rows)

    def __repr__(self) -> str:
        return (
            f"<CostReport: {len(self.offenders)} offenders, charged £{self.charged:,.0f}, "
            f"proven £{self.proven:,.0f}>"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "offenders": len(self.offenders),
            "charged": self.charged,
            "proven": self.proven,
            "offences": sum(c.offences for c in self.offenders),
            "unpriced_offences": sum(c.unpriced_offences for c in self.offenders),
            "unpriced_share": self.unpriced_share,
            "top_10_percent_share": self.top_share(0.1),
            "top_10_percent_share_proven": self.top_share(0.1, proven=True),
            "lorenz": [{"offenders": o, "cost": c} for o, c in self.lorenz()],
        }

    def lorenz_table(self) -> Table:
        """The concentration of cost: share of offenders (costliest first) against share of cost."""
        columns = (
            Column("offenders", "float", "costliest offenders", "share"),
            Column("cost", "float", "share of the cost", "share"),
        )
        return Table("Concentration of the cost", columns, tuple(self.lorenz()))

    def __str__(self) -> str:
        share = self.unpriced_share
        priced = "n/a" if share is None else f"{100 * (1 - share):.0f} % of offences"
        top = self.top_share(0.1)
        lines = [
            f"Estimated cost £{self.charged:,.0f} for {plural(len(self.offenders), 'offender')} "
            f"(proven offences £{self.proven:,.0f}) - priced offences only: {priced}; the "
            "other offences have no confirmed unit cost and count as £0.",
            "The costliest 10 % of offenders: "
            + ("n/a" if top is None else f"{100 * top:.1f} % of the cost")
            + ".",
        ]
        if self.offenders:
            lines.append(self.lorenz_table().to_text(title=False))
        return "\n".join(lines)


@attrs.frozen
class CostView(View[CostReport]):
    """The cost-of-crime view with a given unit-cost table."""

    table: CostTable = attrs.field(factory=CostTable.home_office)
    name: str = "cost"

    #: The fact tables the view reads.
    tables = ("offences",)
    title = "Cost of crime (Home Office unit costs, 2015/16 prices)"
    default = False

    def project(
        self, facts: OffenderFacts, window: Window, as_of_day: dt.date | None = None
    ) -> CostReport:
        """One offender's cost for offences dated in ``window`` (empty without offences)."""
        costs = self.table.costs
        charged = proven = 0.0
        count = unpriced = proven_count = unpriced_proven = 0
        for offence in facts.offences:
            if not window.contains(offence.offence_date):
                continue
            unit = costs.get(Category(offence.category))
            count += 1
            is_proven = offence.proven_date is not None
            proven_count += is_proven
            if unit is None:
                unpriced += 1
                unpriced_proven += is_proven
                continue
            charged += unit
            if is_proven:
                proven += unit
        if not count:
            return CostReport()
        return CostReport(
            (
                OffenderCost(
                    facts.offender_id,
                    charged,
                    proven,
                    count,
                    unpriced,
                    proven_count,
                    unpriced_proven,
                ),
            )
        )

    def empty(self) -> CostReport:
        return CostReport()

    def accumulator(self) -> CostAccumulator:
        """A running total that appends, rather than re-copying, per-offender rows."""
        return CostAccumulator()


class CostAccumulator:
    """Collects per-offender costs in a list; the report is built once at the end."""

    def __init__(self) -> None:
        self._rows: list[OffenderCost] = []

    def add(self, result: CostReport, /) -> None:
        self._rows.extend(result.offenders)

    def result(self) -> CostReport:
        return CostReport(tuple(sorted(self._rows, key=lambda c: c.offender_id)))
