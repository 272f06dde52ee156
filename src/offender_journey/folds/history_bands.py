"""Criminal history: previous sanctions and convictions, and the published bands.

Counts are of sanction occasions (see :mod:`.offending`): a day with one or more
convictions is one previous conviction; each caution is one previous caution.
"Previous" means strictly before the day asked about.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> for year in range(2000, 2016):
    ...     _ = j.convict(f"{year}-06-01", j.charge(f"{year}-05-01", "shoplifting"))
    >>> history = History.build("O1", j.events)
    >>> history_at(history, dt.date(2016, 3, 1)).previous_convictions
    16
"""

from __future__ import annotations

import datetime as dt

import attrs

from ..history import History
from .offending import previous, sanctions

__all__ = ["BANDS", "CriminalHistory", "band", "history_at"]

#: Published bands of previous sanctions: (lowest, highest or None, label).
BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 0, "0"),
    (1, 2, "1-2"),
    (3, 6, "3-6"),
    (7, 10, "7-10"),
    (11, 14, "11-14"),
    (15, None, "15+"),
)


def band(count: int) -> str:
    """The band a number of previous sanctions falls in.

    Examples:
        >>> band(0), band(2), band(15), band(40)
        ('0', '1-2', '15+', '15+')
    """
    for low, high, label in BANDS:
        if count >= low and (high is None or count <= high):
            return label
    raise ValueError(f"negative count {count}")


@attrs.frozen
class CriminalHistory:
    """An offender's record as it stood on a day (sanctions strictly before it)."""

    previous_convictions: int
    previous_cautions: int

    @property
    def previous_sanctions(self) -> int:
        return self.previous_convictions + self.previous_cautions


def history_at(history: History, day: dt.date) -> CriminalHistory:
    """Previous convictions and cautions before ``day``."""
    found = sanctions(history)
    return CriminalHistory(previous(found, day, "conviction"), previous(found, day, "caution"))
