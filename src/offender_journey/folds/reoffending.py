"""Index events and reoffences of one offender, as proven reoffending counts them.

The definitions are in :mod:`offender_journey.views.reoffending`; these are the pieces
:func:`offender_journey.facts.derive.derive` reads from a history to write the
``index_events`` and ``offenders`` rows the view counts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from typing import Literal

from ..dates import age_on
from ..events import Disposal, ReleasedOnLicence
from ..history import History

__all__ = ["AgeGroup", "IndexKind", "age_group", "index_candidates", "latest_recorded"]

IndexKind = Literal["caution", "court_non_custodial", "release_from_custody"]
AgeGroup = Literal["adult", "juvenile", "unknown"]

_ABOUT_THE_RECORD = operator.attrgetter("ABOUT_THE_RECORD")
_RECORDED_AT = operator.attrgetter("recorded_at")


def index_candidates(history: History) -> list[tuple[dt.date, int, IndexKind, str]]:
    """Every event that can be an index event: ``(date, rank on the day, kind, event_id)``.

    On one day a caution (rank 0) comes before a court sentence (1), and both before a
    release (2).
    """
    candidates: list[tuple[dt.date, int, IndexKind, str]] = []
    for caution in history.cautions:
        candidates.append((caution.date, 0, "caution", caution.event_id))
    for sentence in history.sentences:
        if sentence.disposal is not Disposal.IMMEDIATE_CUSTODY:
            candidates.append((sentence.date, 1, "court_non_custodial", sentence.event_id))
    for release in history.latest(ReleasedOnLicence, "licence_id"):
        candidates.append((release.date, 2, "release_from_custody", release.event_id))
    return candidates


def age_group(date_of_birth: dt.date | None, day: dt.date) -> AgeGroup:
    """Adult (18+) or juvenile (10-17) on ``day``; unknown without a date of birth."""
    if date_of_birth is None:
        return "unknown"
    age = age_on(date_of_birth, day)
    if age >= 18:
        return "adult"
    return "juvenile" if age >= 10 else "unknown"


def latest_recorded(history: History) -> dt.datetime | None:
    """The latest transaction time the offender's stream holds (retracted events included).

    Link decisions about the record do not count: a linkage run
    today does not make an old extract reach today.
    """
    held = itertools.chain(history.in_transaction_order, history.retracted, history.retractions)
    moments = map(_RECORDED_AT, itertools.filterfalse(_ABOUT_THE_RECORD, held))
    return max(filter(None, moments), default=None)  # one pass in C: events by the million
