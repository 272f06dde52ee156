"""The timeline picture as inline SVG, drawn by the very code that draws the PNG.

:func:`~offender_journey.plot.plot_timeline` draws on axes of a figure that matplotlib's
``svg`` backend writes out, so the page and ``timeline --png`` never disagree. The SVG
gets a ``<title>`` and a ``<desc>`` (its text alternative), ``role="img"``, and text
kept as text (no glyph outlines, no font to fetch).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import attrs

from ..errors import MissingExtraError
from ..history import History, Window

__all__ = ["Picture", "timeline_svg"]

#: Inches: wide enough for the legend beside the lanes, short enough for an A4 page.
SIZE = (11.0, 5.0)

_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_SIZE_ATTRIBUTES = re.compile(r'\s(?:width|height)="[^"]*"')
#: An element id, and the two ways matplotlib's SVG refers to one.
_IDS = re.compile(r'(\bid="|\bhref="#|url\(#)')
_ID = re.compile(r'\bid="([^"]*)"')


@attrs.frozen
class Picture:
    """An SVG ready to inline, and what it shows."""

    #: The ``<svg>`` element as matplotlib wrote it (XML prologue removed).
    svg: str
    #: Unique in the page: the prefix of every id in the picture (``{ident}-{gid}``).
    ident: str
    #: What the picture is called (its heading on the picture, and its ``<title>``).
    title: str
    #: The lanes as labelled on the picture, top to bottom.
    lanes: tuple[str, ...]
    #: The first day on the axis.
    first: dt.date
    #: The day after the last day on the axis (the axis shows the last day whole).
    end: dt.date

    def element(self, description: str) -> Any:
        """The ``<svg>`` to inline (``Markup``): sized by the page, named and described."""
        # optional extra: markupsafe (the report extra)
        from markupsafe import Markup, escape

        opening, rest = self.svg.split(">", 1)
        opening = _SIZE_ATTRIBUTES.sub("", opening)
        ident = self.ident
        named = (
            f'{opening} class="timeline" role="img" '
            f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc">'
            f'<title id="{ident}-title">{escape(self.title)}</title>'
            f'<desc id="{ident}-desc">{escape(description)}</desc>'
        )
        return Markup(named + rest)  # matplotlib's own escaped SVG, and our escaped words


def timeline_svg(history: History, window: Window, *, ident: str, title: str) -> Picture:
    """Draw ``history`` in ``window`` as SVG, titled ``title``.

    ``ident`` prefixes every element id of the picture, so ids stay unique in a page that
    holds one picture per person (an artist's ``gid``, such as ``flags:on_bail``, becomes
    the id ``{ident}-flags:on_bail``); it also seeds matplotlib's own ids, so the output is
    the same from run to run.
    """
    try:
        # optional extra: matplotlib (the plot extra)
        import matplotlib
        from matplotlib.dates import num2date
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtraError("the report's timeline", "report", "matplotlib") from None
    # optional extra: the picture needs matplotlib (the plot extra)
    from ..plot import plot_timeline

    figure = Figure(figsize=SIZE, layout="constrained")
    ax = plot_timeline(history, window, ax=figure.add_subplot(), title=title)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": ident}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    lanes = tuple(label.get_text() for label in ax.get_yticklabels())
    first, end = (num2date(x).date() for x in ax.get_xlim())  # type: ignore[no-untyped-call]
    svg = _unique_ids(_IDS.sub(rf"\g<1>{ident}-", _PROLOGUE.sub("", buffer.getvalue(), count=1)))
    return Picture(svg, ident, title, lanes, first, end)


def _unique_ids(svg: str) -> str:
    """The SVG with a repeated id (a ``gid`` on several artists) numbered ``~2``, ``~3``...

    The first keeps its id; only gids repeat, and nothing refers to a gid.
    """
    seen: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match[1]
        seen[name] = seen.get(name, 0) + 1
        return match[0] if seen[name] == 1 else f'id="{name}~{seen[name]}"'

    return _ID.sub(number, svg)
