"""Views of offenders' journeys, each a fold over one offender's history.

See :mod:`offender_journey.projections.base` for the protocol.
"""

from .base import ALL_TIME, History, Journey, Projection, Result, Window, as_of_date, fold
from .conversion import Conversion, ConversionProjection, conversion
from .occasions import DaysByOccasion, DaysByOccasionProjection, Measure, days_by_occasion
from .quality import Quality, QualityProjection, quality
from .timeline import Episode, EpisodeKind, Episodes, Flag, Timeline, build_timeline

__all__ = [
    "ALL_TIME",
    "Conversion",
    "ConversionProjection",
    "DaysByOccasion",
    "DaysByOccasionProjection",
    "Episode",
    "EpisodeKind",
    "Episodes",
    "Flag",
    "History",
    "Journey",
    "Measure",
    "Projection",
    "Quality",
    "QualityProjection",
    "Result",
    "Timeline",
    "Window",
    "as_of_date",
    "build_timeline",
    "conversion",
    "days_by_occasion",
    "fold",
    "quality",
]
