"""Explaining a revision: the numbers as of two transaction times, and what was recorded between.

An analyst who published figures as of *T1* and re-runs them as of *T2* gets different
numbers once late records and corrections have arrived. :func:`revision` computes both
reports with the same views and window, lists every headline number that moved, and
classifies the events recorded in ``(T1, T2]`` that explain the move:

* ``late`` — a record of something that happened (valid ``date``) on or before the
  London day of *T1*: it was true then, but not yet known;
* ``new`` — something that happened after *T1*'s day;
* ``retraction`` — a correction withdrawing an earlier event (counted by the type of
  the event it withdraws).

Examples:
    >>> import datetime as dt
    >>> from offender_journey.builder import JourneyBuilder
    >>> from offender_journey.store import InMemoryStore
    >>> t1 = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
    >>> j = JourneyBuilder("O1")
    >>> c = j.charge("2013-05-01", "shoplifting", recorded_at="2013-05-02T09:00:00+00:00")
    >>> _ = j.convict("2013-06-01", c, recorded_at="2014-02-01T09:00:00+00:00")
    >>> store = InMemoryStore()
    >>> _ = store.append(j.events)
    >>> r = revision(store, since=t1, as_of=dt.datetime(2014, 3, 1, tzinfo=dt.UTC))
    >>> r.changed("conversion.convicted")
    (0, 1)
    >>> r.recorded[0].kind, r.recorded[0].type, r.recorded[0].events
    ('late', 'conviction', 1)
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from .codec import parse_date
from .dates import when_in_words
from .events import EventRetracted
from .history import ALL_TIME, Window
from .labels import label
from .metrics import MetricsReport, compute_persons
from .store.base import EventStore
from .tables import Column, Table, Tabular, plural
from .views import ViewChoice

__all__ = ["Recorded", "Revision", "revision"]

ChangeKind = Literal["late", "new", "retraction"]

#: A number in a report, by its path in the report's JSON (e.g. ``conversion.rate``).
Path = str
Scalar = int | float | None


@attrs.frozen
class Recorded:
    """Events of one kind and type recorded between the two times."""

    kind: ChangeKind
    #: The event type (for a retraction: the type of the event it withdraws).
    type: str
    events: int
    offenders: int


@attrs.frozen
class Revision(Tabular):
    """Two reports of the same views and window, and what was recorded between them."""

    since: MetricsReport
    as_of: MetricsReport
    #: Events recorded in ``(since, as_of]``, by kind and type, most numerous first.
    recorded: tuple[Recorded, ...]
    #: ``offender_id -> events recorded between`` (every offender with any).
    by_offender: Mapping[str, int]

    def numbers(self) -> list[tuple[Path, Scalar, Scalar]]:
        """Every number of either report: ``(path, value as of since, value as of as_of)``."""
        before = dict(_flatten(self.since.to_json()))
        after = dict(_flatten(self.as_of.to_json()))
        paths = list(before) + [p for p in after if p not in before]
        return [(p, before.get(p), after.get(p)) for p in paths]

    def differences(self) -> list[tuple[Path, Scalar, Scalar]]:
        """The numbers that moved."""
        return [(p, a, b) for p, a, b in self.numbers() if a != b]

    def changed(self, path: Path) -> tuple[Scalar, Scalar]:
        """One number's value as of ``since`` and as of ``as_of``."""
        for p, a, b in self.numbers():
            if p == path:
                return a, b
        raise KeyError(path)

    def table(self) -> Table:
        """The numbers that moved, one row each (by their JSON paths)."""
        columns = (
            Column("number", "str"),
            Column("since", "str"),
            Column("as_of", "str"),
        )
        rows = tuple((p, _show(a, p), _show(b, p)) for p, a, b in self.differences())
        return Table("Numbers that changed", columns, rows)

    def recorded_table(self) -> Table:
        """The events recorded between, by kind and type."""
        columns = (
            Column("kind", "category"),
            Column("type", "category"),
            Column("events", "int"),
            Column("offenders", "int"),
        )
        rows = tuple((r.kind, r.type, r.events, r.offenders) for r in self.recorded)
        return Table("Events recorded between", columns, rows)

    def to_json(self, *, by_offender: bool = False) -> dict[str, Any]:
        """``{"since": report, "as_of": report, "changes": {...}}``."""
        changes: dict[str, Any] = {
            "recorded": [attrs.asdict(r) for r in self.recorded],
            "events": sum(r.events for r in self.recorded),
            "offenders": len(self.by_offender),
            "numbers": [{"number": p, "since": a, "as_of": b} for p, a, b in self.differences()],
        }
        if by_offender:
            changes["by_offender"] = dict(self.by_offender)
        return {"since": self.since.to_json(), "as_of": self.as_of.to_json(), "changes": changes}

    def __str__(self) -> str:
        since, as_of = self.since.as_of, self.as_of.as_of
        events = sum(r.events for r in self.recorded)
        head = (
            f"As of {when_in_words(since)} and as of {when_in_words(as_of)}: "
            f"{plural(events, 'event')} recorded between, for "
            f"{plural(len(self.by_offender), 'offender')}."
        )
        recorded = self.recorded_table()
        worded = tuple((label(k), label(t), n, o) for k, t, n, o in recorded.rows)
        parts = [head, "", attrs.evolve(recorded, rows=worded).to_text()]
        differences = self.differences()
        if differences:
            columns = (Column("number"), Column("since"), Column("as of"))
            rows = tuple((in_words(p), _show(a, p), _show(b, p)) for p, a, b in differences)
            parts += ["", Table("Numbers that changed", columns, rows).to_text()]
        else:
            parts += ["", "No number changed."]
        return "\n".join(parts)


def revision(
    store: EventStore,
    *,
    since: dt.datetime,
    as_of: dt.datetime | None = None,
    window: Window = ALL_TIME,
    views: Iterable[ViewChoice] | None = None,
) -> Revision:
    """The numbers as of ``since`` and as of ``as_of`` (default now), and what explains them.

    Cost: two passes over the store's streams (one per report) and one over the events
    recorded as of ``as_of``.
    """
    if since.utcoffset() is None:
        raise ValueError("since must be a datetime with a UTC offset")
    as_of = as_of if as_of is not None else dt.datetime.now(dt.UTC)
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be a datetime with a UTC offset")
    if as_of < since:
        raise ValueError(f"as_of {as_of.isoformat()} is before since {since.isoformat()}")
    chosen = list(views) if views is not None else None
    # each side counts the persons as they were linked then
    before = compute_persons(store, window=window, as_of=since, views=chosen)
    after = compute_persons(store, window=window, as_of=as_of, views=chosen)
    recorded, by_offender = _recorded_between(store, since, as_of)
    return Revision(before, after, recorded, by_offender)


def _recorded_between(
    store: EventStore, since: dt.datetime, as_of: dt.datetime
) -> tuple[tuple[Recorded, ...], dict[str, int]]:
    cutoff_day = parse_date(since)
    events: Counter[tuple[ChangeKind, str]] = Counter()
    offenders: dict[tuple[ChangeKind, str], set[str]] = {}
    by_offender: dict[str, int] = {}
    for offender_id, stream in store.read_all(as_of=as_of):
        types = {event.event_id: event.TYPE for event in stream}
        for event in stream:
            recorded = event.recorded_at
            if recorded is None or recorded <= since:
                continue
            key: tuple[ChangeKind, str]
            if isinstance(event, EventRetracted):
                key = ("retraction", types.get(event.target_event_id, "unknown"))
            elif event.date <= cutoff_day:
                key = ("late", event.TYPE)
            else:
                key = ("new", event.TYPE)
            events[key] += 1
            offenders.setdefault(key, set()).add(offender_id)
            by_offender[offender_id] = by_offender.get(offender_id, 0) + 1
    ordered = sorted(events.items(), key=lambda item: (-item[1], item[0]))
    rows = tuple(
        Recorded(kind, kind_type, n, len(offenders[(kind, kind_type)]))
        for (kind, kind_type), n in ordered
    )
    return rows, by_offender


def _flatten(value: Any, path: str = "") -> Iterator[tuple[Path, Scalar]]:
    """Numeric leaves of a report's JSON by path; list items keyed by their first field."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            label = next(iter(item.values())) if isinstance(item, Mapping) and item else i
            yield from _flatten(item, f"{path}[{label}]")
    elif value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        yield path, value


def _show(value: Scalar, path: Path = "") -> str:
    """A number as the rest of the text shows it: rates and shares in per cent."""
    if value is None:
        return "-"
    if isinstance(value, float) and _is_share(path):
        return f"{100 * value:.1f} %"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _is_share(path: Path) -> bool:
    """Whether the number at ``path`` is a fraction (a rate or a share) by its name."""
    last = path.rpartition(".")[2]
    return last.endswith("rate") or "share" in last


def in_words(path: Path) -> str:
    """A number's JSON path as a reader says it: each part by its label.

    Examples:
        >>> in_words("reoffending.by_index.court_non_custodial.per_offender")
        'Reoffending / by index / court sentence, not custody / per offender'
        >>> in_words("days_by_sentencing_occasion[2].arrest_to_conviction.mean")
        'Days by sentencing occasion 2 / arrest to conviction / mean'
    """
    parts = path.replace("[", ".[").split(".")
    head, rest = parts[0], parts[1:]
    words = label(head)
    while rest and rest[0].startswith("["):
        words += " " + rest.pop(0).strip("[]")
    if not rest:
        return words
    return " / ".join([words, *(label(part, capital=False) for part in rest)])
