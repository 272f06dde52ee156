"""An event store held in memory: for tests, notebooks and small jobs."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager

from sortedcontainers import SortedDict

from ..codec import Codec
from ..errors import ConcurrencyError
from ..events import Event
from .base import (
    AppendResult,
    OffenderRange,
    Record,
    StoreBase,
    as_of_micros,
    check_sources,
    from_micros,
    may_clash,
    split_batch,
)

__all__ = ["InMemoryStore"]


class InMemoryStore(StoreBase):
    """Streams kept as lists of (record, event), in a dict sorted by offender id.

    Safe to share between threads: the duplicate and expected-version checks and the
    append happen under one lock, so concurrent writers never lose an update.

    Examples:
        >>> from offender_journey.builder import JourneyBuilder
        >>> j = JourneyBuilder("O1"); _ = j.arrest("2014-05-01")
        >>> store = InMemoryStore()
        >>> store.append(j.events).stored
        ('O1-e0',)
        >>> [e.TYPE for e in store.read_stream("O1")]
        ['arrest']
    """

    def __init__(self, codec: Codec | None = None) -> None:
        self._codec = codec or Codec()
        self._streams: SortedDict[str, list[tuple[Record, Event]]] = SortedDict()
        #: Every record by ``(source, event_id)``: what is unique in a store.
        self._by_id: dict[tuple[str, str], Record] = {}
        #: Every event in append order: its position is its index + 1.
        self._log: list[Event] = []
        # Re-entrant: atomic() holds it around appends made inside the block.
        self._lock = threading.RLock()
        #: Notes about the store (the SQL stores keep them in a table).
        self._meta: dict[str, str] = {}

    def append_records(
        self,
        records: list[Record],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        with self._lock:
            return self._append_locked(records, expected_versions)

    def _append_locked(
        self, records: list[Record], expected_versions: Mapping[str, int] | None
    ) -> AppendResult:
        known = {r.key: self._by_id[r.key].payload for r in records if r.key in self._by_id}
        new, duplicates = split_batch(records, known, self._codec)
        check_sources(
            new, {k: self._streams[k][0][0].source for k in may_clash(new) if k in self._streams}
        )
        for offender_id, expected in (expected_versions or {}).items():
            actual = self.version(offender_id)
            if actual != expected:
                raise ConcurrencyError(offender_id, expected, actual)
        for record in new:
            assigned = None if record.recorded_at_given else from_micros(record.recorded_at)
            event = self._codec.decode_stored(record.payload, assigned)
            self._streams.setdefault(record.offender_id, []).append((record, event))
            self._by_id[record.key] = record
            self._log.append(event)
        return AppendResult(tuple(r.event_id for r in new), tuple(duplicates))

    def read_stream(self, offender_id: str, *, as_of: dt.datetime | None = None) -> list[Event]:
        limit = as_of_micros(as_of)
        with self._lock:
            stream = list(self._streams.get(offender_id, ()))
        return [event for record, event in stream if record.recorded_at <= limit]

    def _read_all(
        self,
        as_of: dt.datetime | None,
        offenders: OffenderRange | None,
        types: Collection[str] | None = None,
    ) -> Iterator[tuple[str, list[Event]]]:
        first, stop = offenders or (None, None)
        with self._lock:
            ids = list(self._streams.irange(first, stop, inclusive=(True, False)))
        for offender_id in ids:
            events = self.read_stream(offender_id, as_of=as_of)
            if types is not None:
                events = [event for event in events if event.TYPE in types]
            if events:
                yield offender_id, events

    def head(self) -> int:
        """The position of the latest event appended (0 for an empty store)."""
        return len(self._log)

    def read_after(self, position: int, *, limit: int = 1000) -> list[tuple[int, Event]]:
        """Up to ``limit`` events appended after ``position``, as ``(position, event)``."""
        start = max(position, 0)
        with self._lock:
            chunk = self._log[start : start + limit]
        return list(enumerate(chunk, start=start + 1))

    def touched_after(self, position: int) -> list[str]:
        """Offenders with an event appended after ``position``, in order."""
        with self._lock:
            return sorted({event.offender_id for event in self._log[max(position, 0) :]})

    def stream_sizes(self) -> Iterator[tuple[str, int]]:
        with self._lock:
            return iter([(offender, len(stream)) for offender, stream in self._streams.items()])

    def offenders(self, *, as_of: dt.datetime | None = None) -> Iterator[str]:
        limit = as_of_micros(as_of)
        with self._lock:
            return iter(
                [
                    offender_id
                    for offender_id, stream in self._streams.items()
                    if any(record.recorded_at <= limit for record, _ in stream)
                ]
            )

    def version(self, offender_id: str) -> int:
        return len(self._streams.get(offender_id, ()))

    def count_events(self) -> int:
        return len(self._by_id)

    def count_offenders(self) -> int:
        return len(self._streams)

    def meta(self, key: str) -> str | None:
        """The note kept under ``key``, ``None`` if there is none."""
        return self._meta.get(key)

    def set_meta(self, key: str, value: str | None) -> None:
        """Keep a note under ``key`` (``None`` removes it)."""
        if value is None:
            self._meta.pop(key, None)
        else:
            self._meta[key] = value

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """All or nothing; other threads' appends wait until the block ends."""
        with self._lock:
            saved = (
                copy.copy(self._by_id),
                SortedDict({k: list(v) for k, v in self._streams.items()}),
            )
            length = len(self._log)
            try:
                yield
            except BaseException:
                self._by_id, self._streams = saved
                del self._log[length:]
                raise

    def __repr__(self) -> str:
        return f"<InMemoryStore: {self.count_events()} events, {self.count_offenders()} offenders>"
