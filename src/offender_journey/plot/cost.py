"""Concentration of the cost of crime: a Lorenz-style curve, costliest offenders first."""

from __future__ import annotations

from typing import Any

from ..views.cost import CostReport
from .style import GRID, INK, PALETTE, SIZE, axes, caption, percent_formatter

__all__ = ["plot_cost_concentration", "plot_lorenz"]


def plot_lorenz(cost: CostReport, *, ax: Any = None, proven: bool = False) -> Any:
    """Cost concentration: the same picture as :func:`plot_cost_concentration`."""
    return plot_cost_concentration(cost, ax=ax, proven=proven)


def plot_cost_concentration(
    cost: CostReport,
    *,
    proven: bool = False,
    ax: Any = None,
    size: tuple[float, float] = (6.5, 6.5),
    title: str | None = None,
) -> Any:
    """Share of the estimated cost against share of offenders, costliest first.

    A Lorenz-style curve with the line of equal shares; the top 10 % of offenders is
    marked with its share of the cost. The headline says which share of offences could
    be priced: the rest have no unit cost and count for nothing here, so a reader must
    know it before reading the curve.
    """
    ax = axes(ax, size)
    points = [(0.0, 0.0), *cost.lorenz(min(max(len(cost.offenders), 1), 200), proven=proven)]
    ax.plot(
        [p[0] for p in points],
        [p[1] for p in points],
        color=PALETTE[0],
        linewidth=2,
        gid="line:lorenz",
        label="share of cost, costliest offenders first",
    )
    ax.plot(
        [0, 1],
        [0, 1],
        linestyle="--",
        color=PALETTE[4],
        linewidth=1,
        gid="line:equality",
        label="every offender costing the same",
    )
    top = cost.top_share(0.1, proven=proven)
    if top is not None:
        ax.plot([0.1, 0.1, 0.0], [0.0, top, top], linestyle=":", color=PALETTE[2], gid="top10")
        ax.plot([0.1], [top], marker="o", color=PALETTE[2], gid="top10:point")
        ax.annotate(
            f"top 10 % of offenders:\n{100 * top:.0f} % of the cost",
            (0.1, top),
            xytext=(0.25, max(top - 0.25, 0.1)),
            arrowprops={"arrowstyle": "->", "color": INK},
            fontsize=SIZE["body"],
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.set_xlabel("share of offenders (costliest first)", fontsize=SIZE["body"])
    ax.set_ylabel(
        "share of estimated cost" + (" (proven offences)" if proven else ""),
        fontsize=SIZE["body"],
    )
    unpriced = cost.unpriced_share
    priced = (
        "no offences to price"
        if unpriced is None
        else f"Priced offences only: {100 * (1 - unpriced):.0f} % of offences have a unit cost"
    )
    headline = ax.set_title(
        f"{title or 'Concentration of the cost of crime'}\n{priced}",
        loc="left",
        fontsize=SIZE["title"],
        linespacing=1.5,
    )
    headline.set_gid("headline")
    ax.grid(color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="center right", fontsize=SIZE["note"], frameon=False)
    caption(
        ax,
        f"{len(cost.offenders)} offenders; offences without a unit cost count for nothing.",
    )
    return ax
