"""Pictures of journeys and cohorts (the ``plot`` extra: matplotlib).

Every function takes ``ax=None`` (a new figure when not given) and returns the axes,
so pictures compose in notebooks and nothing pops up on its own. Artists carry a
``gid`` naming what they show (``lane:charges``, ``band:on_bail``, ``stars``,
``window``, ``caption`` …), which is how the tests check a picture is drawn from
the right data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .errors import MissingExtraError
from .events import Arrest, Caution, Charge, Conviction, CourtAppearance, Sentence
from .projections.base import ALL_TIME, History, Window
from .projections.conversion import Conversion
from .projections.cost import CostReport
from .projections.occasions import DaysByOccasion
from .projections.reoffending import Reoffending
from .projections.timeline import EpisodeKind, build_timeline

__all__ = [
    "plot_conversion",
    "plot_days_by_occasion",
    "plot_lorenz",
    "plot_reoffending",
    "plot_timeline",
    "save",
]

#: Event lanes of the timeline picture, top to bottom, as in the IDIOM case study.
LANES: tuple[tuple[str, type], ...] = (
    ("arrests", Arrest),
    ("charges", Charge),
    ("court appearances", CourtAppearance),
    ("convictions", Conviction),
    ("cautions", Caution),
    ("sentences", Sentence),
)

#: Episode bands below the lanes, with their colours.
BANDS: tuple[tuple[EpisodeKind, str], ...] = (
    (EpisodeKind.ON_BAIL, "#f4a261"),
    (EpisodeKind.REMANDED, "#9d4edd"),
    (EpisodeKind.IN_CUSTODY, "#264653"),
    (EpisodeKind.ON_LICENCE, "#2a9d8f"),
    (EpisodeKind.SUSPENDED_SENTENCE, "#e76f51"),
    (EpisodeKind.COMMUNITY_ORDER, "#e9c46a"),
    (EpisodeKind.WARRANT_OUTSTANDING, "#6c757d"),
)


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtraError("pictures", "plot", "matplotlib") from None
    return plt


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=size, layout="constrained")
    return ax


def save(ax: Any, path: str, *, dpi: int = 130) -> None:
    """Write the figure of ``ax`` to a PNG (or any format matplotlib knows by suffix)."""
    ax.figure.savefig(path, dpi=dpi)
    _pyplot().close(ax.figure)


def plot_timeline(history: History, window: Window = ALL_TIME, *, ax: Any = None) -> Any:
    """The IDIOM-style offender timeline: one lane per kind of event, episodes as bands.

    Offences committed on bail, on licence or under a suspended sentence or community
    order are starred on the charges lane (cautions on theirs) at their offence date;
    the window is shaded and its summary is the caption.
    """
    from matplotlib.dates import date2num

    ax = _axes(ax, (13, 6))
    whole = build_timeline(history, ALL_TIME, as_of=history.as_of)
    inside = build_timeline(history, window, as_of=history.as_of)
    rows = len(LANES) + len(BANDS)
    labels: list[str] = []
    for i, (label, kind) in enumerate(LANES):
        y = rows - i
        days = [e.date for e in whole.events if isinstance(e, kind)]
        ax.plot(
            days,
            [y] * len(days),
            linestyle="",
            marker="|",
            markersize=14,
            markeredgewidth=1.5,
            color="#1d3557",
            gid=f"lane:{label}",
        )
        labels.append(label)
    for j, (band, colour) in enumerate(BANDS):
        y = rows - len(LANES) - j
        spans = [
            (date2num(e.start), max((e.end - e.start).days, 1))  # type: ignore[no-untyped-call]
            for e in whole.episodes
            if e.kind is band
        ]
        ax.broken_barh(
            spans, (y - 0.35, 0.7), facecolors=colour, alpha=0.75, gid=f"band:{band.value}"
        )
        labels.append(band.value.replace("_", " "))
    lane_of = {"charge": rows - 1, "caution": rows - 4}
    stars = [(f.offence_date, lane_of.get(f.offence_type, rows - 1)) for f in whole.flags]
    ax.plot(
        [d for d, _ in stars],
        [y for _, y in stars],
        linestyle="",
        marker="*",
        markersize=13,
        color="#d62828",
        markeredgecolor="black",
        markeredgewidth=0.5,
        gid="stars",
        label="offence committed on bail / licence / order",
    )
    if window != ALL_TIME:
        first = window.start or min((e.date for e in whole.events), default=whole.open_end)
        last = window.end or max((e.date for e in whole.events), default=whole.open_end)
        ax.axvspan(
            first, last + dt.timedelta(days=1), color="#a8dadc", alpha=0.35, zorder=0, gid="window"
        )
    ax.set_yticks(range(rows, 0, -1), labels)
    ax.set_ylim(0.3, rows + 0.7)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Offender timeline: {history.offender_id}")
    if stars:
        ax.legend(loc="upper left", fontsize="small")
    ax.text(
        0.0,
        -0.1,
        _caption(inside, window),
        transform=ax.transAxes,
        va="top",
        fontsize="small",
        family="monospace",
        gid="caption",
    )
    return ax


def _caption(timeline: Any, window: Window) -> str:
    before, within = timeline.summary.before, timeline.summary.within
    start = window.start.isoformat() if window.start else "the start"
    end = window.end.isoformat() if window.end else "now"
    conversion = within.conversion
    rate = "n/a" if conversion.rate is None else f"{100 * conversion.rate:.1f} %"
    return (
        f"Before {start}: {before.arrests} arrests, {before.charges} charges, "
        f"{before.bail_grants} bail grants.\n{start} to {end}: {within.charges} charges, "
        f"{within.court_cases} court cases, {within.convictions} convictions, "
        f"{within.cautions} cautions; conversion {conversion.convicted}/{conversion.charges} "
        f"= {rate}."
    )


def plot_days_by_occasion(days: DaysByOccasion, *, ax: Any = None) -> Any:
    """Mean days from arrest to conviction, and from offence to arrest, by sentencing occasion.

    The published pattern: the first line rises with the occasion number, the second stays
    flat. The number of charges behind each point is shown under the axis.
    """
    ax = _axes(ax, (10, 5))
    occasions = days.occasions
    a2c = [days.row(k)[0] for k in occasions]
    o2a = [days.row(k)[1] for k in occasions]
    ax.plot(
        occasions,
        [m.mean for m in a2c],
        marker="o",
        color="#e63946",
        label="arrest to conviction (mean days)",
        gid="line:arrest_to_conviction",
    )
    ax.plot(
        occasions,
        [m.mean for m in o2a],
        marker="s",
        color="#457b9d",
        label="offence to arrest (mean days)",
        gid="line:offence_to_arrest",
    )
    ax.set_xlabel("sentencing occasion")
    ax.set_ylabel("days")
    ax.set_title("Days from arrest to conviction by sentencing occasion")
    ax.grid(alpha=0.3)
    ax.legend()
    counts = ax.twinx()
    counts.bar(occasions, [m.n for m in a2c], alpha=0.15, color="grey", gid="counts")
    counts.set_ylabel("charges (n)")
    counts.set_zorder(ax.get_zorder() - 1)
    ax.patch.set_visible(False)
    return ax


def plot_conversion(conversions: Conversion | Mapping[str, Conversion], *, ax: Any = None) -> Any:
    """Charges by final outcome (convicted, not convicted, pending): a bar per group."""
    ax = _axes(ax, (8, 4.5))
    items = {"all": conversions} if isinstance(conversions, Conversion) else dict(conversions)
    names = list(items)
    bottom = [0] * len(names)
    for part, colour in (
        ("convicted", "#2a9d8f"),
        ("not_convicted", "#e76f51"),
        ("pending", "#adb5bd"),
    ):
        values = [getattr(items[n], part) for n in names]
        ax.bar(
            names,
            values,
            bottom=bottom,
            color=colour,
            label=part.replace("_", " "),
            gid=f"bar:{part}",
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, name in enumerate(names):
        rate = items[name].rate
        if rate is not None:
            ax.annotate(f"{100 * rate:.0f} %", (x, bottom[x]), ha="center", va="bottom")
    ax.set_ylabel("charges")
    ax.set_title("Charge-to-conviction conversion")
    ax.legend()
    return ax


def plot_reoffending(periods: Mapping[str, Reoffending], *, ax: Any = None) -> Any:
    """Binary proven-reoffending rate by cohort period, with cohort sizes."""
    ax = _axes(ax, (8, 4.5))
    names = list(periods)
    rates = [100 * (periods[n].total.binary_rate or 0.0) for n in names]
    bars = ax.bar(names, rates, color="#457b9d", gid="bar:binary_rate")
    for bar, name in zip(bars, names, strict=True):
        ax.annotate(
            f"n={periods[name].total.cohort}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    ax.set_ylabel("reoffenders (% of cohort)")
    ax.set_title("Proven reoffending by cohort period")
    return ax


def plot_lorenz(cost: CostReport, *, ax: Any = None, proven: bool = False) -> Any:
    """Cost concentration: share of cost against share of offenders, costliest first."""
    ax = _axes(ax, (5.5, 5.5))
    points = [(0.0, 0.0), *cost.lorenz(20, proven=proven)]
    ax.plot(
        [p[0] for p in points],
        [p[1] for p in points],
        marker=".",
        color="#e63946",
        gid="line:lorenz",
    )
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", gid="line:equality")
    top = cost.top_share(0.1, proven=proven)
    if top is not None:
        ax.annotate(
            f"top 10 %: {100 * top:.0f} % of cost",
            (0.1, top),
            xytext=(0.3, top - 0.1),
            arrowprops={"arrowstyle": "->"},
        )
    ax.set_xlabel("share of offenders (costliest first)")
    ax.set_ylabel("share of estimated cost")
    ax.set_title("Concentration of the cost of crime")
    return ax
