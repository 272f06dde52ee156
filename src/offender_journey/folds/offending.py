"""An offender's offences and sanctions, as reoffending, history, risk and cost count them.

*Offences* are charges (one per ``charge_id``) and cautions (one per ``caution_id``),
each with its offence date and category, and the day it was *proven*: the date of
a charge's final outcome when that is a conviction, the caution's own date.

*Sanctions* are sanction occasions, as the Ministry of Justice and OGRS3 count them:
each day on which at least one known, unretracted charge was finally convicted is one
conviction occasion, and each caution is one sanction. Five charges convicted at one
hearing are one previous conviction, not five. A conviction whose charge the history
does not hold (never recorded, or retracted) counts nowhere: without the charge there
is no offence to sanction.

A conviction day's offences are listed in *charge order*: by the charge's ``date``,
then transaction order of the charge records, whatever order the convictions were
recorded in. The first is that day's current offence.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c1 = j.charge("2013-01-10", "shoplifting"); c2 = j.charge("2013-01-05", "robbery")
    >>> _ = j.convict("2013-03-01", c1); _ = j.convict("2013-03-01", c2)
    >>> _ = j.caution("2014-05-01", "theft_other")
    >>> found = sanctions(History.build("O1", j.events))
    >>> [(s.date.isoformat(), s.kind, s.current.value) for s in found]
    [('2013-03-01', 'conviction', 'robbery'), ('2014-05-01', 'caution', 'theft_other')]
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Literal

import attrs

from ..events import Category, Caution, Charge, Conviction
from ..history import History

__all__ = [
    "OffenceRecord",
    "Sanction",
    "convicted_charges",
    "offences",
    "previous",
    "sanctions",
]

SanctionKind = Literal["conviction", "caution"]


@attrs.frozen
class OffenceRecord:
    """One offence: charged or cautioned, when committed, of what kind, and when proven."""

    kind: Literal["charge", "caution"]
    #: The charge or caution id.
    ref: str
    event_id: str
    offence_date: dt.date
    category: Category
    #: Conviction date (final outcome) or caution date; ``None`` if not proven.
    proven_on: dt.date | None


@attrs.frozen
class Sanction:
    """One sanction occasion: a day with a conviction, or a caution."""

    date: dt.date
    kind: SanctionKind
    #: The offence categories sanctioned that day: the convicted charges' in charge
    #: order, or the caution's. Never empty.
    categories: tuple[Category, ...]

    @property
    def current(self) -> Category:
        """The current offence: the first in charge order (or the caution's offence)."""
        return self.categories[0]


def _cautions(history: History) -> list[Caution]:
    """Cautions, one per ``caution_id`` (a re-sent id keeps the one recorded last)."""
    latest = {c.caution_id: c for c in history.of_type_recorded(Caution)}
    return sorted(latest.values(), key=lambda c: c.date)


def offences(history: History) -> list[OffenceRecord]:
    """Every charged or cautioned offence, in offence-date order."""
    outcomes = history.outcomes
    found: list[OffenceRecord] = []
    for charge_id, charge in history.charges.items():
        outcome = outcomes.get(charge_id)
        proven = outcome.date if isinstance(outcome, Conviction) else None
        found.append(
            OffenceRecord(
                "charge",
                charge_id,
                charge.event_id,
                charge.offence_date,
                charge.offence.category,
                proven,
            )
        )
    for caution in _cautions(history):
        found.append(
            OffenceRecord(
                "caution",
                caution.caution_id,
                caution.event_id,
                caution.offence_date,
                caution.offence.category,
                caution.date,
            )
        )
    found.sort(key=lambda o: o.offence_date)
    return found


def convicted_charges(history: History) -> list[tuple[Charge, Conviction]]:
    """Known, unretracted charges whose final outcome is a conviction, in charge order.

    Charge order is the charge's ``date``, then transaction order of the charge records
    (``recorded_at``, then position in the stream).
    """
    position = {c.event_id: i for i, c in enumerate(history.of_type_recorded(Charge))}
    convictions = history.convictions
    found = [
        (charge, convictions[charge_id])
        for charge_id, charge in history.charges.items()
        if charge_id in convictions
    ]
    found.sort(key=lambda pair: (pair[0].date, position[pair[0].event_id]))
    return found


def sanctions(history: History) -> list[Sanction]:
    """Sanction occasions in date order (a conviction day before a caution on the same day)."""
    by_day: dict[dt.date, list[Category]] = {}
    for charge, conviction in convicted_charges(history):
        by_day.setdefault(conviction.date, []).append(charge.offence.category)
    found = [Sanction(day, "conviction", tuple(cats)) for day, cats in by_day.items()]
    found += [Sanction(c.date, "caution", (c.offence.category,)) for c in _cautions(history)]
    found.sort(key=lambda s: (s.date, s.kind != "conviction"))
    return found


def previous(found: list[Sanction], day: dt.date, kind: SanctionKind | None = None) -> int:
    """How many sanctions (of ``kind``, or any) fall strictly before ``day``."""
    chosen = found if kind is None else [s for s in found if s.kind == kind]
    return bisect.bisect_left([s.date for s in chosen], day)
