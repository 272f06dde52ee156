"""One offender's numbers: each view's definition applied to a single history.

A view counts fact rows; these functions derive one offender's rows from their
history (in a scratch database when the view counts in SQL) and ask the view, so the
number for one offender is computed by the very code that counts everyone. They sit
above the views, beside :mod:`offender_journey.metrics`, and suit notebooks, tests and
the timeline.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c = j.charge("2013-02-02", "shoplifting")
    >>> _ = j.convict("2013-01-01", c)
    >>> history = History.build("O1", j.events)
    >>> conversion(history).convicted
    1
    >>> quality(history).counts
    {'conviction_before_charge': 1}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from .facts.derive import derive
from .facts.scratch import scratch_of
from .folds.episodes import Oddity
from .folds.reoffending import IndexKind
from .history import ALL_TIME, History, Window
from .views.conversion import Conversion, ConversionView, conversion_in
from .views.history_bands import HistoryBands, HistoryBandsView, history_bands_of
from .views.iom import IOM_TABLES, IomRule, Selected, select_of
from .views.occasions import DaysByOccasion, DaysByOccasionView, days_in
from .views.ogrs3 import OGRS3_TABLES, RISK_TABLES, Ogrs3, RiskScore, ogrs3_of, risk_of
from .views.quality import Quality, QualityView, quality_in
from .views.reoffending import (
    Member,
    Reoffending,
    ReoffendingRows,
    ReoffendingView,
    data_end,
    latest_in,
    members_in,
    reoffending_in,
)

__all__ = [
    "conversion",
    "days_by_occasion",
    "history_bands",
    "index_event",
    "member",
    "oddities",
    "ogrs3_at",
    "quality",
    "reoffending",
    "reoffending_rows",
    "risk_at",
    "select",
]


def conversion(history: History, window: Window = ALL_TIME) -> Conversion:
    """One offender's conversion for charges dated in ``window``."""
    with scratch_of([history], ConversionView.tables) as scratch:
        return conversion_in(scratch.source, window)


def history_bands(history: History, window: Window = ALL_TIME) -> HistoryBands:
    """One offender's contribution to the window's breakdown."""
    return history_bands_of(derive(history, HistoryBandsView.tables), window)


def select(history: History, rule: IomRule, day: dt.date) -> Selected | RiskScore | str:
    """Apply ``rule`` on ``day`` to one offender's history.

    See :func:`~offender_journey.views.iom.select_of`.
    """
    return select_of(derive(history, IOM_TABLES), rule, day)


def days_by_occasion(history: History, window: Window = ALL_TIME) -> DaysByOccasion:
    """One offender's durations by sentencing occasion in ``window``."""
    with scratch_of([history], DaysByOccasionView.tables) as scratch:
        return days_in(scratch.source, window)


def ogrs3_at(history: History, day: dt.date) -> Ogrs3:
    """OGRS3 for the offender's latest sanction on or before ``day``.

    See :func:`~offender_journey.views.ogrs3.ogrs3_of`.
    """
    return ogrs3_of(derive(history, OGRS3_TABLES), day)


def risk_at(history: History, day: dt.date, *, prefer_assessed: bool = True) -> RiskScore | Ogrs3:
    """The offender's risk on ``day`` (see :func:`~offender_journey.views.ogrs3.risk_of`)."""
    return risk_of(derive(history, RISK_TABLES), day, prefer_assessed=prefer_assessed)


def oddities(history: History, window: Window = ALL_TIME) -> list[Oddity]:
    """Every oddity of one offender's history that counts on a day in ``window``."""
    rows = derive(history, QualityView.tables).quality_issues
    return [Oddity(r.code, r.event_id, r.day) for r in rows if window.contains(r.day)]


def quality(history: History, window: Window = ALL_TIME) -> Quality:
    """One offender's data-quality report for oddities counting on days in ``window``."""
    with scratch_of([history], QualityView.tables) as scratch:
        return quality_in(scratch.source, window)


def index_event(history: History, window: Window) -> tuple[dt.date, IndexKind] | None:
    """The earliest index event dated in the cohort period, if any."""
    found = member(history, window)
    return None if found is None else (found.index_date, found.index_kind)


def member(history: History, window: Window = ALL_TIME) -> Member | None:
    """The offender as a member of the cohort of ``window``, or ``None`` if not in it."""
    with scratch_of([history], ReoffendingView.tables) as scratch:
        found = members_in(scratch.source, window)
    return found[0] if found else None


def reoffending(history: History, window: Window = ALL_TIME) -> Reoffending:
    """One offender's contribution to the cohort of ``window`` (empty if not in it)."""
    with scratch_of([history], ReoffendingView.tables) as scratch:
        return reoffending_in(scratch.source, window)


def reoffending_rows(histories: Iterable[History], window: Window = ALL_TIME) -> ReoffendingRows:
    """Every cohort member of ``window`` as a row, in input order.

    See :class:`~offender_journey.views.reoffending.ReoffendingRows`.

    The histories' facts go to a temporary database (memory stays bounded); the
    members and the data's end are read back from it by the view's own SQL.
    """

    order: dict[str, int] = {}

    def numbered(items: Iterable[History]) -> Iterator[History]:
        for history in items:
            order.setdefault(history.offender_id, len(order))
            yield history

    with scratch_of(numbered(histories), ReoffendingView.tables) as scratch:
        members = members_in(scratch.source, window)
        latest = latest_in(scratch.source)
    members.sort(key=lambda m: order[m.offender_id])
    return ReoffendingRows(tuple(members), data_end(latest))
