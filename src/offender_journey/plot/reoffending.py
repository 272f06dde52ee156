"""Proven reoffending: rates by cohort period, and time to first reoffence (Kaplan-Meier)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..tables import plural
from ..views.reoffending import Reoffending, ReoffendingRows
from .style import GRID, LINESTYLES, PALETTE, SIZE, axes, percent_formatter

__all__ = [
    "plot_reoffending",
    "plot_reoffending_survival",
    "plot_survival",
    "survival_curve",
]


def plot_reoffending(periods: Mapping[str, Reoffending], *, ax: Any = None) -> Any:
    """Binary proven-reoffending rate by cohort period, with cohort sizes."""
    ax = axes(ax, (8, 4.5))
    names = list(periods)
    rates = [100 * (periods[n].total.binary_rate or 0.0) for n in names]
    bars = ax.bar(names, rates, color=PALETTE[0], gid="bar:binary_rate")
    for bar, name in zip(bars, names, strict=True):
        ax.annotate(
            f"{bar.get_height():.1f} %\n{plural(periods[name].total.cohort, 'person', 'people')}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=SIZE["note"],
        )
    ax.set_ylabel("reoffenders (% of cohort)", fontsize=SIZE["body"])
    ax.set_title("Proven reoffending by cohort period", loc="left", fontsize=SIZE["title"])
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    return ax


def survival_curve(
    durations: Sequence[float], observed: Sequence[bool]
) -> tuple[list[float], list[float], list[float] | None, list[float] | None]:
    """Kaplan-Meier estimate: times, survival, and its 95 % band (``None`` without lifelines).

    ``durations[i]`` is the days from subject *i*'s start to their event, or to the end
    of their follow-up when ``observed[i]`` is false (censored). The curve starts at
    (0, 1) and steps down at each event time. With the ``survival`` extra (lifelines)
    the estimate and its confidence band are lifelines'; without it, the same
    product-limit estimate is computed here, with no band.
    """
    if len(durations) != len(observed):
        raise ValueError("durations and observed must have the same length")
    if any(d < 0 for d in durations):
        raise ValueError("durations must not be negative")
    try:
        # the survival extra (lifelines)
        from lifelines import KaplanMeierFitter
    except ImportError:
        return (*_product_limit(durations, observed), None, None)
    fitter = KaplanMeierFitter().fit(list(durations), [bool(o) for o in observed])
    times = [float(t) for t in fitter.survival_function_.index]
    survival = [float(v) for v in fitter.survival_function_.iloc[:, 0]]
    band = fitter.confidence_interval_survival_function_
    low = [float(v) for v in band.iloc[:, 0]]
    high = [float(v) for v in band.iloc[:, 1]]
    if not times or times[0] != 0:
        times, survival, low, high = [0.0, *times], [1.0, *survival], [1.0, *low], [1.0, *high]
    return times, survival, low, high


def _product_limit(
    durations: Sequence[float], observed: Sequence[bool]
) -> tuple[list[float], list[float]]:
    """The plain product-limit estimate, at 0 and at every distinct duration."""
    times = sorted(set(durations) | {0})
    at_risk = len(durations)
    survival = 1.0
    out_t, out_s = [], []
    for t in times:
        events = sum(1 for d, o in zip(durations, observed, strict=True) if d == t and o)
        leaving = sum(1 for d in durations if d == t)
        if at_risk:
            survival *= 1 - events / at_risk
        out_t.append(float(t))
        out_s.append(survival)
        at_risk -= leaving
    return out_t, out_s


def plot_survival(
    durations: Sequence[float],
    observed: Sequence[bool],
    *,
    label: str = "all",
    ax: Any = None,
    size: tuple[float, float] = (8, 5),
    title: str | None = None,
    xlabel: str = "days",
    ylabel: str = "share without the event",
    event: tuple[str, str] = ("event", "events"),
) -> Any:
    """A Kaplan-Meier curve from ``(durations, observed)``; see :func:`survival_curve`.

    Censored subjects are ticked on the curve; the 95 % band is shaded when lifelines
    is installed. Call it again with the same ``ax`` to compare groups: each group takes
    the palette's next colour and line style. ``event`` names the event in the legend
    (singular, plural): "n = 300, 168 reoffences".
    """
    ax = axes(ax, size)
    times, survival, low, high = survival_curve(durations, observed)
    events = sum(1 for o in observed if o)
    k = sum(1 for line in ax.get_lines() if str(line.get_gid()).startswith("line:survival:"))
    colour = PALETTE[k % len(PALETTE)]
    ax.step(
        times,
        survival,
        where="post",
        linewidth=2,
        color=colour,
        linestyle=LINESTYLES[k % len(LINESTYLES)],
        gid=f"line:survival:{label}",
        label=f"{label} (n = {len(durations)}, {plural(events, *event)})",
    )
    if low is not None and high is not None:
        ax.fill_between(
            times,
            low,
            high,
            step="post",
            alpha=0.15,
            color=colour,
            linewidth=0,
            gid=f"band:survival:{label}",
            label="95 % confidence band" if k == 0 else "_",
        )
    censored = [d for d, o in zip(durations, observed, strict=True) if not o]
    if censored:
        level = [_step_value(times, survival, d) for d in censored]
        ax.plot(
            censored,
            level,
            linestyle="",
            marker="|",
            markersize=7,
            color=colour,
            gid=f"censored:{label}",
            label="followed no further (censored)" if k == 0 else "_",
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(percent_formatter())
    ax.set_xlabel(xlabel, fontsize=SIZE["body"])
    ax.set_ylabel(ylabel, fontsize=SIZE["body"])
    if title:
        ax.set_title(title, loc="left", fontsize=SIZE["title"])
    ax.grid(color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="lower left", fontsize=SIZE["note"], frameon=False)
    return ax


def _step_value(times: Sequence[float], values: Sequence[float], at: float) -> float:
    value = values[0]
    for t, v in zip(times, values, strict=True):
        if t > at:
            break
        value = v
    return value


def plot_reoffending_survival(
    rows: ReoffendingRows | Iterable[tuple[float, bool]],
    *,
    label: str = "cohort",
    ax: Any = None,
    size: tuple[float, float] = (8, 5),
    title: str | None = None,
) -> Any:
    """Time to first proven reoffence, as a Kaplan-Meier curve.

    ``rows`` is the cohort's :class:`~offender_journey.views.reoffending.ReoffendingRows`
    (``metrics.reoffending_rows``), or one ``(days, reoffended)`` pair per member: the
    days from their index date to the offence date of their first proven reoffence when
    ``reoffended`` is true, else the days of follow-up they had (censored).
    """
    if isinstance(rows, ReoffendingRows):
        table = rows.table()
        names = [c.name for c in table.columns]
        at, seen = names.index("duration"), names.index("observed")
        pairs = [(row[at], bool(row[seen])) for row in table.rows]
    else:
        pairs = list(rows)
    return plot_survival(
        [d for d, _ in pairs],
        [o for _, o in pairs],
        label=label,
        ax=ax,
        size=size,
        title=title or "Time to first proven reoffence",
        xlabel="days from the index date",
        ylabel="not yet proven to have reoffended",
        event=("reoffence", "reoffences"),
    )
