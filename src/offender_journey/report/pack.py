"""A case report as one self-contained HTML page: its parts, and the page made from them.

The page is made by Jinja2 templates shipped in this package (``templates/``), with
autoescaping on: every word that came from the data is escaped by the template engine,
never glued into markup here. Styles are inline; there is no script and nothing to
fetch, so the file works offline and can be mailed or printed as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ..errors import MissingExtraError
from ..history import Window
from ..labels import label
from ..tables import Column, Table, plural
from ..views.iom import IomRule
from ..views.ogrs3 import Ogrs3, RiskScore, percent
from .case import Case
from .svg import Picture, timeline_svg

__all__ = ["MARKING", "Pack", "render_html", "require_extra", "write_html"]

#: The Government Security Classification marking the pages carry unless told otherwise.
MARKING = "OFFICIAL-SENSITIVE"

#: How "an offence committed ..." ends for each kind of flag.
COMMITTED: dict[str, str] = {
    "on_bail": "on bail",
    "on_licence": "on licence",
    "suspended_sentence": "during a suspended sentence",
    "community_order": "during a community order",
}


@attrs.frozen
class Pack:
    """What one report file holds: who, as of when, on which day, under which marking."""

    #: The page's title (its top heading).
    title: str
    #: One section per person, in this order.
    cases: tuple[Case, ...]
    #: The transaction time everything was read at.
    as_of: dt.datetime
    #: The valid-time window the timelines and summaries are drawn for.
    window: Window
    #: The IOM rule the reasons are given under.
    rule: IomRule
    #: The security marking at the top and bottom of every page.
    marking: str = MARKING
    #: Where the definitions link to: the folder (or site) holding the project's docs pages.
    docs: str = "docs/"

    @property
    def data_end(self) -> dt.date | None:
        """The day of the latest record of anyone in the report, as seen at :attr:`as_of`."""
        ends = [case.data_end for case in self.cases if case.data_end is not None]
        return max(ends, default=None)


def _jinja() -> Any:
    try:
        # optional extra: jinja2 (the report extra)
        import jinja2
    except ImportError:
        raise MissingExtraError("case reports", "report", "jinja2") from None
    return jinja2


def require_extra() -> None:
    """Raise :class:`~offender_journey.errors.MissingExtraError`, naming the ``report``
    extra, unless jinja2 and matplotlib are installed: a command checks before its work."""
    _jinja()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtraError("case reports", "report", "matplotlib") from None


@functools.cache
def _environment() -> Any:
    jinja2 = _jinja()
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("offender_journey.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["words"] = label
    environment.filters["css_string"] = _css_string
    environment.filters["cell"] = _cell
    environment.filters["plural"] = plural
    environment.filters["percent"] = percent
    environment.filters["committed"] = lambda kind: (
        COMMITTED.get(kind) or label(kind, capital=False)
    )
    return environment


def _css_string(text: str) -> Any:
    """``text`` as a CSS string literal: every character but letters, digits and spaces
    escaped, so no marking can end the string or the ``<style>`` element (safe markup:
    HTML escaping does not apply inside ``<style>``)."""
    # optional extra: markupsafe (the report extra)
    from markupsafe import Markup

    kept = (c if (c.isalnum() and c.isascii()) or c == " " else f"\\{ord(c):x} " for c in text)
    return Markup('"' + "".join(kept) + '"')  # every character but [A-Za-z0-9 ] escaped


def _cell(value: Any, column: Column) -> str:
    """A table cell as the library shows it, with codes in words."""
    if column.kind == "category" and isinstance(value, str):
        return label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return column.show(value)


def _pick(table: Table, names: Sequence[str], labels: Sequence[str]) -> Table:
    """The columns ``names`` of ``table``, headed ``labels``."""
    at = [next(i for i, c in enumerate(table.columns) if c.name == n) for n in names]
    columns = tuple(
        attrs.evolve(table.columns[i], label=text) for i, text in zip(at, labels, strict=True)
    )
    return Table(table.title, columns, tuple(tuple(row[i] for i in at) for row in table.rows))


@attrs.frozen
class Section:
    """One person's section as the template reads it: the case, its picture, its tables."""

    number: int
    case: Case
    picture: Picture
    description: str
    status: Table
    inputs: Table
    episodes: Table
    events: Table
    flags: Table
    summary: Table
    conversion: Table
    recent: Table
    quality: Table

    @property
    def anchor(self) -> str:
        return f"person-{self.number}"

    @property
    def svg(self) -> Any:
        return self.picture.element(self.description)

    @property
    def score(self) -> RiskScore | None:
        """The score used for selection, when there is one."""
        return self.case.risk if isinstance(self.case.risk, RiskScore) else None

    @property
    def ogrs3(self) -> Ogrs3:
        return self.case.ogrs3


def _status(case: Case) -> Table:
    columns = (
        Column("state", "category", "State"),
        Column("start", "date", "Since"),
        Column("end", "str", "Ends (first day out)"),
        Column("ref", "str", "Reference"),
    )
    rows = tuple(
        (e.kind.value, e.start, "not recorded (open)" if e.open else e.end.isoformat(), e.ref)
        for e in case.status
    )
    return Table(f"Status on {case.day.isoformat()}", columns, rows)


def _inputs(ogrs3: Ogrs3) -> Table:
    columns = (Column("input", "category", "Input"), Column("value", "category", "Value"))
    rows = tuple((name, str(value)) for name, value in ogrs3.inputs.items())
    return Table("OGRS3 inputs", columns, rows)


def _recent(case: Case) -> Table:
    chosen = set(case.selection.recent) if case.selected else set()  # type: ignore[union-attr]
    columns = (
        Column("offence_date", "date", "Committed"),
        Column("category", "category", "Offence"),
        Column("kind", "category", "Dealt with by"),
        Column("ref", "str", "Reference"),
        Column("proven_on", "date", "Proven on"),
        Column("qualifies", "str", "Counts for IOM"),
    )
    rows = tuple(
        (
            o.offence_date,
            o.category.value,
            o.kind,
            o.ref,
            o.proven_on,
            "yes" if o.ref in chosen else "no",
        )
        for o in case.recent
    )
    since = case.look_back_start.isoformat()
    return Table(f"Offences committed {since} to {case.day.isoformat()}", columns, rows)


def _describe(case: Case, picture: Picture) -> str:
    """The picture in words: what the axis spans and which lanes it has."""
    timeline = case.timeline
    last = picture.end - dt.timedelta(days=1)
    lanes = "; ".join(" ".join(lane.split()) for lane in picture.lanes) or "none"
    flags = ", ".join(
        f"{n} {COMMITTED.get(kind, kind)}" for kind, n in timeline.flag_counts.items()
    )
    return (
        f"Timeline of {case.offender_id} from {picture.first.isoformat()} to "
        f"{last.isoformat()}. Lanes, top to bottom: {lanes}. In the window: "
        f"{plural(len(timeline.events), 'event')}, "
        f"{plural(len(timeline.episodes_in_window), 'episode')}, "
        f"{plural(len(timeline.flags), 'flagged offence')}"
        + (f" ({flags})" if flags else "")
        + ". The tables after the picture list every one."
    )


def _section(number: int, case: Case) -> Section:
    timeline = case.timeline
    picture = timeline_svg(
        case.history,
        timeline.window,
        ident=f"person-{number}-timeline",
        title=f"Timeline of {case.offender_id}",
    )
    episodes = _pick(
        timeline.episodes_table(),
        ("kind", "start", "end", "open", "ref"),
        ("Episode", "Start", "End (first day out)", "Still open", "Reference"),
    )
    events = _pick(
        timeline.events_table(),
        ("date", "type", "category", "outcome", "length_days", "charge_id", "case_id"),
        ("Date", "Event", "Offence", "Outcome or kind", "Length (days)", "Charge", "Case"),
    )
    flags = _pick(
        timeline.flags_table(),
        ("offence_date", "kind", "offence_type", "offence_id", "episode_ref"),
        ("Committed", "Committed while", "Dealt with by", "Reference", "Episode"),
    )
    summary = timeline.summary.table()
    return Section(
        number=number,
        case=case,
        picture=picture,
        description=_describe(case, picture),
        status=_status(case),
        inputs=_inputs(case.ogrs3),
        episodes=episodes,
        events=events,
        flags=flags,
        summary=_pick(summary, ("measure", "before", "within"), ("Measure", "Before", "In window")),
        conversion=timeline.summary.within.conversion.table(),
        recent=_recent(case),
        quality=case.quality.table(),
    )


def render_html(pack: Pack, *, progress: Callable[[], object] | None = None) -> str:
    """The report as one HTML page (a string); ``progress()`` is called after each person.

    Needs the ``report`` extra (jinja2, and matplotlib for the pictures).
    """
    template = _environment().get_template("pack.html.j2")
    sections = []
    for number, case in enumerate(pack.cases, start=1):
        sections.append(_section(number, case))
        if progress is not None:
            progress()
    window = pack.window
    return str(
        template.render(
            pack=pack,
            sections=sections,
            as_of=pack.as_of.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            data_end=pack.data_end.isoformat() if pack.data_end else "no records",
            window_from=window.start.isoformat() if window.start else "the first record",
            window_to=window.end.isoformat() if window.end else "the last record",
            docs=pack.docs if pack.docs.endswith("/") or not pack.docs else pack.docs + "/",
        )
    )


def write_html(
    pack: Pack, path: str | os.PathLike[str], *, progress: Callable[[], object] | None = None
) -> None:
    """Write the report to ``path``, readable by its owner only (mode 0600): it is
    personal data. ``progress`` as for :func:`render_html`."""
    page = render_html(pack, progress=progress)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was already there
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(page)
