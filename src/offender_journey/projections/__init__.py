"""Deprecated: the names once imported from here now live in the layers they belong to.

``offender_journey.projections`` mixed three things, now kept apart:
:mod:`offender_journey.history` (one offender's effective history, ``Window``),
:mod:`offender_journey.folds` (per-offender derivations), :mod:`offender_journey.views`
(what counts the fact tables) and :mod:`offender_journey.offender` (one offender's
numbers). Each name below still works from here, with a :class:`DeprecationWarning`
that says where it lives now and, for a projection class, its name as a view.
"""

from __future__ import annotations

import warnings
from importlib import import_module
from typing import Any

#: Each name users imported from here → the module that holds it now.
MOVED: dict[str, str] = {
    "ALL_TIME": "offender_journey.history",
    "History": "offender_journey.history",
    "Journey": "offender_journey.history",
    "Window": "offender_journey.history",
    "as_of_date": "offender_journey.history",
    "fold": "offender_journey.history",
    "Projection": "offender_journey.views.base",
    "Result": "offender_journey.views.base",
    "Conversion": "offender_journey.views.conversion",
    "ConversionProjection": "offender_journey.views.conversion",
    "DaysByOccasion": "offender_journey.views.occasions",
    "DaysByOccasionProjection": "offender_journey.views.occasions",
    "Measure": "offender_journey.views.occasions",
    "Quality": "offender_journey.views.quality",
    "QualityProjection": "offender_journey.views.quality",
    "CostProjection": "offender_journey.views.cost",
    "CostTable": "offender_journey.views.cost",
    "LONDON": "offender_journey.views.iom",
    "OffenceGroup": "offender_journey.views.ogrs3",
    "ogrs3_score": "offender_journey.views.ogrs3",
    "Episode": "offender_journey.folds.episodes",
    "EpisodeKind": "offender_journey.folds.episodes",
    "Episodes": "offender_journey.folds.episodes",
    "Flag": "offender_journey.folds.episodes",
    "Timeline": "offender_journey.timeline",
    "build_timeline": "offender_journey.timeline",
    "conversion": "offender_journey.offender",
    "days_by_occasion": "offender_journey.offender",
    "quality": "offender_journey.offender",
    "select": "offender_journey.offender",
}

#: The names that changed on the way: "projection" became "view".
RENAMED: dict[str, str] = {
    "Projection": "View",
    "ConversionProjection": "ConversionView",
    "DaysByOccasionProjection": "DaysByOccasionView",
    "QualityProjection": "QualityView",
    "CostProjection": "CostView",
}

__all__ = sorted(MOVED)


def __getattr__(name: str) -> Any:
    """The moved name, with a warning that says where to import it from now."""
    home = MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    new = RENAMED.get(name, name)
    warnings.warn(
        f"offender_journey.projections is deprecated: import {new} from {home}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(import_module(home), new)
