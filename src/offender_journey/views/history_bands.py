"""Criminal history: previous sanctions and convictions, and cohort breakdowns by band.

Counts are of sanction occasions (see :mod:`offender_journey.folds.offending`): a day
with one or more convictions is one previous conviction; each caution is one previous
caution.
"Previous" means strictly before the day asked about.

For a window, the cohort is everyone sanctioned in it; each offender is banded by
their history at their first sanction in the window. Cautions given in the window are
banded by the offender's previous convictions on the day of the caution, which
answers questions such as "how many cautions went to offenders with 15 or more
previous convictions?".

Examples:
    >>> import datetime as dt
    >>> from offender_journey.history import History
    >>> from offender_journey.folds.history_bands import history_at
    >>> from offender_journey.offender import history_bands
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> for year in range(2000, 2016):
    ...     _ = j.convict(f"{year}-06-01", j.charge(f"{year}-05-01", "shoplifting"))
    >>> _ = j.caution("2016-03-01", "theft_other")
    >>> history = History.build("O1", j.events)
    >>> history_at(history, dt.date(2016, 3, 1)).previous_convictions
    16
    >>> bands = history_bands(history, Window(dt.date(2016, 1, 1), dt.date(2016, 12, 31)))
    >>> bands.cautions_by_previous_convictions
    {'15+': 1}
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs

from ..facts.schema import OffenderFacts
from ..folds.history_bands import BANDS, band
from ..folds.offending import previous
from ..history import ALL_TIME, Window
from ..tables import Column, Table, Tabular, plural
from .base import View
from .ogrs3 import sanction_of

__all__ = [
    "BANDS",
    "HistoryBands",
    "HistoryBandsView",
    "band",
    "history_bands_of",
]


def _add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    total = Counter(a)
    total.update(b)
    order = [label for _, _, label in BANDS]
    return {label: total[label] for label in order if total[label]}


@attrs.frozen
class HistoryBands(Tabular):
    """A cohort broken down by previous sanctions and convictions."""

    #: Offenders sanctioned in the window.
    sanctioned: int = 0
    #: Of those, offenders with at least one previous sanction (reoffenders, in MoJ terms).
    with_previous: int = 0
    #: Offenders by band of previous sanctions at their first sanction in the window.
    offenders_by_previous_sanctions: Mapping[str, int] = attrs.field(factory=dict)
    #: Offenders by band of previous convictions at their first sanction in the window.
    offenders_by_previous_convictions: Mapping[str, int] = attrs.field(factory=dict)
    #: Cautions given in the window, by the offender's previous convictions that day.
    cautions_by_previous_convictions: Mapping[str, int] = attrs.field(factory=dict)

    def __add__(self, other: HistoryBands) -> HistoryBands:
        return HistoryBands(
            self.sanctioned + other.sanctioned,
            self.with_previous + other.with_previous,
            _add(self.offenders_by_previous_sanctions, other.offenders_by_previous_sanctions),
            _add(self.offenders_by_previous_convictions, other.offenders_by_previous_convictions),
            _add(self.cautions_by_previous_convictions, other.cautions_by_previous_convictions),
        )

    def table(self) -> Table:
        """One row per band."""
        columns = (
            Column("band", "category", "previous"),
            Column("offenders_by_previous_sanctions", "int", "offenders by sanctions"),
            Column("offenders_by_previous_convictions", "int", "offenders by convictions"),
            Column("cautions_by_previous_convictions", "int", "cautions by convictions"),
        )
        rows = tuple(
            (
                label,
                self.offenders_by_previous_sanctions.get(label, 0),
                self.offenders_by_previous_convictions.get(label, 0),
                self.cautions_by_previous_convictions.get(label, 0),
            )
            for _, _, label in BANDS
        )
        return Table("Criminal history bands", columns, rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "sanctioned": self.sanctioned,
            "with_previous": self.with_previous,
            "offenders_by_previous_sanctions": dict(self.offenders_by_previous_sanctions),
            "offenders_by_previous_convictions": dict(self.offenders_by_previous_convictions),
            "cautions_by_previous_convictions": dict(self.cautions_by_previous_convictions),
        }

    def __str__(self) -> str:
        return "\n".join(
            [
                f"{plural(self.sanctioned, 'offender')} sanctioned in the window, "
                f"{self.with_previous} with a previous sanction. Offenders by their previous "
                "sanctions and convictions at their first sanction in the window; cautions "
                "by the previous convictions of the person cautioned.",
                self.table().to_text(title=False),
            ]
        )


def history_bands_of(facts: OffenderFacts, window: Window = ALL_TIME) -> HistoryBands:
    """One offender's contribution to the window's breakdown, from their ``sanctions`` rows."""
    found = [sanction_of(row) for row in facts.sanctions]
    inside = [s for s in found if window.contains(s.date)]
    if not inside:
        return HistoryBands()
    first = inside[0].date
    convictions = previous(found, first, "conviction")
    total = previous(found, first)
    cautions = Counter(
        band(previous(found, s.date, "conviction")) for s in inside if s.kind == "caution"
    )
    return HistoryBands(
        1,
        1 if total else 0,
        {band(total): 1},
        {band(convictions): 1},
        dict(cautions),
    )


@attrs.frozen
class HistoryBandsView(View[HistoryBands]):
    """The criminal-history view."""

    name: str = "history_bands"
    #: The fact tables the view reads.
    tables = ("sanctions",)
    title = "Criminal history of offenders sanctioned in the window"
    default = False

    def project(
        self, facts: OffenderFacts, window: Window, as_of_day: dt.date | None = None
    ) -> HistoryBands:
        """One offender's :class:`HistoryBands`."""
        return history_bands_of(facts, window)

    def empty(self) -> HistoryBands:
        return HistoryBands()
