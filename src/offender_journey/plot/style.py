"""What every picture shares: the palette, type sizes, the caption, the date axis, save().

The colours are the Government Analysis Function's categorical palette, in its order:
neighbouring colours differ by at least 3:1 in contrast, so categories drawn next to each
other stay apart for readers with low colour vision. Colour is never the only signal: each
category also has its own marker, hatch, line style or label. matplotlib is imported
only when a picture is drawn (the ``plot`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import MissingExtraError, PlotError

__all__ = [
    "GRID",
    "HATCHES",
    "INK",
    "LINESTYLES",
    "MARKERS",
    "MUTED",
    "PALETTE",
    "SIZE",
    "axes",
    "caption",
    "date_axis",
    "output_format",
    "percent_formatter",
    "pyplot",
    "save",
    "subtitle",
]

#: The categorical palette: dark blue, turquoise, dark pink, orange, dark grey, light purple.
PALETTE: tuple[str, ...] = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
#: Text and event marks.
INK = "#0B0C0C"
#: Secondary text (counts along an edge, notes).
MUTED = "#505A5F"
#: Grid lines and lane separators.
GRID = "#D8D8D8"
#: A second signal for each palette colour, in the same order.
MARKERS: tuple[str, ...] = ("o", "D", "s", "^", "v", "P")
HATCHES: tuple[str, ...] = ("", "//", "..", "xx", "\\\\", "++")
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)))

#: Type sizes in points: titles, body text (labels, legends), notes and captions.
SIZE = {"title": 13.0, "body": 10.0, "note": 8.5}


def pyplot() -> Any:
    """``matplotlib.pyplot``, or an error naming the extra to install."""
    try:
        # the plot extra (matplotlib)
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtraError("pictures", "plot", "matplotlib") from None
    return plt


def axes(ax: Any, size: tuple[float, float]) -> Any:
    """``ax``, or the axes of a new figure of ``size`` inches when ``ax`` is ``None``."""
    if ax is not None:
        return ax
    _, ax = pyplot().subplots(figsize=size, layout="constrained")
    return ax


def caption(ax: Any, text: str, *, gid: str = "caption") -> Any:
    """``text`` under the axes, left-aligned, below the x-axis's labels whatever their size."""

    def under_the_axis(renderer: Any) -> Any:
        return ax.xaxis.get_tightbbox(renderer) or ax.get_window_extent(renderer)

    return _note(ax, text, ("axes fraction", under_the_axis), below=True, colour=INK, gid=gid)


def subtitle(ax: Any, text: str, *, gid: str = "subtitle") -> Any:
    """``text`` in small type just above the axes, under a left title with room for it
    (``pad=SIZE["note"] + 8``), left-aligned so a long title and it never collide."""
    return _note(ax, text, "axes fraction", below=False, colour=MUTED, gid=gid)


def _note(ax: Any, text: str, where: Any, *, below: bool, colour: str, gid: str) -> Any:
    """Small left-aligned text at the left edge of the axes, under or over ``where``."""
    return ax.annotate(
        text,
        (0.0, 0.0 if below else 1.0),
        xycoords=where,
        xytext=(0, -6 if below else 4),
        textcoords="offset points",
        va="top" if below else "bottom",
        ha="left",
        fontsize=SIZE["note"],
        color=colour,
        gid=gid,
    )


def date_axis(ax: Any) -> None:
    """Date ticks that fit the axes' width, at least ¾ inch apart, in short words.

    The step (a day, a week, half a month, a month, a quarter, half a year, a year …) is
    chosen when the picture is drawn, from the width the axes have then (after the
    layout), so a narrow picture of a short window does not print its dates over each
    other. Labels say only what changes ("Mar", "15", "2014"); the year or month they
    belong to is written once, at the axis's end.
    """
    # the plot extra (matplotlib)
    import matplotlib.dates
    from matplotlib.ticker import Locator

    dates: Any = matplotlib.dates  # partly untyped
    steps: tuple[tuple[int, Any], ...] = (  # (days between ticks, the ticks)
        (1, dates.DayLocator()),
        (2, dates.DayLocator(interval=2)),
        (7, dates.WeekdayLocator(dates.MO)),
        (15, dates.DayLocator(bymonthday=(1, 15))),
        (31, dates.MonthLocator()),
        (92, dates.MonthLocator(bymonth=(1, 4, 7, 10))),
        (184, dates.MonthLocator(bymonth=(1, 7))),
        (366, dates.YearLocator()),
        (731, dates.YearLocator(2)),
        (1827, dates.YearLocator(5)),
        (3653, dates.YearLocator(10)),
    )

    class FittingLocator(Locator):
        def _chosen(self, vmin: float, vmax: float) -> Any:
            days = max(abs(vmax - vmin), 1.0)  # matplotlib's date numbers count days
            inches = ax.figure.get_figwidth() * ax.get_position().width
            fitting = [loc for step, loc in steps if step * inches / days >= 0.75]
            chosen = fitting[0] if fitting else dates.YearLocator(50)
            chosen.set_axis(self.axis)
            return chosen

        def __call__(self) -> Any:
            return self._chosen(*ax.xaxis.get_view_interval())()

        def tick_values(self, vmin: float, vmax: float) -> Any:
            chosen = self._chosen(vmin, vmax)
            return chosen.tick_values(dates.num2date(vmin), dates.num2date(vmax))

    locator = FittingLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))


def percent_formatter() -> Any:
    """Tick labels of shares (0 to 1) as whole per cent."""
    # the plot extra (matplotlib)
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def output_format(path: str | os.PathLike[str]) -> str:
    """The picture format ``path``'s suffix names (``png`` without one).

    Raises:
        PlotError: matplotlib cannot write that format.
    """
    # the plot extra (matplotlib)
    from matplotlib.backend_bases import FigureCanvasBase

    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lstrip(".").lower() or "png"
    known = FigureCanvasBase.get_supported_filetypes()
    if suffix not in known:
        shown = ", ".join(f".{s}" for s in ("png", "svg", "pdf", "jpg", "webp", "tiff", "eps"))
        raise PlotError(f"cannot draw into {name!r}: a picture file ends in {shown}, not .{suffix}")
    return suffix


def save(ax: Any, path: str | os.PathLike[str], *, dpi: int = 130) -> None:
    """Write the figure of ``ax`` to ``path``, in the format its suffix names (PNG without one).

    ``.svg`` is written by matplotlib's SVG backend, keeping every artist's ``gid`` as its
    element's ``id``, and without a date, so the same picture gives the same file. The file
    is readable by its owner only (mode 0600): pictures of journeys are offender data.

    Raises:
        PlotError: an unknown format, or a folder that does not exist or cannot be written.
    """
    figure = _figure(ax)
    suffix = output_format(path)
    name = os.fspath(path)
    try:
        descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise PlotError(f"cannot write {name!r}: {exc.strerror}") from None
    os.fchmod(descriptor, 0o600)  # also when the file was already there
    plt = pyplot()
    metadata = {"Date": None} if suffix in ("svg", "svgz", "pdf") else None
    with plt.rc_context({"svg.hashsalt": "offender-journey"}), os.fdopen(descriptor, "wb") as out:
        figure.savefig(out, dpi=dpi, format=suffix, metadata=metadata)
    plt.close(figure)


def _figure(ax: Any) -> Any:
    """The figure of an axes (or of the first of several)."""
    if isinstance(ax, Sequence) or hasattr(ax, "flat"):
        ax = next(iter(getattr(ax, "flat", ax)))
    return ax.figure
