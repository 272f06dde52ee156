"""The IDIOM-style timeline of one offender: events, episodes, flags, window summary.

Episodes are half-open day intervals ``[start, end)`` derived from pairs of events
(bail granted → ended, sentence → release, ...). They are kept per kind in a list
ordered by start, so "which episodes cover day d" costs a binary search plus the few
episodes that start near ``d``.
An episode with no end event is *open*: it runs to the end of the ``as_of`` day.

Offences (charges and cautions, by ``offence_date``) committed inside an
``on_bail``, ``on_licence``, ``suspended_sentence`` or ``community_order`` episode
are flagged with that kind, except that a bail never flags the charges it was
granted for.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c1 = j.charge("2013-01-10", "shoplifting")
    >>> bail = j.bail("2013-01-10", c1)
    >>> c2 = j.charge("2013-02-10", "burglary_domestic")
    >>> new_year = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
    >>> t = build_timeline(History.build("O1", j.events), as_of=new_year)
    >>> [(f.kind.value, f.offence_id == c2.charge_id) for f in t.flags]
    [('on_bail', True)]
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

import attrs

from .codec import Codec
from .dates import span_in_words
from .events import (
    Caution,
    Charge,
    CourtAppearance,
    Event,
    Sentence,
    record_key,
)
from .folds.episodes import (
    FLAGGING_KINDS,
    Episode,
    EpisodeKind,
    Episodes,
    Flag,
    derive_episodes,
    latest_by_id,
    latest_cautions,
    offence_flags,
)
from .history import ALL_TIME, History, Window, as_of_date
from .labels import label
from .offender import conversion
from .tables import Column, Table, Tabular, printable
from .views.conversion import Conversion

__all__ = [
    "Counts",
    "Timeline",
    "WindowSummary",
    "build_timeline",
]

_ONE_DAY = dt.timedelta(days=1)

# --- window summary ------------------------------------------------------------------


@attrs.frozen
class Counts:
    """What happened in one stretch of time (before the window, or within it)."""

    arrests: int = 0
    charges: int = 0
    bail_grants: int = 0
    court_cases: int = 0
    court_appearances: int = 0
    convictions: int = 0
    cautions: int = 0
    sentencing_occasions: int = 0
    conversion: Conversion = attrs.field(factory=Conversion)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; ``conversion`` has the conversion's keys."""
        out: dict[str, Any] = attrs.asdict(self, recurse=False)
        out["conversion"] = self.conversion.to_json()
        return out


_COUNT_NAMES = (
    "arrests",
    "charges",
    "bail_grants",
    "court_cases",
    "court_appearances",
    "convictions",
    "cautions",
    "sentencing_occasions",
)


@attrs.frozen
class WindowSummary:
    """Counts before the window and within it."""

    before: Counts
    within: Counts

    def to_json(self) -> dict[str, Any]:
        """``{"before": {...}, "within": {...}}``."""
        return {"before": self.before.to_json(), "within": self.within.to_json()}

    def table(self, title: str = "Window summary") -> Table:
        """Each count before the window and within it."""
        columns = (Column("measure", "category"), Column("before", "int"), Column("within", "int"))
        rows = tuple(
            (name, getattr(self.before, name), getattr(self.within, name)) for name in _COUNT_NAMES
        )
        return Table(title, columns, rows)

    def __str__(self) -> str:
        table = self.table()
        readable = tuple((name.replace("_", " "), *rest) for name, *rest in table.rows)
        shown = Table(table.title, table.columns, readable)
        return f"{shown.to_text(title=False)}\nconversion (within): {self.within.conversion}"


def _summary(
    history: History,
    window: Window,
    bail_grants: Iterable[Episode],
    cautions: Iterable[Caution],
) -> WindowSummary:
    before: dict[str, set[Any]] = {name: set() for name in _COUNT_NAMES}
    within: dict[str, set[Any]] = {name: set() for name in _COUNT_NAMES}

    def put(name: str, day: dt.date, key: Any) -> None:
        if window.before(day):
            before[name].add(key)
        elif window.contains(day):
            within[name].add(key)

    for arrest_id, arrest in history.arrests.items():
        put("arrests", arrest.date, arrest_id)
    for charge_id, charge in history.charges.items():
        put("charges", charge.date, charge_id)
    for bail in bail_grants:
        put("bail_grants", bail.start, bail.ref)
    for hearing_id, hearing in latest_by_id(history, CourtAppearance, "hearing_id").items():
        put("court_cases", hearing.date, hearing.case_id)
        put("court_appearances", hearing.date, hearing_id)
    charges = history.charges
    for charge_id, conviction in history.convictions.items():
        if charge_id in charges:  # outcomes of unknown or retracted charges count nowhere
            put("convictions", conviction.date, charge_id)
    for caution in cautions:
        put("cautions", caution.date, caution.caution_id)
    for sentence in latest_by_id(history, Sentence, "sentence_id").values():
        put("sentencing_occasions", sentence.date, sentence.date)
    if window.start is None:
        converted_before = Conversion()
    else:
        converted_before = conversion(history, Window(None, window.start - _ONE_DAY))
    return WindowSummary(
        Counts(**{k: len(v) for k, v in before.items()}, conversion=converted_before),
        Counts(**{k: len(v) for k, v in within.items()}, conversion=conversion(history, window)),
    )


# --- the timeline ---------------------------------------------------------------------


@functools.cache
def _codec() -> Codec:
    return Codec()


def _describe(event: Event) -> str:
    # The source is said once: in the title (one record), or in its own column (a person).
    skip = {"event_id", "offender_id", "source", "date", "recorded_at", "schema_version", "type"}
    fields = _codec().encode(event)
    parts = []
    for key, value in fields.items():
        if key in skip:
            continue
        if isinstance(value, dict):
            value = value.get("category", value)
        elif isinstance(value, list):  # ids, or aliases (a name and a birth date each)
            value = ",".join(
                " ".join(map(str, v.values())) if isinstance(v, dict) else str(v) for v in value
            )
        parts.append(f"{key}={value}")
    return " ".join(parts)


@attrs.frozen(eq=False)
class Timeline(Tabular):
    """One offender's timeline in a window; build it with :func:`build_timeline`."""

    offender_id: str
    window: Window
    #: The transaction time the history was cut at (``None`` = everything known).
    as_of: dt.datetime | None
    #: The exclusive end of open episodes: the day after the ``as_of`` date.
    open_end: dt.date
    #: Effective events dated in the window, in date order.
    events: tuple[Event, ...]
    #: Every episode of the history (not only the window's), for look-ups.
    episodes: Episodes
    #: Flags for offences dated in the window, by offence date.
    flags: tuple[Flag, ...]
    summary: WindowSummary

    @property
    def episodes_in_window(self) -> list[Episode]:
        """Episodes that overlap the window (an empty episode counts if it starts in it)."""
        start, end = self.window.start, self.window.end
        return [
            e
            for e in self.episodes
            if (end is None or e.start <= end)
            and (start is None or e.end > start or (e.start == e.end and e.start >= start))
        ]

    def covering(self, day: dt.date) -> list[Episode]:
        """Every episode (any kind) that covers ``day``."""
        return [e for kind in EpisodeKind for e in self.episodes.covering(kind, day)]

    def check(self) -> None:
        """Assert the invariants; tests call it after building a timeline."""
        self.episodes.check()
        for episode in self.episodes:
            if episode.open:
                assert episode.end == max(episode.start, self.open_end), episode
        days = [e.date for e in self.events]
        assert days == sorted(days), "events out of date order"
        assert all(self.window.contains(d) for d in days), "event outside the window"
        for flag in self.flags:
            assert self.window.contains(flag.offence_date), flag
            assert flag.kind in FLAGGING_KINDS, flag
            covering = [
                e
                for e in self.episodes.covering(flag.kind, flag.offence_date)
                if not (flag.kind is EpisodeKind.ON_BAIL and flag.offence_id in e.charge_ids)
            ]
            assert covering, flag
            assert covering[0].ref == flag.episode_ref, flag
        assert len(set(map(attrs.astuple, self.flags))) == len(self.flags), "duplicate flags"
        for counts in (self.summary.before, self.summary.within):
            assert all(getattr(counts, name) >= 0 for name in _COUNT_NAMES), counts
            c = counts.conversion
            assert c.charges == c.convicted + c.not_convicted + c.pending, c
        assert self.summary.within.conversion.charges == self.summary.within.charges

    def table(self) -> Table:
        """The window summary: each count before the window and within it."""
        return self.summary.table(f"Timeline of {self.offender_id}: window summary")

    @property
    def flag_counts(self) -> dict[str, int]:
        """Flagged offences by kind of episode (``on_bail``, ``suspended_sentence``, ...)."""
        counts: dict[str, int] = {}
        for flag in self.flags:
            counts[flag.kind.value] = counts.get(flag.kind.value, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def events_table(self) -> Table:
        """One row per event in the window, with the fields analysts filter on."""
        codec = _codec()
        columns = (
            Column("date", "date"),
            Column("type", "category"),
            Column("event_id"),
            Column("recorded_at", "datetime"),
            Column("category", "category"),
            Column("charge_id"),
            Column("arrest_id"),
            Column("case_id"),
            Column("outcome", "category"),
            Column("length_days", "int"),
        )
        rows = []
        for event in self.events:
            raw = codec.encode(event)
            outcome = raw.get("outcome") or raw.get("disposal") or raw.get("kind")
            rows.append(
                (
                    event.date,
                    event.TYPE,
                    event.event_id,
                    event.recorded_at,
                    raw.get("offence", {}).get("category"),
                    raw.get("charge_id"),
                    raw.get("arrest_id"),
                    raw.get("case_id"),
                    outcome,
                    raw.get("length_days"),
                )
            )
        return Table(f"Timeline of {self.offender_id}: events", columns, tuple(rows))

    def episodes_table(self) -> Table:
        """One row per episode overlapping the window (``end`` exclusive)."""
        columns = (
            Column("kind", "category"),
            Column("start", "date"),
            Column("end", "date"),
            Column("open", "bool"),
            Column("ref"),
            Column("start_event_id"),
            Column("end_event_id"),
        )
        rows = tuple(
            (e.kind.value, e.start, e.end, e.open, e.ref, e.start_event_id, e.end_event_id)
            for e in self.episodes_in_window
        )
        return Table(f"Timeline of {self.offender_id}: episodes", columns, rows)

    def flags_table(self) -> Table:
        """One row per flagged offence."""
        columns = (
            Column("kind", "category"),
            Column("offence_date", "date"),
            Column("offence_type", "category"),
            Column("offence_id"),
            Column("event_id"),
            Column("episode_ref"),
        )
        rows = tuple(
            (f.kind.value, f.offence_date, f.offence_type, f.offence_id, f.event_id, f.episode_ref)
            for f in self.flags
        )
        return Table(f"Timeline of {self.offender_id}: flags", columns, rows)

    def to_pandas(self, part: str = "events") -> Any:
        """``events`` (default), ``episodes``, ``flags`` or ``summary`` as a DataFrame."""
        tables = {
            "events": self.events_table,
            "episodes": self.episodes_table,
            "flags": self.flags_table,
            "summary": self.table,
        }
        if part not in tables:
            raise ValueError(f"part must be one of {', '.join(tables)}, not {part!r}")
        return tables[part]().to_pandas()

    def _repr_html_(self) -> str:
        return "".join(
            t.to_html() for t in (self.table(), self.episodes_table(), self.flags_table())
        )

    def to_json(self) -> dict[str, Any]:
        """Events (wire format), episodes, flags and summary, JSON-ready."""
        codec = _codec()
        return {
            "offender_id": self.offender_id,
            "window": {
                "from": self.window.start.isoformat() if self.window.start else None,
                "to": self.window.end.isoformat() if self.window.end else None,
            },
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "events": [codec.encode(e) for e in self.events],
            "episodes": [e.to_json() for e in self.episodes_in_window],
            "flags": [f.to_json() for f in self.flags],
            "summary": self.summary.to_json(),
        }

    def __str__(self) -> str:
        span = span_in_words(self.window.start, self.window.end)
        flagged = (
            ", ".join(f"{label(kind, capital=False)} {n}" for kind, n in self.flag_counts.items())
            or "none"
        )
        episodes = sorted(self.episodes_in_window, key=lambda e: (e.start, e.kind))
        episode_rows = tuple(
            (e.kind.value, e.start, "open" if e.open else e.end.isoformat(), e.ref)
            for e in episodes
        )
        episode_table = Table(
            "",
            (
                Column("kind", unit="code"),
                Column("start", "date"),
                Column("end (exclusive)"),
                Column("ref"),
            ),
            episode_rows,
        )
        flag_table = Table(
            "",
            (
                Column("offence_date", "date", "offence date"),
                Column("offence", unit="code"),
                Column("id"),
                Column("committed", unit="code"),
                Column("episode"),
            ),
            tuple(
                (f.offence_date, f.offence_type, f.offence_id, f.kind.value, f.episode_ref)
                for f in self.flags
            ),
        )
        records = {record_key(e.source, e.offender_id) for e in self.events}
        if len(records) > 1:  # a person of several records: each event says whose it is
            event_table = Table(
                "",
                (
                    Column("date", "date"),
                    Column("record"),
                    Column("type", unit="code"),
                    Column("details"),
                ),
                tuple(
                    (e.date, record_key(e.source, e.offender_id), e.TYPE, _describe(e))
                    for e in self.events
                ),
            )
        else:
            event_table = Table(
                "",
                (Column("date", "date"), Column("type", unit="code"), Column("details")),
                tuple((e.date, e.TYPE, _describe(e)) for e in self.events),
            )
        lines = [
            f"Timeline of {printable(self.offender_id)}, {span}",
            "",
            str(self.summary),
            f"flagged offences by kind: {flagged}",
            "",
            f"Episodes ({len(episodes)}):",
        ]
        if episodes:
            lines.append(episode_table.to_text(title=False))
        lines.append(f"Flags ({len(self.flags)}):")
        if self.flags:
            lines.append(flag_table.to_text(title=False))
        lines.append(f"Events ({len(self.events)}):")
        if self.events:
            lines.append(event_table.to_text(title=False))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Timeline({self.offender_id!r}, events={len(self.events)}, "
            f"episodes={len(self.episodes)}, flags={len(self.flags)})"
        )


def build_timeline(
    history: History, window: Window = ALL_TIME, *, as_of: dt.datetime | None = None
) -> Timeline:
    """The timeline of one offender's history in ``window``.

    ``as_of`` only sets where open episodes end (default: the history's own ``as_of``,
    else now); the history itself must already be cut at the transaction time wanted.
    Cost: one pass over the history plus O(log n) per offence.
    """
    when = as_of if as_of is not None else history.as_of
    open_end = as_of_date(when) + _ONE_DAY
    episode_list, _ = derive_episodes(history, open_end)
    episodes = Episodes(episode_list)
    cautions = latest_cautions(history)
    offences: list[Charge | Caution] = [
        o for o in history.charges.values() if window.contains(o.offence_date)
    ]
    offences.extend(o for o in cautions.values() if window.contains(o.offence_date))
    flags = sorted(offence_flags(offences, episodes), key=lambda f: (f.offence_date, f.event_id))
    summary = _summary(history, window, episodes.of_kind(EpisodeKind.ON_BAIL), cautions.values())
    events = tuple(e for e in history.journey if window.contains(e.date))
    return Timeline(
        history.offender_id, window, when, open_end, events, episodes, tuple(flags), summary
    )
