"""Integrated Offender Management (IOM) cohort selection: a configurable, explainable rule.

The default :data:`LONDON` preset is the rule described at a London hearing (the MOPAC
Challenge on adult reoffending, 23 February 2015) and **not confirmed by any published
rule**: a 2-year reoffending score of 75 % or more, or of 50-74 % with a robbery or
burglary in the previous 12 months. Each area may choose its own thresholds, offence
categories and look-back: build an :class:`IomRule` with other values.

The score is the latest ``risk_assessed`` score on the selection day, or else OGRS3
computed from the sanctions (:func:`~.ogrs3.risk_of`), compared with the thresholds as
the whole percentage it is shown as (0.748 is 75 %: high, and selected at 75 %). Recent
offences are charges or cautions whose offence date falls in the look-back, proven or not,
known on the selection day: charged or cautioned on or before it (no look-ahead).
Everything is read from fact rows (:data:`IOM_TABLES`); the selection day is given at
query time.

Examples:
    >>> from offender_journey.offender import select
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> _ = j.risk("2015-01-10", score_2y=0.62)
    >>> _ = j.charge("2015-03-02", "robbery")
    >>> chosen = select(History.build("O1", j.events), LONDON, dt.date(2015, 6, 30))
    >>> chosen.reason
    '2-year score 62 % (50-74 %) with robbery in the previous 12 months'
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs

from ..dates import add_months
from ..events import Category
from ..facts.schema import OffenceRow, OffenderFacts
from ..history import History, Window, as_of_date
from ..labels import label
from ..tables import Column, Table, Tabular, plural
from .base import View, facts_on
from .ogrs3 import RISK_TABLES, RiskScore, percent, risk_of

__all__ = [
    "IOM_TABLES",
    "IomAccumulator",
    "IomCohort",
    "IomView",
    "IomRule",
    "LONDON",
    "Selected",
    "select_of",
]


@attrs.frozen(kw_only=True)
class IomRule:
    """Who is selected: a score threshold, or a lower one with recent offending of given kinds."""

    #: What the rule is called in reports.
    name: str = "London preset (described in 2015, unconfirmed)"
    #: Selected whatever their recent offending at this 2-year score or above.
    threshold: float = 0.75
    #: Selected at this score or above (and below ``threshold``) with recent qualifying offences.
    lower_threshold: float = 0.50
    #: The offence categories that qualify at the lower threshold.
    categories: frozenset[Category] = frozenset(
        {Category.ROBBERY, Category.BURGLARY_DOMESTIC, Category.BURGLARY_OTHER}
    )
    #: How far back recent offending is looked for, in calendar months.
    look_back_months: int = 12
    #: Use a supplied ``risk_assessed`` score before computing OGRS3.
    prefer_assessed: bool = True


#: The London rule as described at the hearing: a preset to change, not a published rule.
LONDON = IomRule()


@attrs.frozen
class Selected:
    """One selected offender and why."""

    offender_id: str
    score_2y: float
    source: str
    reason: str
    #: Ids of the recent qualifying offences (if the lower threshold applied).
    recent: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class IomCohort(Tabular):
    """The selected offenders, and how many were considered or could not be scored."""

    selected: tuple[Selected, ...] = ()
    considered: int = 0
    #: Offenders with no score and no OGRS3, by the first missing input.
    unscored: Mapping[str, int] = attrs.field(factory=dict)

    def __add__(self, other: IomCohort) -> IomCohort:
        total = IomAccumulator()
        total.add(self)
        total.add(other)
        return total.result()

    @property
    def offender_ids(self) -> tuple[str, ...]:
        return tuple(s.offender_id for s in self.selected)

    def table(self) -> Table:
        """One row per selected offender, with the reason."""
        columns = (
            Column("offender_id"),
            Column("score_2y", "float", "2-year score", "share"),
            Column("source", "category"),
            Column("reason"),
        )
        rows = tuple((s.offender_id, s.score_2y, s.source, s.reason) for s in self.selected)
        return Table(f"IOM cohort ({len(self.selected)} of {self.considered})", columns, rows)

    def __repr__(self) -> str:
        return f"<IomCohort: {len(self.selected)} of {self.considered} selected>"

    def to_json(self) -> dict[str, Any]:
        return {
            "size": len(self.selected),
            "considered": self.considered,
            "unscored": dict(self.unscored),
            "selected": [s.to_json() for s in self.selected],
        }

    def __str__(self) -> str:
        recent = sum(1 for s in self.selected if s.recent)
        lines = [
            f"{len(self.selected)} of {plural(self.considered, 'offender')} selected: "
            f"{len(self.selected) - recent} on the score alone, {recent} on the score with "
            "recent qualifying offences."
        ]
        if self.unscored:
            lines.append(
                "Not scored: "
                + ", ".join(f"{n} missing {what}" for what, n in self.unscored.items())
                + "."
            )
        lines.append("Who and why: `iom --list`, `--json`, or `.table()` in Python.")
        return "\n".join(lines)


#: The fact tables IOM selection reads: the risk's, and the offences for recent offending.
IOM_TABLES: tuple[str, ...] = (*RISK_TABLES, "offences", "charges")


def _offence_order(row: OffenceRow) -> tuple[dt.date, bool, str]:
    # By offence date, charges before cautions, then by id: the same whatever order the
    # rows were stored or derived in.
    return row.offence_date, row.kind != "charge", row.ref


def whole_percent(share: float) -> int:
    """A threshold as the whole percentage it is written as (0.75 is 75).

    Examples:
        >>> whole_percent(0.75), whole_percent(0.5), whole_percent(1.0)
        (75, 50, 100)
    """
    return math.floor(share * 100 + 0.5)


def _known_by(offence: OffenceRow, charged: Mapping[str, dt.date], day: dt.date) -> bool:
    """Whether the offence was known on ``day``: charged, or cautioned, on or before it."""
    known = charged.get(offence.ref) if offence.kind == "charge" else offence.proven_date
    return known is not None and known <= day


def select_of(facts: OffenderFacts, rule: IomRule, day: dt.date) -> Selected | RiskScore | str:
    """Apply ``rule`` on ``day`` to one offender's facts (of :data:`IOM_TABLES`).

    Returns a :class:`Selected`, or the score that fell short, or the missing input's name.
    """
    risk = risk_of(facts, day, prefer_assessed=rule.prefer_assessed)
    if not isinstance(risk, RiskScore):
        return risk.missing[0] if risk.missing else "score"
    # Compared as the whole percentages shown, so a score, its band and the selection agree.
    score = percent(risk.score_2y)
    threshold, lower = whole_percent(rule.threshold), whole_percent(rule.lower_threshold)
    shown = f"{score} %"
    if score >= threshold:
        reason = f"2-year score {shown} (>= {threshold} %)"
        return Selected(facts.offender_id, risk.score_2y, risk.source, reason)
    if score >= lower:
        since = add_months(day, -rule.look_back_months)
        wanted = {c.value for c in rule.categories}
        charged = {c.charge_id: c.charge_date for c in facts.charges}
        recent = sorted(
            (
                o
                for o in facts.offences
                if since < o.offence_date <= day
                and o.category in wanted
                and _known_by(o, charged, day)
            ),
            key=_offence_order,
        )
        if recent:
            kinds = " and ".join(sorted({label(o.category, capital=False) for o in recent}))
            band = f"{lower}-{threshold - 1} %"
            reason = (
                f"2-year score {shown} ({band}) with {kinds} in the previous "
                f"{rule.look_back_months} months"
            )
            return Selected(
                facts.offender_id,
                risk.score_2y,
                risk.source,
                reason,
                tuple(o.ref for o in recent),
            )
    return risk


class IomAccumulator:
    """A running total of cohorts that collects the selected and sorts them once, at the
    end: adding cohorts one by one re-sorted every offender selected so far each time."""

    def __init__(self) -> None:
        self._selected: list[Selected] = []
        self._considered = 0
        self._unscored: Counter[str] = Counter()

    def add(self, result: IomCohort, /) -> None:
        """Add one cohort (one offender's, or a part's)."""
        self._selected.extend(result.selected)
        self._considered += result.considered
        self._unscored.update(result.unscored)

    def result(self) -> IomCohort:
        """The cohort so far: the selected in offender order (ties as added)."""
        return IomCohort(
            tuple(sorted(self._selected, key=operator.attrgetter("offender_id"))),
            self._considered,
            dict(sorted(self._unscored.items())),
        )


@attrs.frozen
class IomView(View[IomCohort]):
    """IOM selection on ``on``, else the window's last day, else the as-of day (or today).

    An aggregation over the facts of :data:`IOM_TABLES`: nothing stored depends on the
    selection day, which is given at query time.
    """

    rule: IomRule = LONDON
    on: dt.date | None = None
    name: str = "iom"
    tables = IOM_TABLES
    title = "IOM cohort selection"
    default = False

    def day(self, window: Window, as_of_day: dt.date | None = None) -> dt.date:
        """The selection day for ``window`` when the query is as of ``as_of_day``."""
        return self.on or window.end or as_of_day or as_of_date(None)

    def project(
        self,
        facts: OffenderFacts | History,
        window: Window,
        as_of_day: dt.date | None = None,
    ) -> IomCohort:
        """One offender's :class:`IomCohort` (a history is derived to facts first)."""
        rows, today = facts_on(facts, self.tables, as_of_day)
        offender = rows.offender
        if offender is None or not offender.events:
            return IomCohort()
        outcome = select_of(rows, self.rule, self.day(window, today))
        if isinstance(outcome, Selected):
            return IomCohort((outcome,), 1)
        if isinstance(outcome, str):
            return IomCohort((), 1, {outcome: 1})
        return IomCohort((), 1)

    def empty(self) -> IomCohort:
        return IomCohort()

    def accumulator(self) -> IomAccumulator:
        """A running total that sorts the selected once, at the end."""
        return IomAccumulator()
