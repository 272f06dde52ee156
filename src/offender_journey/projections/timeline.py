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

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

import attrs

from ..codec import Codec
from ..events import (
    BailEnded,
    BailGranted,
    Caution,
    Charge,
    CourtAppearance,
    Disposal,
    Event,
    LicenceEnded,
    LicenceRecalled,
    ReleasedOnLicence,
    RemandedInCustody,
    RemandEnded,
    ReturnedToCustody,
    Sentence,
    WarrantExecuted,
    WarrantIssued,
    WarrantWithdrawn,
)
from ..tables import Column, Table, Tabular
from .base import ALL_TIME, History, Window, as_of_date
from .conversion import Conversion, conversion

__all__ = [
    "Counts",
    "Episode",
    "EpisodeKind",
    "Episodes",
    "Flag",
    "Oddity",
    "Timeline",
    "WindowSummary",
    "build_timeline",
    "derive_episodes",
    "latest_by_id",
    "latest_cautions",
    "offence_flags",
]

_ONE_DAY = dt.timedelta(days=1)

S = TypeVar("S", bound=Event)


class EpisodeKind(StrEnum):
    """What state an episode is: the seven kinds of docs/definitions.md."""

    ON_BAIL = "on_bail"
    REMANDED = "remanded"
    IN_CUSTODY = "in_custody"
    ON_LICENCE = "on_licence"
    SUSPENDED_SENTENCE = "suspended_sentence"
    COMMUNITY_ORDER = "community_order"
    WARRANT_OUTSTANDING = "warrant_outstanding"


#: Episode kinds that flag the offences committed inside them.
FLAGGING_KINDS = (
    EpisodeKind.ON_BAIL,
    EpisodeKind.ON_LICENCE,
    EpisodeKind.SUSPENDED_SENTENCE,
    EpisodeKind.COMMUNITY_ORDER,
)


@attrs.frozen
class Episode:
    """A half-open interval of days ``[start, end)`` in one state.

    ``ref`` is the id that ties the events together (bail, remand, sentence,
    licence or warrant id); ``open`` says no end event was known at ``as_of``.
    """

    kind: EpisodeKind
    start: dt.date
    end: dt.date
    ref: str
    start_event_id: str
    end_event_id: str | None = None
    open: bool = False
    #: For bail and remand: the charges the episode is for.
    charge_ids: tuple[str, ...] = ()

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` is inside ``[start, end)``."""
        return self.start <= day < self.end

    @property
    def days(self) -> int:
        """Length in days (0 for an empty episode)."""
        return (self.end - self.start).days

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; ``end`` is exclusive."""
        return {
            "kind": self.kind.value,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "open": self.open,
            "ref": self.ref,
            "start_event_id": self.start_event_id,
            "end_event_id": self.end_event_id,
            "charge_ids": list(self.charge_ids),
        }


@attrs.frozen
class Oddity:
    """A stored-but-untrusted fact: its kind, the event showing it, the day it counts on."""

    kind: str
    event_id: str
    day: dt.date


class Episodes:
    """Episodes per kind, each kind a list ordered by start; fast cover look-ups.

    Examples:
        >>> bail = Episode(EpisodeKind.ON_BAIL, dt.date(2013, 1, 1), dt.date(2013, 2, 1), "b", "e1")
        >>> eps = Episodes([bail])
        >>> [e.ref for e in eps.covering(EpisodeKind.ON_BAIL, dt.date(2013, 1, 31))]
        ['b']
        >>> eps.covering(EpisodeKind.ON_BAIL, dt.date(2013, 2, 1))
        []
    """

    def __init__(self, episodes: Iterable[Episode] = ()) -> None:
        # Made per offender, often for few episodes: a kind's lists exist once it has one.
        self._by_kind: dict[EpisodeKind, list[Episode]] = {}
        self._starts: dict[EpisodeKind, list[dt.date]] = {}
        self._longest: dict[EpisodeKind, dt.timedelta] = {}
        for episode in episodes:
            self.add(episode)

    def add(self, episode: Episode) -> None:
        """Insert one episode, after any with the same start. Cost: O(log n) plus the move."""
        kind = episode.kind
        starts = self._starts.get(kind)
        length = episode.end - episode.start
        if starts is None:
            self._by_kind[kind] = [episode]
            self._starts[kind] = [episode.start]
            self._longest[kind] = max(length, _NO_TIME)
            return
        at = bisect.bisect_right(starts, episode.start)
        starts.insert(at, episode.start)
        self._by_kind[kind].insert(at, episode)
        if length > self._longest[kind]:
            self._longest[kind] = length

    def of_kind(self, kind: EpisodeKind) -> Sequence[Episode]:
        """One kind's episodes, ordered by start."""
        return self._by_kind.get(kind, ())

    def covering(self, kind: EpisodeKind, day: dt.date) -> list[Episode]:
        """Episodes of ``kind`` with ``start <= day < end``, by start.

        Cost: O(log n) plus the episodes starting within the longest episode's length of ``day``.
        """
        starts = self._starts.get(kind)
        if starts is None:
            return []
        try:
            earliest = day - self._longest[kind]
        except OverflowError:
            earliest = dt.date.min
        episodes = self._by_kind[kind]
        first = bisect.bisect_left(starts, earliest)
        stop = bisect.bisect_right(starts, day, first)
        return [e for e in episodes[first:stop] if e.end > day]

    def __iter__(self) -> Iterator[Episode]:
        """Every episode, grouped by kind (in the documented order), each kind by start."""
        for kind in EpisodeKind:
            yield from self._by_kind.get(kind, ())

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_kind.values())

    def check(self) -> None:
        """Assert the structure: sorted by start, right kind, ``start <= end``."""
        for kind, episodes in self._by_kind.items():
            assert self._starts[kind] == [e.start for e in episodes], kind
            assert self._starts[kind] == sorted(self._starts[kind]), kind
            for episode in episodes:
                assert episode.kind is kind, episode
                assert episode.start <= episode.end, episode
                assert episode.end - episode.start <= self._longest[kind], episode


_NO_TIME = dt.timedelta()


def _first_on_or_after(ends: Sequence[Event], day: dt.date) -> Event | None:
    for end in ends:
        if end.date >= day:
            return end
    return None


_DATE = attrgetter("date")

#: The episode kind of each community sentence.
_ORDER_KIND = {
    Disposal.SUSPENDED_SENTENCE: EpisodeKind.SUSPENDED_SENTENCE,
    Disposal.COMMUNITY_ORDER: EpisodeKind.COMMUNITY_ORDER,
}


def derive_episodes(history: History, open_end: dt.date) -> tuple[list[Episode], list[Oddity]]:
    """Every episode of a history, and the oddities met on the way.

    ``open_end`` is the exclusive end given to episodes without an end event.
    Rules where practice leaves a choice (see ``docs/views.md``): a re-sent start id keeps
    the one recorded last; the end of an episode is the first matching end event
    dated on or after its start; end events dated before the start are ignored and
    reported, and if nothing else ends the episode it is empty (``end = start``).
    """
    oddities: list[Oddity] = []

    def starts(kind: type[S], ref: Callable[[S], str]) -> dict[str, S]:
        latest: dict[str, S] = {}
        for event in history.of_type_recorded(kind):
            key = ref(event)
            if key in latest:
                oddities.append(Oddity("resent_id", event.event_id, event.date))
            latest[key] = event
        return latest

    def ends(kinds: tuple[type[Event], ...], field: str) -> dict[str, list[Event]]:
        grouped: dict[str, list[Event]] = {}
        key = attrgetter(field)
        for kind in kinds:
            for event in history.of_type(kind):  # date order
                grouped.setdefault(key(event), []).append(event)
        if len(kinds) > 1:
            for items in grouped.values():
                items.sort(key=_DATE)  # stable: merges two kinds by date
        return grouped

    bails = starts(BailGranted, attrgetter("bail_id"))
    remands = starts(RemandedInCustody, attrgetter("remand_id"))
    warrants = starts(WarrantIssued, attrgetter("warrant_id"))
    sentences = starts(Sentence, attrgetter("sentence_id"))
    licences = starts(ReleasedOnLicence, attrgetter("licence_id"))
    bail_ends = ends((BailEnded,), "bail_id")
    remand_ends = ends((RemandEnded,), "remand_id")
    warrant_ends = ends((WarrantExecuted, WarrantWithdrawn), "warrant_id")
    licence_stops = ends((LicenceRecalled, LicenceEnded), "licence_id")
    returns = history.of_type(ReturnedToCustody)

    episodes: list[Episode] = []

    def close(
        kind: EpisodeKind,
        ref: str,
        start: Event,
        ends: Sequence[Event],
        charge_ids: tuple[str, ...] = (),
    ) -> None:
        early = [e for e in ends if e.date < start.date]
        if early:
            oddities.extend(Oddity("episode_ends_before_start", e.event_id, e.date) for e in early)
        end = _first_on_or_after(ends, start.date)
        if end is not None:
            stop, end_id, is_open = end.date, end.event_id, False
        elif early:  # nothing ends it after its start: an empty episode
            stop, end_id, is_open = start.date, early[-1].event_id, False
        else:
            stop, end_id, is_open = max(start.date, open_end), None, True
        episodes.append(
            Episode(kind, start.date, stop, ref, start.event_id, end_id, is_open, charge_ids)
        )

    for ref, bail in bails.items():
        close(EpisodeKind.ON_BAIL, ref, bail, bail_ends.get(ref, ()), bail.charge_ids)
    for ref, remand in remands.items():
        close(EpisodeKind.REMANDED, ref, remand, remand_ends.get(ref, ()), remand.charge_ids)
    for ref, warrant in warrants.items():
        close(EpisodeKind.WARRANT_OUTSTANDING, ref, warrant, warrant_ends.get(ref, ()))
    orphans: list[tuple[Mapping[str, Event], Mapping[str, Sequence[Event]], str]] = [
        (bails, bail_ends, "bail_ended_without_grant"),
        (remands, remand_ends, "remand_ended_without_remand"),
        (warrants, warrant_ends, "warrant_closed_without_issue"),
        (licences, licence_stops, "licence_event_without_release"),
        (
            licences,
            ends((ReturnedToCustody,), "licence_id"),
            "licence_event_without_release",
        ),
    ]
    for known, ended, oddity in orphans:
        for ref, items in ended.items():
            if ref not in known:
                oddities.extend(Oddity(oddity, e.event_id, e.date) for e in items)

    releases_of: dict[str, list[ReleasedOnLicence]] = {}
    for licence in licences.values():
        releases_of.setdefault(licence.sentence_id, []).append(licence)
    for items in releases_of.values():
        items.sort(key=_DATE)

    for ref, sentence in sentences.items():
        disposal = sentence.disposal
        if disposal is Disposal.IMMEDIATE_CUSTODY:
            close(EpisodeKind.IN_CUSTODY, ref, sentence, releases_of.get(ref, ()))
        elif disposal is Disposal.SUSPENDED_SENTENCE or disposal is Disposal.COMMUNITY_ORDER:
            order = _ORDER_KIND[disposal]
            if sentence.length_days is None:
                oddities.append(Oddity("order_without_length", sentence.event_id, sentence.date))
                close(order, ref, sentence, ())
            else:
                end = sentence.date + dt.timedelta(days=sentence.length_days)
                episodes.append(Episode(order, sentence.date, end, ref, sentence.event_id))

    for ref, licence in licences.items():
        served = sentences.get(licence.sentence_id)
        if served is None or served.disposal is not Disposal.IMMEDIATE_CUSTODY:
            oddities.append(
                Oddity("release_without_custodial_sentence", licence.event_id, licence.date)
            )
        stops = licence_stops.get(ref, ())
        oddities.extend(
            Oddity("episode_ends_before_start", s.event_id, s.date)
            for s in stops
            if s.date < licence.date
        )
        stop = _first_on_or_after(stops, licence.date)
        if stop is not None and stop.date <= licence.licence_end:
            end_day, end_id = stop.date, stop.event_id
        else:
            end_day, end_id = licence.licence_end, None
        if end_day < licence.date:
            oddities.append(Oddity("episode_ends_before_start", licence.event_id, licence.date))
            end_day = licence.date
        episodes.append(
            Episode(EpisodeKind.ON_LICENCE, licence.date, end_day, ref, licence.event_id, end_id)
        )

    for back in returns:
        recalled = licences.get(back.licence_id)
        if recalled is None:  # reported as licence_event_without_release
            close(EpisodeKind.IN_CUSTODY, back.licence_id, back, ())
            continue
        later = [
            r
            for r in releases_of.get(recalled.sentence_id, ())
            if r is not recalled and r.date >= back.date
        ]
        # Back in custody until released again, but never beyond the licence's end.
        if later and later[0].date <= recalled.licence_end:
            end_day, end_id = later[0].date, later[0].event_id
        else:
            end_day, end_id = recalled.licence_end, None
        if end_day < back.date:
            oddities.append(Oddity("episode_ends_before_start", back.event_id, back.date))
            end_day = back.date
        episodes.append(
            Episode(
                EpisodeKind.IN_CUSTODY, back.date, end_day, back.licence_id, back.event_id, end_id
            )
        )
    return episodes, oddities


def latest_by_id(history: History, kind: type[S], field: str) -> dict[str, S]:
    """Events introducing things by id: a re-sent id keeps the one latest in transaction order.

    The identity rule for introducing events (arrest, charge, bail, remand, hearing,
    sentence, caution, licence, warrant): the earlier records of an id count nowhere.
    """
    return {getattr(e, field): e for e in history.of_type_recorded(kind)}


def latest_cautions(history: History) -> dict[str, Caution]:
    """Cautions by ``caution_id``; a re-sent id keeps the one recorded last."""
    return latest_by_id(history, Caution, "caution_id")


# --- flags -----------------------------------------------------------------------------


@attrs.frozen
class Flag:
    """An offence committed inside an episode of a flagging kind."""

    kind: EpisodeKind
    offence_date: dt.date
    #: ``charge`` or ``caution``.
    offence_type: str
    #: The charge id or caution id.
    offence_id: str
    event_id: str
    #: The ``ref`` of the (earliest-starting) episode that covers the offence.
    episode_ref: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "kind": self.kind.value,
            "offence_date": self.offence_date.isoformat(),
            "offence_type": self.offence_type,
            "offence_id": self.offence_id,
            "event_id": self.event_id,
            "episode_ref": self.episode_ref,
        }


def offence_flags(offences: Iterable[Charge | Caution], episodes: Episodes) -> list[Flag]:
    """Flags of offences committed inside flagging episodes (bail never flags its own charges)."""
    flags: list[Flag] = []
    kinds = [kind for kind in FLAGGING_KINDS if episodes.of_kind(kind)]
    if not kinds:
        return flags
    for offence in offences:
        day = offence.offence_date
        is_charge = isinstance(offence, Charge)
        offence_id = offence.charge_id if isinstance(offence, Charge) else offence.caution_id
        for kind in kinds:
            covering = episodes.covering(kind, day)
            if kind is EpisodeKind.ON_BAIL and is_charge:
                covering = [e for e in covering if offence_id not in e.charge_ids]
            if covering:
                flags.append(
                    Flag(
                        kind,
                        day,
                        "charge" if is_charge else "caution",
                        offence_id,
                        offence.event_id,
                        covering[0].ref,
                    )
                )
    return flags


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
    # The source is the timeline's record's own: its key says it once, in the title.
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
        start = self.window.start.isoformat() if self.window.start else "the start"
        end = self.window.end.isoformat() if self.window.end else "now"
        flagged = ", ".join(f"{kind} {n}" for kind, n in self.flag_counts.items()) or "none"
        episodes = sorted(self.episodes_in_window, key=lambda e: (e.start, e.kind))
        episode_rows = tuple(
            (e.kind.value, e.start, "open" if e.open else e.end.isoformat(), e.ref)
            for e in episodes
        )
        episode_table = Table(
            "",
            (Column("kind"), Column("start", "date"), Column("end (exclusive)"), Column("ref")),
            episode_rows,
        )
        flag_table = Table(
            "",
            (
                Column("offence_date", "date"),
                Column("offence"),
                Column("id"),
                Column("committed"),
                Column("episode"),
            ),
            tuple(
                (f.offence_date, f.offence_type, f.offence_id, f.kind.value, f.episode_ref)
                for f in self.flags
            ),
        )
        event_table = Table(
            "",
            (Column("date", "date"), Column("type"), Column("details")),
            tuple((e.date, e.TYPE, _describe(e)) for e in self.events),
        )
        lines = [
            f"Timeline of {self.offender_id}, {start} to {end}",
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
    events = tuple(e for e in history.events if window.contains(e.date))
    return Timeline(
        history.offender_id, window, when, open_end, events, episodes, tuple(flags), summary
    )
