"""Pictures of journeys and cohorts (the ``plot`` extra: matplotlib).

Every function takes ``ax=None`` (a new figure when not given) and returns the axes,
so pictures compose in notebooks and nothing pops up on its own. Artists carry a
``gid`` naming what they show (``lane:charges``, ``band:on_bail``, ``stars``,
``window``, ``caption`` …), which is how the tests check a picture is drawn from
the right data.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import MissingExtraError
from .events import Arrest, Caution, Charge, Conviction, CourtAppearance, Sentence
from .folds.episodes import Episode, EpisodeKind, Flag
from .history import ALL_TIME, History, Window, as_of_date
from .offender import select
from .timeline import Timeline, build_timeline
from .views.conversion import Conversion
from .views.cost import CostReport
from .views.iom import LONDON, IomRule, Selected
from .views.occasions import DaysByOccasion
from .views.ogrs3 import percent as percent_of
from .views.reoffending import Reoffending, ReoffendingRows

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

#: How an offence committed inside each flagging episode is marked: marker, colour, label.
FLAG_MARKS: dict[EpisodeKind, tuple[str, str, str]] = {
    EpisodeKind.ON_BAIL: ("o", "#f4a261", "offence on bail"),
    EpisodeKind.ON_LICENCE: ("D", "#2a9d8f", "offence on licence"),
    EpisodeKind.SUSPENDED_SENTENCE: ("*", "#d62828", "offence during a suspended sentence"),
    EpisodeKind.COMMUNITY_ORDER: ("s", "#e9c46a", "offence during a community order"),
}

_INK = "#1d3557"
#: Most marks stacked in one lane for events close together; more are counted in a label.
_STACK = 4


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


def save(ax: Any, path: str | os.PathLike[str], *, dpi: int = 130) -> None:
    """Write the figure of ``ax`` to a PNG (or any format matplotlib knows by suffix).

    The file is readable by its owner only (mode 0600): pictures of journeys are
    offender data.
    """
    suffix = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was already there
    with os.fdopen(descriptor, "wb") as handle:
        ax.figure.savefig(handle, dpi=dpi, format=suffix)
    _pyplot().close(ax.figure)


def _span(timeline: Timeline, window: Window, open_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """The days the picture shows: the window where given, else the data's own span.

    The data's span runs from its first event to its last event or episode end, and to
    the as-of date (``open_to``) when an episode is still open then; never to today.
    """
    days = [e.date for e in timeline.events] or [open_to or as_of_date(None)]
    limit = open_to or dt.date.max
    ends = [e.end for e in timeline.episodes if not e.open and e.end <= limit]
    if open_to is not None and any(e.open for e in timeline.episodes):
        ends.append(open_to)
    first = window.start or min(days)
    last = window.end or max([*days, *ends])
    return first, max(last, first)


def _stack(days: Sequence[dt.date], gap: int) -> list[tuple[dt.date, int, int]]:
    """(day, row, cluster size) for marks on one lane: days within ``gap`` days share a stack."""
    out: list[tuple[dt.date, int, int]] = []
    cluster: list[dt.date] = []

    def flush() -> None:
        out.extend((d, k, len(cluster)) for k, d in enumerate(cluster))

    for day in sorted(days):
        if cluster and (day - cluster[0]).days > gap:
            flush()
            cluster = []
        cluster.append(day)
    flush()
    return out


def _pack(spans: Sequence[tuple[dt.date, dt.date]]) -> list[int]:
    """A sub-row for each span so that spans in one sub-row do not overlap (first fit)."""
    row_ends: list[dt.date] = []
    rows = []
    for start, end in spans:
        for k, last in enumerate(row_ends):
            if start > last:
                row_ends[k] = end
                rows.append(k)
                break
        else:
            row_ends.append(end)
            rows.append(len(row_ends) - 1)
    return rows


def plot_timeline(
    history: History,
    window: Window = ALL_TIME,
    *,
    ax: Any = None,
    size: tuple[float, float] = (13, 7),
    title: str | None = None,
) -> Any:
    """The IDIOM-style offender timeline: a lane per kind of event, episodes as bands.

    The axis runs over ``window`` (or, where it is open, the data's own span). Only
    lanes with something in view are drawn. Court cases run from their first to their
    last appearance. Charges close together are stacked so each one shows. Offences
    committed on bail, on licence, during a suspended sentence or a community order
    get a mark of their own on the "flagged offences" lane, at their offence date.
    Episodes still open at the as-of date stop there with an arrow. The legend sits
    outside the axes; the window's summary is the caption.
    """
    from matplotlib.dates import date2num

    ax = _axes(ax, size)
    open_to = as_of_date(history.as_of) if history.as_of is not None else None
    whole = build_timeline(history, ALL_TIME, as_of=history.as_of)
    inside = build_timeline(history, window, as_of=history.as_of)
    first, last = _span(whole, window, open_to)
    if open_to is None:  # open episodes run to the end of the data, not to today
        open_to = last
    view = Window(first, last)
    gap = max(1, (last - first).days // 150)
    lanes: list[tuple[str, Any]] = []  # (label, draw(y)) top to bottom

    def ticks(label: str, kind: type) -> None:
        days = [e.date for e in whole.events if isinstance(e, kind) and view.contains(e.date)]
        if not days:
            return
        if kind is Charge:
            lanes.append((label, lambda y: _draw_stacked(ax, days, y, gap, f"lane:{label}")))
        else:
            lanes.append((label, lambda y: _draw_ticks(ax, days, y, f"lane:{label}")))

    for label, kind in LANES[:2]:
        ticks(label, kind)
    flags = [f for f in whole.flags if view.contains(f.offence_date)]
    if flags:
        lanes.append(("flagged offences", lambda y: _draw_flags(ax, flags, y)))
    cases: dict[str, list[dt.date]] = {}
    for event in whole.events:
        if isinstance(event, CourtAppearance) and view.contains(event.date):
            cases.setdefault(event.case_id, []).append(event.date)
    if cases:
        lanes.append(("court cases", lambda y: _draw_cases(ax, cases, y)))
    for label, kind in LANES[2:]:
        ticks(label, kind)
    for band, colour in BANDS:
        episodes = [
            e
            for e in whole.episodes.of_kind(band)
            if e.start <= last and (e.end > first or e.start >= first)
        ]
        if episodes:
            lanes.append(
                (
                    band.value.replace("_", " "),
                    functools.partial(_draw_band, ax, band, colour, episodes, open_to, date2num),
                )
            )
    rows = len(lanes)
    for i, (_, draw) in enumerate(lanes):
        draw(rows - i)
    ax.set_yticks(range(rows, 0, -1), [label for label, _ in lanes])
    ax.set_ylim(0.4, rows + 0.6)
    ax.set_xlim(first, last + dt.timedelta(days=1))  # the last day is shown whole
    ax.grid(axis="x", alpha=0.3)
    for i in range(rows - 1):
        ax.axhline(i + 1.5, color="#dee2e6", linewidth=0.6, zorder=0)
    ax.set_title(title or f"Offender timeline: {history.offender_id}", loc="left")
    ax.set_title(_subtitle(window, first, last, history.as_of), loc="right", fontsize="small")
    handles = [h for h in ax.get_lines() if str(h.get_label())[:1] not in ("_", "")]
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            frameon=False,
        )
    ax.text(
        0.0,
        -0.08,
        _caption(inside, window, last if history.as_of is None else open_to),
        transform=ax.transAxes,
        va="top",
        fontsize="small",
        family="monospace",
        gid="caption",
    )
    return ax


def _subtitle(window: Window, first: dt.date, last: dt.date, as_of: dt.datetime | None) -> str:
    shown = "window" if window != ALL_TIME else "data"
    text = f"{shown} {first.isoformat()} to {last.isoformat()}"
    return text + (f"; as of {as_of_date(as_of).isoformat()}" if as_of is not None else "")


def _draw_ticks(ax: Any, days: Sequence[dt.date], y: float, gid: str) -> None:
    ax.plot(
        days,
        [y] * len(days),
        linestyle="",
        marker="|",
        markersize=14,
        markeredgewidth=1.5,
        color=_INK,
        gid=gid,
    )


def _draw_stacked(ax: Any, days: Sequence[dt.date], y: float, gap: int, gid: str) -> None:
    """One dot per event, events within ``gap`` days stacked upwards; big stacks are counted."""
    stacked = _stack(days, gap)
    shown = [(d, k) for d, k, _ in stacked if k < _STACK]
    step = 0.7 / _STACK
    ax.plot(
        [d for d, _ in shown],
        [y - 0.35 + step / 2 + k * step for _, k in shown],
        linestyle="",
        marker="o",
        markersize=4,
        color=_INK,
        gid=gid,
        label=f"charge (close dates stacked, {len(days)} in view)",
    )
    for day, k, n in stacked:
        if k == _STACK and n > _STACK:
            ax.annotate(
                f"+{n - _STACK}",
                (day, y + 0.35),
                fontsize="x-small",
                ha="left",
                va="top",
                gid=f"{gid}:more",
            )


def _draw_flags(ax: Any, flags: Sequence[Flag], y: float) -> None:
    """A row per flag kind present, each kind with its own marker and colour."""
    kinds = [k for k in FLAG_MARKS if any(f.kind is k for f in flags)]
    step = 0.7 / len(kinds)
    for i, kind in enumerate(kinds):
        marker, colour, label = FLAG_MARKS[kind]
        days = [f.offence_date for f in flags if f.kind is kind]
        distinct = len(set(days))
        on = "" if distinct == len(days) else f" on {distinct} days"
        ax.plot(
            days,
            [y + 0.35 - step / 2 - i * step] * len(days),
            linestyle="",
            marker=marker,
            markersize=11 if marker == "*" else 7,
            color=colour,
            markeredgecolor="black",
            markeredgewidth=0.5,
            gid=f"flags:{kind.value}",
            label=f"{label} ({len(days)}{on})",
        )


def _draw_cases(ax: Any, cases: Mapping[str, Sequence[dt.date]], y: float) -> None:
    """Each court case from its first to its last appearance; overlapping cases in sub-rows."""
    spans = sorted((min(days), max(days)) for days in cases.values())
    rows = _pack(spans)
    depth = max(rows) + 1
    step = 0.7 / depth
    for (start, end), k in zip(spans, rows, strict=True):
        top = y + 0.35 - k * step
        ax.plot(
            [start, end],
            [top - step / 2] * 2,
            color="#457b9d",
            linewidth=max(1.5, 10 * step),
            solid_capstyle="butt",
            marker="|",
            markersize=6,
            gid="lane:court cases",
        )


def _draw_band(
    ax: Any,
    band: EpisodeKind,
    colour: str,
    episodes: Sequence[Episode],
    open_to: dt.date,
    date2num: Any,
    y: float,
) -> None:
    """Closed episodes as solid bars; open ones hatched up to the as-of date, with an arrow."""
    closed = [e for e in episodes if not e.open]
    still = [e for e in episodes if e.open]
    ax.broken_barh(
        [(date2num(e.start), max(e.days, 1)) for e in closed],
        (y - 0.3, 0.6),
        facecolors=colour,
        alpha=0.8,
        gid=f"band:{band.value}",
    )
    if not still:
        return
    ax.broken_barh(
        [(date2num(e.start), max((open_to - e.start).days, 1)) for e in still],
        (y - 0.3, 0.6),
        facecolors="none",
        edgecolors=colour,
        hatch="///",
        gid=f"open:{band.value}",
    )
    ax.plot(
        [open_to] * len(still),
        [y] * len(still),
        linestyle="",
        marker=">",
        markersize=9,
        color=colour,
        markeredgecolor="black",
        markeredgewidth=0.5,
        gid=f"open_end:{band.value}",
        label="still open at the as-of date" if not _has_label(ax, "still open") else "_",
    )


def _has_label(ax: Any, text: str) -> bool:
    return any(str(line.get_label()).startswith(text) for line in ax.get_lines())


def _caption(timeline: Any, window: Window, end_of_data: dt.date) -> str:
    before, within = timeline.summary.before, timeline.summary.within
    start = window.start.isoformat() if window.start else "the first record"
    end = window.end.isoformat() if window.end else end_of_data.isoformat()
    conversion = within.conversion
    rate = "n/a" if conversion.rate is None else f"{100 * conversion.rate:.1f} %"
    lines = [
        f"{start} to {end}: {within.charges} charges, "
        f"{within.court_cases} court cases, {within.convictions} convictions, "
        f"{within.cautions} cautions; conversion {conversion.convicted}/{conversion.charges} "
        f"= {rate}."
    ]
    if window.start is not None:
        lines.insert(
            0,
            f"Before {start}: {before.arrests} arrests, {before.charges} charges, "
            f"{before.bail_grants} bail grants.",
        )
    return "\n".join(lines)


def plot_days_by_occasion(
    days: DaysByOccasion,
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    ax: Any = None,
    size: tuple[float, float] = (11, 5.5),
    title: str | None = None,
    min_n: int = 10,
) -> Any:
    """Days from arrest to conviction, and from offence to arrest, by sentencing occasion.

    The published pattern: the first rises with the occasion number, the second stays
    flat. Each measure is drawn as its mean (solid line), its median (dashed line) and
    its interquartile range (shaded); grey bars, on the right-hand axis, are the charges
    measured, each labelled with its ``n``. Occasions with fewer than ``min_n`` charges
    are left out (the x-axis label says how many). The subtitle gives the period and the
    as-of date.
    """
    ax = _axes(ax, size)
    occasions = [k for k in days.occasions if days.row(k)[0].n >= min_n]
    dropped = len(days.occasions) - len(occasions)
    rows = [days.row(k) for k in occasions]
    quartiles = [days.quartiles(k) for k in occasions]
    counts = ax.twinx()
    n = [a2c.n for a2c, _ in rows]
    bars = counts.bar(occasions, n, alpha=0.18, color="grey", gid="counts", label="_")
    for k, value in zip(occasions, n, strict=True):  # a row of n along the top edge
        ax.annotate(
            str(value),
            (k, 1.01),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=6.5,
            rotation=90,
            color="#495057",
            gid="n_label",
        )
    ax.annotate(
        "n =",
        (0, 1.01),
        xycoords="axes fraction",
        ha="right",
        va="bottom",
        fontsize=6.5,
        color="#495057",
    )
    counts.set_ylim(0, max(n, default=1) * 3)
    counts.set_ylabel("charges measured (n, grey bars)")
    counts.set_zorder(ax.get_zorder() - 1)
    ax.patch.set_visible(False)
    for i, (name, label, colour, marker) in enumerate(
        (
            ("arrest_to_conviction", "arrest to conviction", "#e63946", "o"),
            ("offence_to_arrest", "offence to arrest", "#457b9d", "s"),
        )
    ):
        measures = [row[i] for row in rows]
        low = [q[i][0] for q in quartiles]
        high = [q[i][1] for q in quartiles]
        ax.fill_between(
            occasions,
            [math.nan if v is None else v for v in low],
            [math.nan if v is None else v for v in high],
            color=colour,
            alpha=0.2,
            linewidth=0,
            gid=f"iqr:{name}",
            label=f"{label}: interquartile range",
        )
        ax.plot(
            occasions,
            [m.mean for m in measures],
            marker=marker,
            color=colour,
            label=f"{label}: mean",
            gid=f"line:{name}",
        )
        ax.plot(
            occasions,
            [m.median for m in measures],
            linestyle="--",
            marker=marker,
            markerfacecolor="white",
            color=colour,
            label=f"{label}: median",
            gid=f"median:{name}",
        )
    left_out = f"; {dropped} occasions with n < {min_n} left out" if dropped else ""
    ax.set_xlabel(f"sentencing occasion (1 = first sentence){left_out}")
    ax.set_ylabel("days")
    ax.set_ylim(bottom=0)
    ax.set_title(title or "Days from arrest to conviction by sentencing occasion", loc="left")
    period = (
        f"sentenced {window.start or 'from the first record'} to {window.end or 'the last'}"
        if window != ALL_TIME
        else "all sentencing occasions"
    )
    stamp = f"; as of {as_of_date(as_of).isoformat()}" if as_of is not None else ""
    ax.set_title(period + stamp, loc="right", fontsize="small", pad=24, gid="subtitle")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(bars)
    labels.append("charges measured (n)")
    ax.legend(handles, labels, loc="upper left", fontsize="small", ncols=2)
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
    """Cost concentration: the same picture as :func:`plot_cost_concentration`."""
    return plot_cost_concentration(cost, ax=ax, proven=proven)


def plot_cost_concentration(
    cost: CostReport,
    *,
    proven: bool = False,
    ax: Any = None,
    size: tuple[float, float] = (6.5, 6),
    title: str | None = None,
) -> Any:
    """Share of the estimated cost against share of offenders, costliest first.

    A Lorenz-style curve with the line of equal shares; the top 10 % of offenders is
    marked with its share of the cost. The subtitle says which share of offences could
    be priced: the rest have no unit cost and count for nothing here.
    """
    ax = _axes(ax, size)
    points = [(0.0, 0.0), *cost.lorenz(min(max(len(cost.offenders), 1), 200), proven=proven)]
    ax.plot(
        [p[0] for p in points],
        [p[1] for p in points],
        color="#e63946",
        linewidth=2,
        gid="line:lorenz",
        label="share of cost (costliest offenders first)",
    )
    ax.plot(
        [0, 1],
        [0, 1],
        linestyle="--",
        color="grey",
        gid="line:equality",
        label="every offender costing the same",
    )
    top = cost.top_share(0.1, proven=proven)
    if top is not None:
        ax.plot(
            [0.1, 0.1, 0.0],
            [0.0, top, top],
            linestyle=":",
            color="#1d3557",
            gid="top10",
        )
        ax.plot([0.1], [top], marker="o", color="#1d3557", gid="top10:point")
        ax.annotate(
            f"top 10 % of offenders:\n{100 * top:.0f} % of the cost",
            (0.1, top),
            xytext=(0.25, max(top - 0.25, 0.1)),
            arrowprops={"arrowstyle": "->"},
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_xlabel(f"share of offenders (n = {len(cost.offenders)}, costliest first)")
    ax.set_ylabel("share of estimated cost" + (" (proven offences)" if proven else ""))
    ax.set_title(title or "Concentration of the cost of crime", loc="left")
    unpriced = cost.unpriced_share
    note = (
        "no offences"
        if unpriced is None
        else f"priced offences only: {100 * (1 - unpriced):.0f} % of offences"
    )
    ax.text(
        0.98,
        0.03,
        note,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize="small",
        gid="priced_note",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="center right", fontsize="small")
    return ax


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


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
) -> Any:
    """A Kaplan-Meier curve from ``(durations, observed)``; see :func:`survival_curve`.

    Censored subjects are ticked on the curve; the 95 % band is shaded when lifelines
    is installed. Call it again with the same ``ax`` to compare groups.
    """
    ax = _axes(ax, size)
    times, survival, low, high = survival_curve(durations, observed)
    events = sum(1 for o in observed if o)
    (line,) = ax.step(
        times,
        survival,
        where="post",
        linewidth=2,
        gid=f"line:survival:{label}",
        label=f"{label} (n = {len(durations)}, {events} events)",
    )
    if low is not None and high is not None:
        ax.fill_between(
            times, low, high, step="post", alpha=0.2, color=line.get_color(), gid="band:survival"
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
            color=line.get_color(),
            gid=f"censored:{label}",
            label="_",
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
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
    )


#: Colours of the IOM picture, by why someone is (or is not) selected.
IOM_GROUPS: tuple[tuple[str, str], ...] = (
    ("selected: score at or above the threshold", "#d62828"),
    ("selected: lower score with recent qualifying offences", "#f77f00"),
    ("not selected: lower score, no recent qualifying offence", "#8ecae6"),
    ("not selected: score below the lower threshold", "#adb5bd"),
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

    One dot per scored offender, in a row (and colour) per reason they are in or out;
    dashed lines mark the threshold and the lower threshold. Offenders with no score
    are counted in the subtitle.
    """
    ax = _axes(ax, size)
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
            marker="o",
            markersize=4,
            alpha=0.75,
            color=colour,
            gid=f"iom:{i}",
            label=f"{name} ({len(scores)})",
        )
    for value, text in ((rule.threshold, "threshold"), (rule.lower_threshold, "lower threshold")):
        ax.axvline(value, linestyle="--", color="#1d3557", linewidth=1, gid=f"rule:{text}")
        ax.annotate(
            f"{text} {100 * value:.0f} %",
            (value, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            va="top",
            fontsize="small",
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
    )
    ax.set_ylim(0.4, rows + 0.6)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.set_xlabel("2-year reoffending score")
    chosen = len(groups[IOM_GROUPS[0][0]]) + len(groups[IOM_GROUPS[1][0]])
    considered = chosen + len(groups[IOM_GROUPS[2][0]]) + len(groups[IOM_GROUPS[3][0]])
    ax.set_title(
        title or f"IOM cohort on {day.isoformat()}: {chosen} of {considered} selected",
        loc="left",
        pad=20,
    )
    ax.text(
        0.0,
        1.015,
        f"rule: {rule.name}" + (f"; {unscored} offenders could not be scored" if unscored else ""),
        transform=ax.transAxes,
        fontsize="small",
        va="bottom",
        gid="subtitle",
    )
    ax.grid(axis="x", alpha=0.3)
    return ax
