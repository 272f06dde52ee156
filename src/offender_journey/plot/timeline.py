"""The IDIOM-style offender timeline: a lane per kind of event, a band per kind of episode."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from itertools import pairwise
from typing import Any, Literal, NamedTuple

from ..events import Arrest, Caution, Charge, Conviction, CourtAppearance, Sentence
from ..folds.episodes import Episode, EpisodeKind, Flag
from ..history import ALL_TIME, History, Window, as_of_date
from ..labels import label
from ..tables import plural
from ..timeline import Timeline, build_timeline
from .style import GRID, INK, MARKERS, PALETTE, SIZE, axes, caption, date_axis, subtitle

__all__ = ["BANDS", "FLAG_MARKS", "LANES", "plot_timeline"]

#: Event lanes of the timeline picture, top to bottom, as in the IDIOM case study.
LANES: tuple[tuple[str, type], ...] = (
    ("arrests", Arrest),
    ("charges", Charge),
    ("court appearances", CourtAppearance),
    ("convictions", Conviction),
    ("cautions", Caution),
    ("sentences", Sentence),
)

#: Episode bands below the lanes, with their colours. Each band has a lane of its own,
#: named in words: the colour only ties a band to the marks of offences committed in it.
BANDS: tuple[tuple[EpisodeKind, str], ...] = (
    (EpisodeKind.ON_BAIL, PALETTE[0]),
    (EpisodeKind.REMANDED, PALETTE[4]),
    (EpisodeKind.IN_CUSTODY, PALETTE[4]),
    (EpisodeKind.ON_LICENCE, PALETTE[1]),
    (EpisodeKind.SUSPENDED_SENTENCE, PALETTE[2]),
    (EpisodeKind.COMMUNITY_ORDER, PALETTE[3]),
    (EpisodeKind.WARRANT_OUTSTANDING, PALETTE[5]),
)

#: How an offence committed inside each flagging episode is marked: marker, colour, words.
FLAG_MARKS: dict[EpisodeKind, tuple[str, str, str]] = {
    EpisodeKind.ON_BAIL: ("o", PALETTE[0], "committed on bail"),
    EpisodeKind.ON_LICENCE: ("D", PALETTE[1], "committed on licence"),
    EpisodeKind.SUSPENDED_SENTENCE: ("*", PALETTE[2], "committed during a suspended sentence"),
    EpisodeKind.COMMUNITY_ORDER: ("s", PALETTE[3], "committed during a community order"),
}

#: Remand is custody before sentence: the custody colour, lighter.
_ALPHA = {EpisodeKind.REMANDED: 0.5}
#: Most marks stacked in one lane for events close together; more are counted in a label.
_STACK = 4
#: Court cases are drawn as bars while they fit in this many rows, else counted by month.
_CASE_ROWS = 4

CaseDrawing = Literal["auto", "bars", "counts"]


class _Lane(NamedTuple):
    """One horizontal lane: its words, how to draw it at (centre, height), its height."""

    text: str
    draw: Callable[[float, float], None]
    height: float = 1.0


def _slug(words: str) -> str:
    return words.replace(" ", "_")


def plot_timeline(
    history: History,
    window: Window = ALL_TIME,
    *,
    ax: Any = None,
    size: tuple[float, float] = (13, 7),
    title: str | None = None,
    cases: CaseDrawing = "auto",
) -> Any:
    """The IDIOM-style offender timeline: a lane per kind of event, episodes as bands.

    The axis runs over ``window`` (or, where it is open, the data's own span); its date
    labels are as many as fit the width. Only lanes with something in view are drawn.
    Charges close together are stacked so each one shows. Offences committed on bail, on
    licence, during a suspended sentence or a community order get a mark of their own on
    the "flagged offences" lane, at their offence date. Court cases are bars from their
    first to their last appearance, in rows that do not overlap, while they fit in four
    rows; more tangled than that, the court lanes count cases open and appearances per
    month instead. ``cases="bars"`` or ``"counts"`` chooses. A band's height is how many
    episodes of its kind run at once (concurrent bails, say), written where there is room.
    A person whose events come from several sources (police, courts …) has each event
    mark drawn in its source's marker, named in the legend, so the joined-up timeline
    shows which agency recorded what.
    Episodes still open at the as-of date stop there, hatched, with an arrow. The legend
    sits outside the axes; the window's summary is the caption.
    """
    # the plot extra (matplotlib)
    from matplotlib.dates import date2num

    if cases not in ("auto", "bars", "counts"):
        raise ValueError(f"cases must be 'auto', 'bars' or 'counts', not {cases!r}")
    ax = axes(ax, size)
    open_to = as_of_date(history.as_of) if history.as_of is not None else None
    whole = build_timeline(history, ALL_TIME, as_of=history.as_of)
    inside = build_timeline(history, window, as_of=history.as_of)
    first, last = _span(whole, window, open_to)
    if open_to is None:  # open episodes run to the end of the data, not to today
        open_to = last
    view = Window(first, last)
    end = last + dt.timedelta(days=1)  # the last day is shown whole
    axis = _Axis(ax, first, end, date2num)
    gap = max(1, (last - first).days // 150)
    lanes: list[_Lane] = []
    sources = _sources(whole)

    def ticks(name: str, kind: type) -> None:
        marks = sorted(
            (e.date, e.source or "")
            for e in whole.events
            if isinstance(e, kind) and view.contains(e.date)
        )
        if not marks:
            return
        gid = f"lane:{_slug(name)}"
        if kind is Charge:
            lanes.append(
                _Lane(
                    name.capitalize(),
                    lambda y, h: _draw_stacked(ax, marks, y, h, gap, gid, sources),
                )
            )
        else:
            lanes.append(
                _Lane(name.capitalize(), lambda y, h: _draw_ticks(ax, marks, y, gid, sources))
            )

    for name, kind in LANES[:2]:
        ticks(name, kind)
    flags = [f for f in whole.flags if view.contains(f.offence_date)]
    if flags:
        lanes.append(_Lane("Flagged offences", lambda y, h: _draw_flags(ax, flags, y)))
    appearances: dict[str, list[dt.date]] = {}
    for event in whole.events:
        if isinstance(event, CourtAppearance) and view.contains(event.date):
            appearances.setdefault(event.case_id, []).append(event.date)
    spans = sorted((min(days), max(days), case) for case, days in appearances.items())
    apart = math.ceil(4 / axis.points_per_day)  # cases closer than 4 points take two rows
    rows = _pack([(start, stop) for start, stop, _ in spans], apart)
    depth = max(rows, default=-1) + 1
    counted = cases == "counts" or (cases == "auto" and depth > _CASE_ROWS)
    if counted:
        _count_court(ax, axis, lanes, spans, appearances)
    elif spans:
        lanes.append(
            _Lane(
                "Court cases",
                lambda y, h: _draw_cases(ax, axis, spans, appearances, rows, y, h),
                height=max(1.0, 0.2 * depth),
            )
        )
    for name, kind in LANES[2:]:
        if not (counted and kind is CourtAppearance):
            ticks(name, kind)
    for band, colour in BANDS:
        episodes = [
            e
            for e in whole.episodes.of_kind(band)
            if e.start <= last and (e.end > first or e.start >= first)
        ]
        if episodes:
            peak = _peak(_concurrent(episodes, first, end, open_to))
            words = label(band.value)
            lanes.append(
                _Lane(
                    words if peak < 2 else f"{words}\n(up to {peak} at once)",
                    partial(_draw_band, ax, axis, band, colour, episodes, open_to),
                )
            )
    _lay_out(ax, lanes)
    ax.set_xlim(axis.first, axis.end)
    date_axis(ax)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(
        title or f"Offender timeline: {history.offender_id}",
        loc="left",
        fontsize=SIZE["title"],
        pad=SIZE["note"] + 8,
    )
    subtitle(ax, _subtitle(window, first, last, history.as_of))
    handles, texts = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            texts,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=SIZE["note"],
            frameon=False,
        )
    caption(ax, _caption(inside, window, last if history.as_of is None else open_to))
    return ax


class _Axis:
    """The x-axis's days, and how many points of width a day gets (for what fits)."""

    def __init__(self, ax: Any, first: dt.date, end: dt.date, date2num: Any) -> None:
        self.first, self.end, self.num = first, end, date2num
        inches = ax.figure.get_figwidth() * ax.get_position().width * 0.8  # labels, legend
        self.points_per_day = 72 * inches / max((end - first).days, 1)

    def clip(self, day: dt.date) -> dt.date:
        return min(max(day, self.first), self.end)


def _lay_out(ax: Any, lanes: Sequence[_Lane]) -> None:
    """Lanes top to bottom, each as tall as it asks; a thin line between lanes."""
    total = sum(lane.height for lane in lanes)
    top = total
    centres = []
    for lane in lanes:
        centre = top - lane.height / 2
        lane.draw(centre, lane.height)
        centres.append(centre)
        top -= lane.height
        if top > 0:
            ax.axhline(top, color=GRID, linewidth=0.6, zorder=0)
    ax.set_yticks(centres, [lane.text for lane in lanes], fontsize=SIZE["body"])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.1, total + 0.1)


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


def _subtitle(window: Window, first: dt.date, last: dt.date, as_of: dt.datetime | None) -> str:
    shown = "window" if window != ALL_TIME else "data"
    text = f"{shown} {first.isoformat()} to {last.isoformat()}"
    return text + (f"; as of {as_of_date(as_of).isoformat()}" if as_of is not None else "")


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


def _pack(spans: Sequence[tuple[dt.date, dt.date]], apart: int = 1) -> list[int]:
    """A row for each span (sorted by start) so that spans in one row are at least
    ``apart`` days apart."""
    row_ends: list[dt.date] = []
    rows = []
    for start, end in spans:
        for k, row_end in enumerate(row_ends):
            if (start - row_end).days >= apart:
                row_ends[k] = end
                rows.append(k)
                break
        else:
            row_ends.append(end)
            rows.append(len(row_ends) - 1)
    return rows


def _sources(timeline: Timeline) -> dict[str, int]:
    """Each source's marker, when events come from more than one (else none).

    Sources are told apart by shape and fill, in ink: colour already means an episode.
    """
    names = sorted({event.source or "" for event in timeline.events})
    return {name: k % len(MARKERS) for k, name in enumerate(names)} if len(names) > 1 else {}


def _source_label(ax: Any, source: str) -> str:
    """The legend entry for a source's marks, given once per picture."""
    text = f"recorded by {source or 'the default source'}"
    return "_" if _has_label(ax, text) else text


def _draw_ticks(
    ax: Any, marks: Sequence[tuple[dt.date, str]], y: float, gid: str, sources: dict[str, int]
) -> None:
    """A tick per event; with several sources, each source's events in its own marker."""
    if not sources:
        days = [day for day, _ in marks]
        ax.plot(
            days,
            [y] * len(days),
            linestyle="",
            marker="|",
            markersize=14,
            markeredgewidth=1.2,
            color=INK,
            gid=gid,
        )
        return
    for source, k in sources.items():
        days = [day for day, of in marks if of == source]
        if days:
            ax.plot(
                days,
                [y] * len(days),
                linestyle="",
                marker=MARKERS[k],
                markersize=6,
                markerfacecolor=INK if k % 2 == 0 else "white",
                markeredgewidth=1.0,
                color=INK,
                gid=f"{gid}:{source}",
                label=_source_label(ax, source),
            )


def _draw_stacked(
    ax: Any,
    marks: Sequence[tuple[dt.date, str]],
    y: float,
    h: float,
    gap: int,
    gid: str,
    sources: dict[str, int],
) -> None:
    """One dot per event, events within ``gap`` days stacked upwards; big stacks are counted.

    ``marks`` are (day, source) in date order; with several sources each dot takes its
    source's marker.
    """
    stacked = _stack([day for day, _ in marks], gap)
    shown = [(d, k, of) for (d, k, _), (_, of) in zip(stacked, marks, strict=True) if k < _STACK]
    step = 0.7 * h / _STACK
    counted = f"charges: {len(marks)} in view (close dates stacked)"
    if not sources:
        ax.plot(
            [d for d, _, _ in shown],
            [y - 0.35 * h + step / 2 + k * step for _, k, _ in shown],
            linestyle="",
            marker="o",
            markersize=4,
            color=INK,
            gid=gid,
            label=counted,
        )
    for source, shape in sources.items():
        mine = [(d, k) for d, k, of in shown if of == source]
        if mine:
            ax.plot(
                [d for d, _ in mine],
                [y - 0.35 * h + step / 2 + k * step for _, k in mine],
                linestyle="",
                marker=MARKERS[shape],
                markersize=5,
                markerfacecolor=INK if shape % 2 == 0 else "white",
                markeredgewidth=1.0,
                color=INK,
                gid=f"{gid}:{source}",
                label=_source_label(ax, source),
            )
    if sources:  # the lane's count still reads in the legend
        ax.plot([], [], linestyle="", marker="o", markersize=4, color=INK, label=counted)
    more = [(day, n) for day, k, n in stacked if k == _STACK and n > _STACK]
    for i, (day, n) in enumerate(more):
        ax.annotate(
            f"+{n - _STACK}",
            (day, y + 0.35 * h - step / 2),  # the top row's centre
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=SIZE["note"] - 1,
            ha="center",
            va="bottom",
            color=INK,
            gid=f"{gid}:more:{i}",
        )


def _draw_flags(ax: Any, flags: Sequence[Flag], y: float) -> None:
    """A row per flag kind present, each kind with its own marker and colour."""
    kinds = [k for k in FLAG_MARKS if any(f.kind is k for f in flags)]
    step = 0.7 / len(kinds)
    for i, kind in enumerate(kinds):
        marker, colour, words = FLAG_MARKS[kind]
        days = [f.offence_date for f in flags if f.kind is kind]
        distinct = len(set(days))
        on = "" if distinct == len(days) else f"\n(on {distinct} different days)"
        ax.plot(
            days,
            [y + 0.35 - step / 2 - i * step] * len(days),
            linestyle="",
            marker=marker,
            markersize=11 if marker == "*" else 7,
            color=colour,
            markeredgecolor="white",
            markeredgewidth=0.6,
            gid=f"flags:{kind.value}",
            label=f"{plural(len(days), 'offence')} {words}{on}",
        )


def _draw_cases(
    ax: Any,
    axis: _Axis,
    spans: Sequence[tuple[dt.date, dt.date, str]],
    appearances: Mapping[str, Sequence[dt.date]],
    rows: Sequence[int],
    y: float,
    h: float,
) -> None:
    """Each court case a bar from its first to its last appearance, ticked at each
    appearance; cases that overlap in time take separate rows."""
    # the plot extra (matplotlib)
    from matplotlib.collections import LineCollection

    depth = max(rows) + 1
    step = 0.8 * h / depth
    tops = [y + 0.4 * h - step / 2 - k * step for k in rows]
    segments = [
        [(axis.num(start), top), (axis.num(stop) + 0.5, top)]
        for (start, stop, _), top in zip(spans, tops, strict=True)
    ]
    ax.add_collection(
        LineCollection(
            segments,
            colors=PALETTE[0],
            linewidths=4.0 if depth < 3 else 2.5,
            capstyle="butt",
            gid="lane:court_cases",
            label="court case, first to last appearance",
        ),
        autolim=False,
    )
    days = [
        (d, top) for (_, _, case), top in zip(spans, tops, strict=True) for d in appearances[case]
    ]
    ax.plot(
        [d for d, _ in days],
        [t for _, t in days],
        linestyle="",
        marker="|",
        markersize=8 if depth < 3 else 6,
        markeredgewidth=1.0,
        color=INK,
        gid="lane:court_cases:appearances",
        label="court appearance in its case",
    )


def _months(first: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of each month from ``first``'s month up to ``end`` (exclusive)."""
    months = [first.replace(day=1)]
    while months[-1] < end:
        month = months[-1]
        months.append(dt.date(month.year + month.month // 12, month.month % 12 + 1, 1))
    return months


def _count_court(
    ax: Any,
    axis: _Axis,
    lanes: list[_Lane],
    spans: Sequence[tuple[dt.date, dt.date, str]],
    appearances: Mapping[str, Sequence[dt.date]],
) -> None:
    """The court lanes as counts per month: cases open (between their first and last
    appearance) and appearances, each month a column as tall as its count."""
    if not spans:
        return
    edges = _months(axis.first, axis.end)
    open_cases = [
        sum(1 for start, stop, _ in spans if start < until and stop >= since)
        for since, until in pairwise(edges)
    ]
    days = sorted(d for ds in appearances.values() for d in ds)
    heard = [sum(1 for d in days if since <= d < until) for since, until in pairwise(edges)]
    for name, words, counts in (
        ("court_cases", "Court cases\nopen each month", open_cases),
        ("court_appearances", "Court appearances\neach month", heard),
    ):
        draw = partial(_draw_counts, ax, axis, name, edges, counts)
        lanes.append(_Lane(words, draw))


def _draw_counts(
    ax: Any,
    axis: _Axis,
    name: str,
    edges: Sequence[dt.date],
    counts: Sequence[int],
    y: float,
    h: float,
) -> None:
    """A column per month as tall as its count; counts written above where they fit."""
    peak = max(counts, default=0) or 1
    base, tall = y - 0.4 * h, 0.55 * h
    ax.stairs(
        [base + tall * c / peak for c in counts],
        [axis.num(axis.clip(d)) for d in edges],
        baseline=base,
        fill=True,
        color=PALETTE[0],
        gid=f"lane:{name}",
    )
    narrowest = min((axis.clip(b) - axis.clip(a)).days for a, b in pairwise(edges))
    every = narrowest * axis.points_per_day >= 2 * SIZE["note"]
    for since, until, count in zip(edges, edges[1:], counts, strict=False):
        if count and (every or count == peak):
            middle = axis.clip(since) + (axis.clip(until) - axis.clip(since)) / 2
            _count(ax, count, (middle, base + tall * count / peak), f"count:{name}:{since:%Y-%m}")


def _count(ax: Any, n: int, top: tuple[dt.date, float], gid: str) -> None:
    """A count written just above the top of its column or band."""
    ax.annotate(
        str(n),
        top,
        xytext=(0, 1),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=SIZE["note"] - 1,
        color=INK,
        gid=gid,
    )


def _concurrent(
    episodes: Sequence[Episode], first: dt.date, end: dt.date, open_to: dt.date
) -> list[tuple[dt.date, dt.date, int]]:
    """(from, until, how many) for each stretch of days, within ``[first, end)``, on
    which a constant number of the episodes (at least one) runs."""
    changes: dict[dt.date, int] = {}
    for e in episodes:
        start = max(e.start, first)
        stop = min(max(open_to if e.open else e.end, e.start + dt.timedelta(days=1)), end)
        if stop <= start:
            continue
        changes[start] = changes.get(start, 0) + 1
        changes[stop] = changes.get(stop, 0) - 1
    out = []
    running = 0
    days = sorted(changes)
    for since, until in pairwise(days):
        running += changes[since]
        if running:
            out.append((since, until, running))
    return out


def _peak(stretches: Sequence[tuple[dt.date, dt.date, int]]) -> int:
    return max((n for _, _, n in stretches), default=0)


def _peaks(
    stretches: Sequence[tuple[dt.date, dt.date, int]], axis: _Axis
) -> list[tuple[dt.date, dt.date, int]]:
    """Where a band's count is written: in each unbroken run of stretches, the one with
    most episodes at once (the longest, if several) of those wide enough for the number,
    when that is two or more."""
    runs: list[list[tuple[dt.date, dt.date, int]]] = []
    for stretch in stretches:
        if runs and runs[-1][-1][1] == stretch[0]:
            runs[-1].append(stretch)
        else:
            runs.append([stretch])
    room = 1.5 * SIZE["note"] / axis.points_per_day  # days a number needs
    tops = [
        max(wide, key=lambda s: (s[2], s[1] - s[0]))
        for run in runs
        if (wide := [s for s in run if (s[1] - s[0]).days >= room])
    ]
    return [top for top in tops if top[2] > 1]


def _draw_band(
    ax: Any,
    axis: _Axis,
    band: EpisodeKind,
    colour: str,
    episodes: Sequence[Episode],
    open_to: dt.date,
    y: float,
    h: float,
) -> None:
    """A band as tall as the number of its episodes running at once, counted in words
    where two or more overlap and there is room; open episodes hatched, with an arrow."""
    stretches = _concurrent(episodes, axis.first, axis.end, open_to)
    peak = _peak(stretches) or 1
    base, tall = y - 0.3 * h, 0.6 * h
    edges: list[float] = []
    values: list[float] = []
    for since, until, n in stretches:
        if edges and edges[-1] != axis.num(since):  # a gap: nothing runs
            values.append(base)
            edges.append(axis.num(since))
        if not edges:
            edges.append(axis.num(since))
        values.append(base + tall * n / peak)
        edges.append(axis.num(until))
    if values:
        ax.stairs(
            values,
            edges,
            baseline=base,
            fill=True,
            color=colour,
            alpha=_ALPHA.get(band, 0.9),
            gid=f"band:{band.value}",
        )
    for i, (since, until, n) in enumerate(_peaks(stretches, axis)):
        middle = since + (until - since) / 2
        _count(ax, n, (middle, base + tall * n / peak), f"count:{band.value}:{i}")
    still = [e for e in episodes if e.open]
    if not still:
        return
    ax.broken_barh(
        [(axis.num(e.start), max((open_to - e.start).days, 1)) for e in still],
        (base, tall),
        facecolors="none",
        edgecolors="white",
        linewidth=0,
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
        markeredgecolor=INK,
        markeredgewidth=0.5,
        gid=f"open_end:{band.value}",
        label="still open at the as-of date" if not _has_label(ax, "still open") else "_",
    )


def _has_label(ax: Any, text: str) -> bool:
    return any(str(line.get_label()).startswith(text) for line in ax.get_lines())


def _caption(timeline: Timeline, window: Window, end_of_data: dt.date) -> str:
    before, within = timeline.summary.before, timeline.summary.within
    start = window.start.isoformat() if window.start else "the first record"
    end = window.end.isoformat() if window.end else end_of_data.isoformat()
    conversion = within.conversion
    rate = "n/a" if conversion.rate is None else f"{100 * conversion.rate:.1f} %"
    lines = [
        f"{start} to {end}: {plural(within.charges, 'charge')}, "
        f"{plural(within.court_cases, 'court case')}, "
        f"{plural(within.convictions, 'conviction')}, {plural(within.cautions, 'caution')}; "
        f"conversion {conversion.convicted} of {conversion.charges} charges = {rate}."
    ]
    if window.start is not None:
        lines.insert(
            0,
            f"Before {start}: {plural(before.arrests, 'arrest')}, "
            f"{plural(before.charges, 'charge')}, {plural(before.bail_grants, 'bail grant')}.",
        )
    return "\n".join(lines)
