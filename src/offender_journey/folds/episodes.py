"""Episodes and flags: the stretches of time an offender spends on bail, remanded, in
custody, on licence or under an order, and the offences committed inside one.

Episodes are half-open day intervals ``[start, end)`` derived from pairs of events
(bail granted → ended, sentence → release, ...). They are kept per kind in a list
ordered by start, so "which episodes cover day d" costs a binary search plus the few
episodes that start near ``d``.
An episode with no end event is *open*: it runs to the given ``open_end`` day.

Offences (charges and cautions, by ``offence_date``) committed inside an
``on_bail``, ``on_licence``, ``suspended_sentence`` or ``community_order`` episode
are flagged with that kind, except that a bail never flags the charges it was
granted for.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

import attrs

from ..events import (
    BailEnded,
    BailGranted,
    Caution,
    Charge,
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
from ..history import History

__all__ = [
    "Episode",
    "EpisodeKind",
    "Episodes",
    "Flag",
    "Oddity",
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
        #: Per kind, a tree of the latest end below each node (built when first asked).
        self._ends: dict[EpisodeKind, list[dt.date]] = {}
        for episode in episodes:
            self._by_kind.setdefault(episode.kind, []).append(episode)
        for kind, listed in self._by_kind.items():
            listed.sort(key=_START)  # stable: equal starts keep the order given
            self._starts[kind] = [e.start for e in listed]
            self._longest[kind] = max(max(e.end - e.start for e in listed), _NO_TIME)

    def add(self, episode: Episode) -> None:
        """Insert one episode, after any with the same start. Cost: O(log n) plus the move."""
        kind = episode.kind
        starts = self._starts.get(kind)
        length = episode.end - episode.start
        self._ends.pop(kind, None)
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

    def first_covering(
        self,
        kind: EpisodeKind,
        day: dt.date,
        *,
        skip: Callable[[Episode], bool] | None = None,
        started_before: bool = False,
    ) -> Episode | None:
        """The earliest-starting episode of ``kind`` with ``start <= day < end``, if any.

        ``skip`` passes over episodes it is true of; ``started_before`` asks for
        ``start < day``. Cost: O(log n) per episode looked at (the first, plus those
        skipped), however many episodes cover ``day``: a tree of the latest end below
        each node finds the first one ending after ``day`` without looking at the rest.
        """
        starts = self._starts.get(kind)
        if starts is None:
            return None
        episodes = self._by_kind[kind]
        stop = (bisect.bisect_left if started_before else bisect.bisect_right)(starts, day)
        if stop <= _FEW:  # a person's few episodes: looking at each beats building the tree
            for episode in itertools.islice(episodes, stop):
                if episode.end > day and (skip is None or not skip(episode)):
                    return episode
            return None
        tree = self._ends.get(kind)
        if tree is None:
            tree = self._ends[kind] = _max_tree([e.end for e in episodes])
        at = 0
        while (found := _first_after(tree, at, stop, day)) is not None:
            episode = episodes[found]
            if skip is None or not skip(episode):
                return episode
            at = found + 1
        return None

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
#: Up to this many episodes started by the day asked about, a cover is found by looking at
#: each in turn (the same one the tree finds: the first by start that ends after the day).
_FEW = 16
_START = attrgetter("start")


def _max_tree(values: list[dt.date]) -> list[dt.date]:
    """A binary tree over ``values`` (leaves from index ``len(tree) // 2``), each node the max."""
    size = 1 << max(len(values) - 1, 0).bit_length()
    tree = [dt.date.min] * (2 * size)
    tree[size : size + len(values)] = values
    for node in range(size - 1, 0, -1):
        left, right = tree[2 * node], tree[2 * node + 1]
        tree[node] = left if left > right else right
    return tree


def _first_after(tree: list[dt.date], lo: int, hi: int, day: dt.date) -> int | None:
    """The first index in ``[lo, hi)`` whose value is after ``day`` (O(log n)), if any."""
    size = len(tree) // 2
    pending = [(1, 0, size)]
    while pending:
        node, start, stop = pending.pop()
        if stop <= lo or start >= hi or tree[node] <= day:
            continue
        if stop - start == 1:
            return start
        middle = (start + stop) // 2
        pending.append((2 * node + 1, middle, stop))
        pending.append((2 * node, start, middle))  # the left half first
    return None


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
    return _orders_interrupted(episodes), oddities


def _orders_interrupted(episodes: list[Episode]) -> list[Episode]:
    """Community orders ended by the first prison term that starts during them.

    An order cannot be served from prison: a custodial sentence or a recall that begins
    while it runs ends it there (the order is revoked, or breached and re-sentenced).
    """
    prison = sorted(e.start for e in episodes if e.kind is EpisodeKind.IN_CUSTODY)
    if not prison:
        return episodes
    starts = {e.start: e.start_event_id for e in episodes if e.kind is EpisodeKind.IN_CUSTODY}
    cut = []
    for episode in episodes:
        if episode.kind is EpisodeKind.COMMUNITY_ORDER:
            at = bisect.bisect_right(prison, episode.start)
            if at < len(prison) and prison[at] < episode.end:
                day = prison[at]
                episode = attrs.evolve(episode, end=day, end_event_id=starts[day], open=False)
        cut.append(episode)
    return cut


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


def _lists(charge_id: str) -> Callable[[Episode], bool]:
    """Whether an episode lists ``charge_id`` (a bail granted for that very charge)."""
    return lambda episode: charge_id in episode.charge_ids


def offence_flags(offences: Iterable[Charge | Caution], episodes: Episodes) -> list[Flag]:
    """Flags of offences committed inside flagging episodes (bail never flags its own charges).

    Cost: O(log n) per offence and kind (see :meth:`Episodes.first_covering`).
    """
    flags: list[Flag] = []
    kinds = [kind for kind in FLAGGING_KINDS if episodes.of_kind(kind)]
    if not kinds:
        return flags
    for offence in offences:
        day = offence.offence_date
        is_charge = isinstance(offence, Charge)
        offence_id = offence.charge_id if isinstance(offence, Charge) else offence.caution_id
        for kind in kinds:
            own: Callable[[Episode], bool] | None = None
            if kind is EpisodeKind.ON_BAIL and is_charge:
                own = _lists(offence_id)
            first = episodes.first_covering(kind, day, skip=own)
            if first is not None:
                flags.append(
                    Flag(
                        kind,
                        day,
                        "charge" if is_charge else "caution",
                        offence_id,
                        offence.event_id,
                        first.ref,
                    )
                )
    return flags
