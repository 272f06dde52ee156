"""Pictures of journeys and cohorts (the ``plot`` extra: matplotlib).

Every function takes ``ax=None`` (a new figure when not given) and returns the axes,
so pictures compose in notebooks and nothing pops up on its own; matplotlib is imported
only when a picture is drawn, and its absence is reported naming the ``plot`` extra.
One module draws each picture; :mod:`.style` holds what they share (the Government
Analysis Function's colours, type sizes, the caption under a picture, :func:`save`).

Artists carry a ``gid`` naming what they show, which the tests read, and which
``save(ax, "x.svg")`` writes as the ``id`` of the SVG element, so a browser test can
check what a picture draws. The timeline's ids are stable:

- ``lane:arrests``, ``lane:charges``, ``lane:court_appearances``, ``lane:convictions``,
  ``lane:cautions``, ``lane:sentences``: the events of each lane (``lane:charges:more:N``:
  the count of a stack too tall to draw);
- ``lane:court_cases``: the court cases (bars, with ``lane:court_cases:appearances``), or,
  counted by month, ``lane:court_cases`` and ``lane:court_appearances`` as columns, with
  ``count:court_cases:YYYY-MM`` and ``count:court_appearances:YYYY-MM`` for the numbers;
- ``flags:on_bail``, ``flags:on_licence``, ``flags:suspended_sentence``,
  ``flags:community_order``: offences committed in each kind of episode;
- ``band:KIND`` for each kind of episode (``band:on_bail``, ``band:in_custody`` …), its
  height the number running at once, ``count:KIND:N`` where two or more overlap;
  ``open:KIND`` and ``open_end:KIND`` for episodes still open at the as-of date;
- ``caption``: the window's summary under the picture.

The other pictures: ``panel:arrest_to_conviction`` and ``panel:offence_to_arrest`` (the
two axes of days by occasion, each with ``line:``, ``median:`` and ``iqr:`` of its
measure); ``line:survival:LABEL``, ``censored:LABEL``, ``band:survival:LABEL``;
``line:lorenz``, ``top10:point``, ``headline``; ``iom:0`` to ``iom:3``; ``bar:PART``.
"""

from __future__ import annotations

from .conversion import plot_conversion
from .cost import plot_cost_concentration, plot_lorenz
from .iom import IOM_GROUPS as IOM_GROUPS
from .iom import plot_iom_cohort
from .occasions import plot_days_by_occasion
from .reoffending import plot_reoffending, plot_reoffending_survival, plot_survival, survival_curve
from .style import save
from .timeline import BANDS as BANDS
from .timeline import FLAG_MARKS as FLAG_MARKS
from .timeline import LANES as LANES
from .timeline import plot_timeline

__all__ = [
    "plot_conversion",
    "plot_cost_concentration",
    "plot_days_by_occasion",
    "plot_iom_cohort",
    "plot_lorenz",
    "plot_reoffending",
    "plot_reoffending_survival",
    "plot_survival",
    "plot_timeline",
    "save",
    "survival_curve",
]
