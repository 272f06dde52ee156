"""An offender's offences and sanctions, as reoffending, history, risk and cost count them.

*Offences* are charges (one per ``charge_id``) and cautions (one per ``caution_id``),
each with its offence date and category, and the day it was *proven*: the date of
a charge's final outcome when that is a conviction, the caution's own date.

*Sanctions* are sanction occasions, as the Ministry of Justice and OGRS3 count them:
each day on which at least one charge was finally convicted is one conviction
occasion, and each caution is one sanction. Five charges convicted at one hearing are
one previous conviction, not five.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c1 = j.charge("2013-01-10", "shoplifting"); c2 = j.charge("2013-01-10", "robbery")
    >>> _ = j.convict("2013-03-01", c1); _ = j.convict("2013-03-01", c2)
    >>> _ = j.caution("2014-05-01", "theft_other")
    >>> [(s.date.isoformat(), s.kind) for s in sanctions(History.build("O1", j.events))]
    [('2013-03-01', 'conviction'), ('2014-05-01', 'caution')]
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Literal

import attrs

from ..events import Category, Caution, Conviction
from .base import History

__all__ = ["OffenceRecord", "Sanction", "offences", "previous", "sanctions"]

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
    #: The offence categories sanctioned that day (charges convicted, or the caution's).
    categories: tuple[Category, ...]


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


def sanctions(history: History) -> list[Sanction]:
    """Sanction occasions in date order (a conviction day before a caution on the same day)."""
    by_day: dict[dt.date, list[Category]] = {}
    charges = history.charges
    for charge_id, conviction in history.convictions.items():
        charge = charges.get(charge_id)
        categories = by_day.setdefault(conviction.date, [])
        if charge is not None:
            categories.append(charge.offence.category)
    found = [Sanction(day, "conviction", tuple(cats)) for day, cats in by_day.items()]
    found += [Sanction(c.date, "caution", (c.offence.category,)) for c in _cautions(history)]
    found.sort(key=lambda s: (s.date, s.kind != "conviction"))
    return found


def previous(found: list[Sanction], day: dt.date, kind: SanctionKind | None = None) -> int:
    """How many sanctions (of ``kind``, or any) fall strictly before ``day``."""
    chosen = found if kind is None else [s for s in found if s.kind == kind]
    return bisect.bisect_left([s.date for s in chosen], day)
