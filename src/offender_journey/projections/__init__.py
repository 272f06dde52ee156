"""Views of offenders' journeys, each a fold over one offender's history.

See :mod:`offender_journey.projections.base` for the protocol.
"""

from .base import ALL_TIME, History, Journey, Projection, Result, Window, as_of_date, fold

__all__ = ["ALL_TIME", "History", "Journey", "Projection", "Result", "Window", "as_of_date", "fold"]
