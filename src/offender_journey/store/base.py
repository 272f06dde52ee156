"""What every event store promises, and the envelope it persists.

Stores never look inside events: the :class:`~offender_journey.codec.Codec` turns
each event into a :class:`Record` (stream, id, type, dates, canonical payload)
before it reaches a backend, so a new event type needs no store change.
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import gc
from collections.abc import (
    Callable,
    Collection,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import AbstractContextManager
from typing import Any, ClassVar, NamedTuple, Protocol, Self, TypeVar, runtime_checkable

import attrs

from ..codec import Codec, dumps, loads
from ..errors import ConflictError, InvalidEventError, RecordClashError
from ..events import Event, RecordLinked, record_key
from ..tables import events_table

__all__ = [
    "LINKS_INDEX",
    "AppendResult",
    "EventRow",
    "EventStore",
    "OffenderRange",
    "OffenderSummary",
    "Record",
    "Rewrites",
    "StoreBase",
    "Unreadable",
    "as_of_micros",
    "check_sources",
    "from_micros",
    "read_where",
    "streams_of",
    "event_rows",
    "events_in",
    "may_clash",
    "collect_young",
    "paused_collection",
    "prepare",
    "record_of",
    "split_batch",
    "to_micros",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: The link decisions alone, in the order they are read (SQLite and PostgreSQL alike):
#: they are few among millions of events, and every read that puts records together as
#: persons looks for them.
LINKS_INDEX = (
    "CREATE INDEX IF NOT EXISTS events_links ON events (offender_id, recorded_at, version)"
    f" WHERE type = '{RecordLinked.TYPE}'"
)

#: ``(first, stop)``: offender ids with ``first <= id < stop``; ``None`` leaves a side open.
OffenderRange = tuple[str | None, str | None]
_MICROSECOND = dt.timedelta(microseconds=1)


def to_micros(moment: dt.datetime) -> int:
    """An aware datetime as whole microseconds since 1970 UTC (sortable, exact)."""
    return (moment - _EPOCH) // _MICROSECOND


@functools.lru_cache(maxsize=256)
def from_micros(micros: int) -> dt.datetime:
    """The inverse of :func:`to_micros`.

    Remembers the last few instants: events stamped by the store share one per import
    batch, and building a datetime from microseconds costs several times the look-up.
    """
    return _EPOCH + dt.timedelta(0, 0, micros)  # positional: quicker, on every event read


def as_of_micros(as_of: dt.datetime | None) -> int:
    """The upper bound on ``recorded_at`` that an ``as_of`` read sees (all, when ``None``)."""
    if as_of is None:
        return 2**62
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be a datetime with a UTC offset")
    return to_micros(as_of)


#: Items (events, or lines of an import) handled between two collections of the young
#: generations while the automatic cycle collector is paused.
_COLLECT_EVERY = 50_000

_T = TypeVar("_T")


def read_where(
    as_of: dt.datetime | None,
    offenders: OffenderRange | None,
    visible: str,
    mark: str = "?",
    key: Callable[[str], Any] = str,
    types: Collection[str] | None = None,
) -> tuple[list[str], list[Any]]:
    """The ``WHERE`` conditions of a read of streams, with their parameters.

    Recorded by ``as_of``; ``visible`` (the condition leaving out restricted people);
    offender ids from the range's first (inclusive) to its stop (exclusive), passed
    through ``key`` (how the backend stores an id); events of ``types`` only, if given.
    ``mark`` is the dialect's placeholder.
    """
    first, stop = offenders or (None, None)
    where = [f"recorded_at <= {mark}", visible]
    params: list[Any] = [as_of_micros(as_of)]
    if types is not None:
        kinds = sorted(types)
        where.append(f"type IN ({', '.join([mark] * len(kinds))})" if kinds else "FALSE")
        params.extend(kinds)
    if first is not None:
        where.append(f"offender_id >= {mark}")
        params.append(key(first))
    if stop is not None:
        where.append(f"offender_id < {mark}")
        params.append(key(stop))
    return where, params


def streams_of(
    rows: Iterable[Sequence[Any]], decode: Callable[[list[Sequence[Any]]], list[Event]]
) -> Iterator[tuple[Any, list[Event]]]:
    """Rows ordered by offender id (their first column) → each offender's events, in turn.

    A stream none of whose rows can be read back is left out (see :class:`Unreadable`).
    """
    current: Any = None
    stream: list[Sequence[Any]] = []
    for row in rows:
        if row[0] != current:
            if stream and (events := decode(stream)):
                yield current, events
            current, stream = row[0], []
        stream.append(row)
    if stream and (events := decode(stream)):
        yield current, events


def _position(row: Unreadable) -> int:
    return row.position


def paused_collection(
    items: Iterable[_T],
    *,
    every: int | None = _COLLECT_EVERY,
    size: Callable[[_T], int] | None = None,
) -> Generator[_T, None, None]:
    """``items`` with Python's automatic cycle collection paused while they are handled.

    A read or an import builds a few objects per event and keeps a batch of them: left
    on, the collector scans them again and again (about a tenth of a refresh's or an
    import's CPU time). Events and histories hold no reference cycles, so reference
    counting frees them; the young generations are collected here once every ``every``
    units of ``size`` (an item each if ``None``; a stream counts its events) instead, for
    cycles a caller may make, so memory stays bounded. ``every=None`` leaves that to the
    caller, which knows when what it holds is least (see :func:`collect_young`).
    Automatic collection is restored when the iteration ends, fails or is closed (an
    abandoned one is closed when freed).
    """
    if not gc.isenabled():  # paused already (a read inside a read, an import)
        yield from items
        return
    gc.disable()
    try:
        if every is None:
            yield from items
            return
        handled = 0
        for item in items:
            handled += 1 if size is None else size(item)
            if handled >= every:
                collect_young()
                handled = 0
            yield item
    finally:
        gc.enable()


def collect_young() -> None:
    """Collect the young generations: the cycles made since the last collection.

    Its cost grows with the objects made since then and still alive, so while
    :func:`paused_collection` holds collection back, the cheapest moment is the one when
    least is held: for an import, just after a batch is written and let go.
    """
    gc.collect(1)


def events_in(stream: tuple[str, Sequence[Event]]) -> int:
    """The number of events of an ``(offender_id, events)`` pair (its size for a pause)."""
    return len(stream[1])


class Record(NamedTuple):
    """An event as a store keeps it.

    ``offender_id`` is the stream key: the key of the event's source record
    (:func:`~offender_journey.events.record_key`: ``source:offender_id``, or the bare
    ``offender_id`` without a source). ``event_id`` is the event's own id, unique
    within its ``source`` (``""`` for the default source).

    ``payload`` is the event's JSON *as given* (a line of input, or the canonical
    encoding of an event built in Python): it holds ``recorded_at`` only when the
    input did, so re-sending an event the store had timestamped itself is recognised
    as identical. It is decoded, and upcast, on every read.
    """

    offender_id: str
    event_id: str
    type: str
    date: str
    #: Transaction time in microseconds since 1970 UTC (given or assigned).
    recorded_at: int
    #: Whether ``recorded_at`` came with the event rather than from the store.
    recorded_at_given: bool
    payload: str
    #: The system the event came from; ``""`` for the default source.
    source: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """``(source, event_id)``: what is unique in a store."""
        return (self.source, self.event_id)


@attrs.frozen
class AppendResult:
    """What one append did: ids newly stored, and ids already present unchanged."""

    stored: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


def record_of(event: Event, payload: str, now: int) -> Record:
    """The record of ``event`` whose JSON as given is ``payload``; ``now`` stamps it if needed."""
    recorded = event.recorded_at
    return Record(
        record_key(event.source, event.offender_id),
        event.event_id,
        event.TYPE,
        event.date.isoformat(),
        now if recorded is None else to_micros(recorded),
        recorded is not None,
        payload,
        event.source or "",
    )


def prepare(codec: Codec, events: Iterable[Event], now: dt.datetime) -> list[Record]:
    """Encode events built in Python into records; those without ``recorded_at`` get ``now``."""
    stamp = to_micros(now)
    return [record_of(event, codec.encode_line(event), stamp) for event in events]


def split_batch(
    records: list[Record], stored: Mapping[tuple[str, str], str], codec: Codec
) -> tuple[list[Record], list[str]]:
    """Separate new records from duplicates, checking every id against ``stored`` payloads.

    ``stored`` maps :attr:`Record.key` (source and event id) to the payload kept.
    Raises :class:`ConflictError` naming every id whose content differs from what is
    stored or from an earlier record of the same batch.
    """
    if not stored and len({record.event_id for record in records}) == len(records):
        return list(records), []  # the common case of a bulk import: every id new
    seen: dict[tuple[str, str], str] = {}
    new: list[Record] = []
    duplicates: list[str] = []
    conflicts: list[str] = []
    for record in records:
        key = record.key
        known = stored.get(key, seen.get(key))
        if known is None:
            seen[key] = record.payload
            new.append(record)
        elif _same_content(codec, known, record.payload):
            duplicates.append(record.event_id)
        elif record.event_id not in conflicts:
            conflicts.append(record.event_id)
    if conflicts:
        raise ConflictError(conflicts)
    return new, duplicates


def _same_content(codec: Codec, stored: str, payload: str) -> bool:
    """Whether ``payload`` says what ``stored`` does; a stored row that cannot be read back
    says nothing the same (re-sending its id is a conflict, not a duplicate)."""
    try:
        return codec.same_content(stored, payload)
    except Exception:  # noqa: BLE001 - an unreadable stored row (see Unreadable)
        return False


def check_sources(records: Sequence[Record], stored: Mapping[str, str]) -> None:
    """Refuse records whose stream key another source's records already use.

    ``stored`` maps stream keys to the source of the events stored under them (only the
    keys :func:`may_clash` picks need be given).

    Raises:
        RecordClashError: naming each such key.
    """
    seen = dict(stored)
    clashes: list[str] = []
    for record in records:
        key, source = record.offender_id, record.source
        if seen.setdefault(key, source) != source and key not in clashes:
            clashes.append(key)
    if clashes:
        raise RecordClashError(clashes)


def may_clash(records: Iterable[Record]) -> list[str]:
    """The stream keys of ``records`` that a record of another source could share, sorted.

    Only a key with a ``:`` can (a default-source id spelt like ``police:P1``): a store
    without sources looks nothing up.
    """
    return sorted({record.offender_id for record in records if ":" in record.offender_id})


class Unreadable(NamedTuple):
    """A stored row the library cannot read back as an event, left out of every read.

    Stores refuse such rows, but a row can still be there: written straight into the
    database (SQLite has no server to refuse it; the owner of a PostgreSQL store may
    bypass the checks) or kept from a release with looser rules. The reason names what
    is wrong, never the row's content.
    """

    #: The stream key the row is stored under (as the store reads it back).
    offender_id: str
    #: Its global position (the store's order of appends).
    position: int
    #: Its ``event_id`` column as stored.
    event_id: str
    #: Why it cannot be read (which check fails), without any of its values.
    reason: str


def unreadable_reason(codec: Codec, row: Sequence[Any], exc: BaseException) -> str:
    """What is wrong with a stored row ``(offender_id, recorded_at or null, payload, ...)``
    (see :meth:`StoreBase._decode`) that ``exc`` stopped reading, naming no value of it."""
    try:
        raw = loads(row[2])
    except RecursionError:
        return "nested too deeply to read"
    except ValueError:
        return "not valid JSON"
    if type(raw) is not dict:
        return "not a JSON object"
    if row[1] is not None:
        try:
            from_micros(row[1])
        except (TypeError, ValueError, OverflowError):
            return "recorded_at column is not an instant"
    if isinstance(exc, InvalidEventError):
        fields = sorted({problem.field for problem in exc.problems if problem.field})
        if fields:
            return "invalid " + ", ".join(fields[:5]) + (" ..." if len(fields) > 5 else "")
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return "not an event this release reads"


class OffenderSummary(NamedTuple):
    """One stream at a glance: how many events it holds and the dates they span."""

    offender_id: str
    events: int
    first_date: dt.date
    last_date: dt.date


def prefix_range(prefix: str) -> OffenderRange:
    """The offender-id range holding exactly the ids that start with ``prefix``."""
    if not prefix:
        return (None, None)
    return (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1))


class StoreBase(abc.ABC):
    """What every backend does the same way, built on its ``append_records`` and ``read_all``."""

    _made_codec: Codec | None = None

    #: Whether each commit writes every page its transaction changed (as SQLite's
    #: write-ahead log does): then a bulk import from a file commits less often.
    COMMITS_WRITE_PAGES: ClassVar[bool] = False

    @property
    def _codec(self) -> Codec:
        """The codec events are encoded and decoded with, made on first use (it is costly)."""
        if self._made_codec is None:
            self._made_codec = Codec()
        return self._made_codec

    @_codec.setter
    def _codec(self, codec: Codec) -> None:
        self._made_codec = codec

    #: Rows found unreadable by this store's reads: stream key → position → the row.
    _skipped: dict[str, dict[int, Unreadable]] | None = None

    #: Backends that read stored rows (:meth:`_decode`) look up the position and ``event_id``
    #: column of the row ``(key, version)`` with it (``None`` once the row is gone): what
    #: names a row that cannot be read back, which only such a row needs.
    _row_identity: Callable[[Any, int], tuple[int, Any] | None]

    def _decode(self, rows: Sequence[Sequence[Any]]) -> list[Event]:
        """Stored rows ``(offender_id, recorded_at or null, payload, version, ...)`` → events;
        a row that cannot be read back is skipped and noted.

        ``recorded_at`` is read from the payload when it came with the event (the same
        instant as its column, and quicker to read from text than to rebuild from
        microseconds), else from its column (microseconds since the epoch), which a read
        selects only then.
        """
        decode = self._codec.decode_stored
        try:
            return [decode(row[2], None if row[1] is None else from_micros(row[1])) for row in rows]
        except Exception:  # noqa: BLE001 - some row is unreadable: read them one by one
            return [event for _, event in self._readable(rows)]

    def _readable(self, rows: Iterable[Sequence[Any]]) -> Iterator[tuple[Sequence[Any], Event]]:
        """``(row, event)`` for each stored row that can be read back; the others are noted
        (see :meth:`skipped`) and left out, so one bad row never stops a read."""
        decode = self._codec.decode_stored
        for row in rows:
            try:
                event = decode(row[2], None if row[1] is None else from_micros(row[1]))
            except Exception as exc:  # noqa: BLE001 - whatever a bad row raises
                self._skip(row, exc)
                continue
            yield row, event

    def _skip(self, row: Sequence[Any], exc: BaseException) -> None:
        found = self._row_identity(row[0], row[3])
        if found is None:  # erased since it was read: nothing is left to note
            return
        key, position, event_id = self._text_of(row[0]), int(found[0]), self._text_of(found[1])
        if self._skipped is None:
            self._skipped = {}
        self._skipped.setdefault(key, {})[position] = Unreadable(
            key, position, event_id, unreadable_reason(self._codec, row, exc)
        )

    @staticmethod
    def _text_of(value: Any) -> str:
        """A stored text column as given (backends that escape text override it)."""
        return str(value)

    def skipped(self, offender_id: str | None = None) -> list[Unreadable]:
        """The rows this store's reads have left out as unreadable so far, by position.

        Only rows some read came across: a read of every stream (a refresh from scratch,
        ``read_all``) finds them all. ``offender_id`` keeps one stream's.
        """
        found = self._skipped or {}
        if offender_id is not None:
            return sorted(found.get(offender_id, {}).values(), key=_position)
        return sorted((row for rows in found.values() for row in rows.values()), key=_position)

    def append(
        self,
        events: Iterable[Event],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        """Encode events built in Python and append them (see :class:`EventStore`)."""
        records = prepare(self._codec, events, dt.datetime.now(dt.UTC))
        return self.append_records(records, expected_versions=expected_versions)

    @abc.abstractmethod
    def append_records(
        self,
        records: list[Record],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        """Append encoded events atomically."""

    def read_all(
        self,
        *,
        as_of: dt.datetime | None = None,
        offenders: OffenderRange | None = None,
        types: Collection[str] | None = None,
    ) -> Iterator[tuple[str, list[Event]]]:
        """Every stream in turn, by offender id, with the cycle collector paused meanwhile."""
        return paused_collection(self._read_all(as_of, offenders, types), size=events_in)

    @abc.abstractmethod
    def _read_all(
        self,
        as_of: dt.datetime | None,
        offenders: OffenderRange | None,
        types: Collection[str] | None = None,
    ) -> Iterator[tuple[str, list[Event]]]:
        """Every stream in turn, by offender id: what each backend reads."""

    def offender_summaries(self, prefix: str = "") -> Iterator[OffenderSummary]:
        """Every stream (ids starting with ``prefix``): events stored and their date span.

        Counts every stored event, retracted ones included (what the store holds, not
        what the views see). Backends with SQL answer from an index; this reads streams.
        """
        for offender_id, stream in self.read_all(offenders=prefix_range(prefix)):
            days = [event.date for event in stream]
            yield OffenderSummary(offender_id, len(stream), min(days), max(days))

    def to_pandas(self, *, as_of: dt.datetime | None = None) -> Any:
        """Every event as a DataFrame row (the ``pandas`` extra); for exploring, not for size."""
        events = (event for _, stream in self.read_all(as_of=as_of) for event in stream)
        return events_table(events).to_pandas()

    def to_arrow(self, *, as_of: dt.datetime | None = None) -> Any:
        """Every event as a row of an Arrow table (the ``parquet`` extra), in the export layout.

        Columns as an events export (``offender_id``, ``version``, ``event_id``, ``type``,
        ``date``, ``recorded_at`` in microseconds, ``recorded_at_given``, ``payload``),
        retracted events included; holds the whole store in memory.
        """
        from ..arrow import arrow_table  # the parquet extra: pyarrow, loaded when asked for

        streams = ((o, tuple(stream)) for o, stream in self.read_all(as_of=as_of))
        return arrow_table(event_rows(streams, codec=self._codec))

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release the store's resources (nothing, unless a backend holds some)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Rewrites(Protocol):
    """What rewrites an event's JSON object on its way out (a pseudonymiser)."""

    def raw(self, raw: dict[str, Any], /) -> dict[str, Any] | None:
        """The rewritten object (a new dict), or ``None`` to leave the event out."""
        ...


#: One event as exported: values in :data:`EVENT_COLUMNS` order.
EventRow = tuple[str, int, str, str, dt.date, int, bool, str]


def event_rows(
    streams: Iterable[tuple[str, Sequence[Event]]],
    *,
    pseudonymiser: Rewrites | None = None,
    codec: Codec | None = None,
) -> Iterator[EventRow]:
    """Rows of the export: version numbers 1… in transaction order; ``recorded_at`` given."""
    codec = codec or Codec()
    for _, events in streams:
        version = 0
        for event in events:
            raw = codec.encode(event)
            if pseudonymiser is not None:
                hidden = pseudonymiser.raw(raw)
                if hidden is None:  # an identity record naming nobody once names are dropped
                    continue
                raw = hidden
            version += 1
            recorded_at = event.recorded_at
            assert recorded_at is not None  # stores stamp every event they read back
            yield (
                record_key(raw.get("source"), raw["offender_id"]),  # the source record's key
                version,
                raw["event_id"],
                event.TYPE,
                event.date,
                to_micros(recorded_at),
                True,
                dumps(raw),
            )


@runtime_checkable
class EventStore(Protocol):
    """An append-only store of offenders' event streams.

    Every method is safe to call with events of many offenders at once; appends are
    atomic per call. Reads take ``as_of`` (an aware datetime): only events recorded at
    or before it are seen.
    """

    def append(
        self,
        events: Iterable[Event],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        """Append a batch atomically.

        Identical re-sent events are skipped as duplicates; an ``event_id`` stored with
        other content raises :class:`~offender_journey.errors.ConflictError`; a stream
        not at its expected version (number of events in it; 0 = new stream) raises
        :class:`~offender_journey.errors.ConcurrencyError`. Either way nothing is stored.
        """
        ...

    def append_records(
        self,
        records: list[Record],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        """:meth:`append` for events already encoded (what a bulk import uses)."""
        ...

    def read_stream(self, offender_id: str, *, as_of: dt.datetime | None = None) -> list[Event]:
        """One offender's events in stream (append) order."""
        ...

    def read_all(
        self,
        *,
        as_of: dt.datetime | None = None,
        offenders: OffenderRange | None = None,
        types: Collection[str] | None = None,
    ) -> Iterator[tuple[str, list[Event]]]:
        """Every stream in turn, ordered by offender id; memory bounded by one stream.

        ``offenders=(first, stop)`` reads only ids with ``first <= id < stop`` (either
        end ``None`` for open), so separate processes can share out a store. ``types``
        (``type`` tags) reads only events of those types, the selection made by the store
        (a stream with none of them is left out): what a reader of identities wants.
        """
        ...

    def head(self) -> int:
        """The global position of the latest event appended (0 when the store is empty).

        Every appended event gets the next position (1, 2, 3 ...) in commit order, so a
        reader that remembers a position can ask for exactly what came after it.
        """
        ...

    def read_after(self, position: int, *, limit: int = 1000) -> list[tuple[int, Event]]:
        """Up to ``limit`` events with a position after ``position``, ascending, as pairs.

        Follow a store by calling it again with the last position seen.
        """
        ...

    def touched_after(self, position: int) -> list[str]:
        """The offenders with an event appended after ``position``, each once, by id.

        What a follower re-derives: it remembers a position and asks who changed since.
        """
        ...

    def stream_sizes(self) -> Iterator[tuple[str, int]]:
        """``(offender_id, number of events)`` for every stream, ordered by offender id."""
        ...

    def offenders(self, *, as_of: dt.datetime | None = None) -> Iterator[str]:
        """Offender ids with at least one event (recorded by ``as_of``, if given), in order."""
        ...

    def offender_summaries(self, prefix: str = "") -> Iterator[OffenderSummary]:
        """Each stream whose id starts with ``prefix``: events stored and their date span."""
        ...

    def version(self, offender_id: str) -> int:
        """The number of events in a stream (0 for an unknown offender)."""
        ...

    def count_events(self) -> int:
        """Events stored, all streams."""
        ...

    def count_offenders(self) -> int:
        """Streams stored."""
        ...

    def atomic(self) -> AbstractContextManager[None]:
        """Everything appended inside the block is kept together or not at all."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...

    def __enter__(self) -> Self:
        """Use as a context manager: closed on exit."""
        ...

    def __exit__(self, *exc: object) -> None: ...
