"""Days from arrest to conviction, and from offence to arrest, by sentencing occasion."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ..history import ALL_TIME, Window, as_of_date
from ..tables import plural
from ..views.occasions import MIN_N, DaysByOccasion
from .style import GRID, MARKERS, MUTED, PALETTE, SIZE, caption, pyplot

__all__ = ["MEASURES", "plot_days_by_occasion"]

#: The two measures, top panel first: name, words, colour, marker.
MEASURES: tuple[tuple[str, str, str, str], ...] = (
    ("arrest_to_conviction", "Days from arrest to conviction", PALETTE[0], MARKERS[0]),
    ("offence_to_arrest", "Days from offence to arrest", PALETTE[1], MARKERS[1]),
)


def _panels(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    """Two panels sharing the x-axis: new ones, or ``ax``'s place split in two."""
    ratios = (3, 2)
    if ax is None:
        _, (top, bottom) = pyplot().subplots(
            2, 1, sharex=True, figsize=size, layout="constrained", height_ratios=ratios
        )
        return top, bottom
    spec = ax.get_subplotspec()
    if spec is not None:  # a grid's cell: split it, so a layout engine places both
        inner = spec.subgridspec(2, 1, height_ratios=ratios, hspace=0.08)
        ax.set_subplotspec(inner[0])
        return ax, ax.figure.add_subplot(inner[1], sharex=ax)
    x, y, width, height = ax.get_position().bounds  # axes placed by hand: split the box
    lower = height * ratios[1] / sum(ratios)
    ax.set_position([x, y + lower + 0.06 * height, width, height - lower - 0.06 * height])
    return ax, ax.figure.add_axes((x, y, width, lower), sharex=ax)


def plot_days_by_occasion(
    days: DaysByOccasion,
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    ax: Any = None,
    size: tuple[float, float] = (11, 7),
    title: str | None = None,
    min_n: int = MIN_N,
) -> Any:
    """Days from arrest to conviction (top panel) and from offence to arrest (bottom
    panel), by sentencing occasion.

    The published pattern: the first rises with the occasion number, the second stays
    flat. Each measure is drawn as its mean (solid line), its median (dashed line, open
    marks) and its interquartile range (shaded), in a panel of its own whose axis fits
    its data. The charges measured on each occasion (``n``) are written along the top.
    Occasions with fewer than ``min_n`` charges are left out (the caption says how
    many). The subtitle gives the period and the as-of date.

    Returns the top panel's axes; the bottom panel shares its x-axis. Given ``ax``, its
    place in the figure is split into the two panels.
    """
    top, bottom = _panels(ax, size)
    occasions = days.shown(min_n)  # the text table's rule too
    dropped = len(days.occasions) - len(occasions)
    rows = [days.row(k) for k in occasions]
    quartiles = [days.quartiles(k) for k in occasions]
    for i, (panel, (name, words, colour, marker)) in enumerate(
        zip((top, bottom), MEASURES, strict=True)
    ):
        measures = [row[i] for row in rows]
        low = [math.nan if q[i][0] is None else q[i][0] for q in quartiles]
        high = [math.nan if q[i][1] is None else q[i][1] for q in quartiles]
        panel.set_gid(f"panel:{name}")
        panel.fill_between(
            occasions,
            low,
            high,
            color=colour,
            alpha=0.2,
            linewidth=0,
            gid=f"iqr:{name}",
            label="interquartile range",
        )
        panel.plot(
            occasions,
            [m.mean for m in measures],
            marker=marker,
            markersize=5,
            color=colour,
            label="mean",
            gid=f"line:{name}",
        )
        panel.plot(
            occasions,
            [m.median for m in measures],
            linestyle="--",
            marker=marker,
            markersize=5,
            markerfacecolor="white",
            color=colour,
            label="median",
            gid=f"median:{name}",
        )
        values = [v for v in (*high, *(m.mean for m in measures)) if v is not None]
        peak = max((v for v in values if not math.isnan(v)), default=1.0)
        panel.set_ylim(0, peak * 1.08 or 1)
        panel.set_ylabel("days", fontsize=SIZE["body"])
        panel.set_title(
            words, loc="left", fontsize=SIZE["body"], fontweight="bold", pad=28 if i == 0 else 6
        )
        panel.grid(color=GRID, linewidth=0.6)
        panel.set_axisbelow(True)
        panel.legend(loc="upper left", fontsize=SIZE["note"], frameon=False, ncols=3)
    for k, row in zip(occasions, rows, strict=True):  # the n along the top edge
        top.annotate(
            str(row[0].n),
            (k, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=SIZE["note"] - 2,
            rotation=90,
            color=MUTED,
            gid=f"n_label:{k}",
        )
    top.annotate(
        "n =",
        (0, 1.0),
        xycoords="axes fraction",
        xytext=(-4, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=SIZE["note"] - 2,
        color=MUTED,
    )
    top.tick_params(labelbottom=False)
    bottom.set_xlabel("sentencing occasion (1 = first sentence)", fontsize=SIZE["body"])
    figure = top.figure
    figure.suptitle(
        title
        or "Days from arrest to conviction, and from offence to arrest, by sentencing occasion",
        x=0.01,
        ha="left",
        fontsize=SIZE["title"],
    )
    period = (
        f"sentenced {window.start or 'from the first record'} to {window.end or 'the last'}"
        if window != ALL_TIME
        else "all sentencing occasions"
    )
    stamp = f"; as of {as_of_date(as_of).isoformat()}" if as_of is not None else ""
    top.set_title(period + stamp, loc="right", fontsize=SIZE["note"], pad=28, gid="subtitle")
    measured = "n: the convicted charges measured on each occasion"
    left_out = f"; {plural(dropped, 'occasion')} with n < {min_n} left out" if dropped else ""
    caption(bottom, measured + left_out)
    return top
