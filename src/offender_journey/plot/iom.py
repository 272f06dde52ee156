"""IOM selection on one day: each offender's 2-year score against the rule's thresholds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..history import History
from ..offender import select
from ..tables import plural
from ..views.iom import LONDON, IomRule, Selected
from ..views.ogrs3 import percent as percent_of
from .style import GRID, INK, MARKERS, PALETTE, SIZE, axes, caption, percent_formatter

__all__ = ["IOM_GROUPS", "plot_iom_cohort"]

#: Colours of the IOM picture, by why someone is (or is not) selected; each row also has
#: its own marker and its words on the axis.
IOM_GROUPS: tuple[tuple[str, str], ...] = (
    ("selected: score at or above the threshold", PALETTE[0]),
    ("selected: lower score with recent qualifying offences", PALETTE[1]),
    ("not selected: lower score, no recent qualifying offence", PALETTE[2]),
    ("not selected: score below the lower threshold", PALETTE[3]),
)


def plot_iom_cohort(
    histories: Iterable[History],
    day: dt.date,
    rule: IomRule = LONDON,
    *,
    ax: Any = None,
    size: tuple[float, float] = (10, 5),
    title: str | None = None,
) -> Any:
    """IOM selection on ``day``: each offender's 2-year score against the rule's thresholds.

    One dot per scored offender, in a row (with its own colour and marker) per reason
    they are in or out; dashed lines mark the threshold and the lower threshold. The
    caption names the rule and counts the offenders with no score.
    """
    ax = axes(ax, size)
    groups: dict[str, list[float]] = {name: [] for name, _ in IOM_GROUPS}
    unscored = 0
    for history in histories:
        if not history.events:
            continue
        outcome = select(history, rule, day)
        if isinstance(outcome, Selected):
            name = IOM_GROUPS[0 if not outcome.recent else 1][0]
            groups[name].append(outcome.score_2y)
        elif isinstance(outcome, str):
            unscored += 1
        else:
            below = outcome.score_2y < rule.lower_threshold
            groups[IOM_GROUPS[3 if below else 2][0]].append(outcome.score_2y)
    rows = len(IOM_GROUPS)
    for i, (name, colour) in enumerate(IOM_GROUPS):
        scores = groups[name]
        y = rows - i
        jitter = [((k * 0.618034) % 1 - 0.5) * 0.5 for k in range(len(scores))]
        ax.plot(
            scores,
            [y + j for j in jitter],
            linestyle="",
            marker=MARKERS[i],
            markersize=4,
            alpha=0.8,
            color=colour,
            markeredgewidth=0,
            gid=f"iom:{i}",
            label=f"{name} ({len(scores)})",
        )
    for value, text in ((rule.threshold, "threshold"), (rule.lower_threshold, "lower threshold")):
        ax.axvline(value, linestyle="--", color=INK, linewidth=1, gid=f"rule:{text}")
        ax.annotate(
            f"{text} {100 * value:.0f} %",
            (value, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            va="top",
            fontsize=SIZE["note"],
        )
    low, high = percent_of(rule.lower_threshold), percent_of(rule.threshold)
    short = (
        f"selected:\nscore {high} % or more",
        f"selected:\n{low}-{high - 1} % and recent offence",
        f"not selected:\n{low}-{high - 1} %, no recent offence",
        f"not selected:\nbelow {low} %",
    )
    ax.set_yticks(
        range(rows, 0, -1),
        [f"{text} ({len(groups[n])})" for text, (n, _) in zip(short, IOM_GROUPS, strict=True)],
        fontsize=SIZE["body"],
    )
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(0.4, rows + 0.6)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(percent_formatter())
    ax.set_xlabel("2-year reoffending score", fontsize=SIZE["body"])
    chosen = len(groups[IOM_GROUPS[0][0]]) + len(groups[IOM_GROUPS[1][0]])
    considered = chosen + len(groups[IOM_GROUPS[2][0]]) + len(groups[IOM_GROUPS[3][0]])
    ax.set_title(
        title or f"IOM cohort on {day.isoformat()}: {chosen} of {considered} selected",
        loc="left",
        fontsize=SIZE["title"],
    )
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    note = f"; {plural(unscored, 'offender')} could not be scored" if unscored else ""
    caption(ax, f"Rule: {rule.name}{note}.", gid="subtitle")
    return ax
