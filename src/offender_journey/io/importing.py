"""The import engine every input format shares: batching, accounting, rejects, strict mode.

A format reader turns its input into :class:`Row`\\ s — one per non-blank input line,
each either an event (with the text the store keeps) or the problems that stop it
being one. :func:`ingest_rows` then makes every row end as exactly one of *stored*,
*already present* or *rejected*, appending in batches so memory stays flat.

A bad line never stops an import: whatever is wrong with it becomes a rejection. Only
a fault of the machine (disk full, an unreadable input) stops one, and then
:class:`ImportInterruptedError` still says what was stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import operator
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, AnyStr, Generic, NamedTuple

import attrs

from ..errors import ConflictError, ErasedOffenderError, OffenderJourneyError, Problem
from ..events import Event
from ..store.base import (
    EventStore,
    Record,
    collect_young,
    paused_collection,
    record_of,
    to_micros,
)

__all__ = [
    "BATCH_SIZE",
    "FILE_BATCH_SIZE",
    "KEEP_REJECTIONS",
    "KEEP_TEXT_BYTES",
    "MAX_LINE_BYTES",
    "ImportInterruptedError",
    "ImportReport",
    "LongLine",
    "Rejection",
    "Row",
    "batch_size_for",
    "bounded_lines",
    "ingest_rows",
    "unreadable",
    "write_rejection",
]

#: How many rejections an :class:`ImportReport` keeps as examples (all are counted).
KEEP_REJECTIONS = 1000
#: How much of each kept rejection's line the report holds (the rejects file gets it all).
KEEP_TEXT_BYTES = 200
#: The longest line read as an event; a real one takes a few hundred bytes.
MAX_LINE_BYTES = 1_000_000
#: Events read, sorted and appended at a time, and, unless :func:`batch_size_for` says
#: otherwise, per store transaction: memory stays flat whatever the input's size.
BATCH_SIZE = 20_000
#: Events per store transaction from a file into a store whose commits write whole
#: pages (SQLite): an extract in date order reaches most offenders in every batch, so
#: each transaction changes most of the store's pages, and fewer commits write them
#: fewer times (a million such events: 30 s to 22 s).
FILE_BATCH_SIZE = 100_000
#: How much of a line over :data:`MAX_LINE_BYTES` is read at a time while it is skipped.
_SKIP_CHUNK = 1 << 16


@attrs.frozen
class LongLine(Generic[AnyStr]):
    """A line longer than the limit, as :func:`bounded_lines` gives it: its start and length."""

    #: The line's first :data:`MAX_LINE_BYTES` bytes (or characters).
    start: AnyStr
    #: The whole line's length, its line break left out.
    length: int


def bounded_lines(
    readline: Callable[[int], AnyStr], limit: int = MAX_LINE_BYTES
) -> Iterator[AnyStr | LongLine[AnyStr]]:
    """The lines ``readline`` gives, each read in at most ``limit`` (plus a line break).

    A longer line is skipped chunk by chunk and given as a :class:`LongLine`, so one
    line of a gigabyte (or a file with no line break at all) costs no more memory than
    the longest line allowed, and the lines after it are read as usual.
    """
    size = limit + 2  # room for a line break written as "\r\n"
    ends: Any = None  # what a line may end with: bytes end at "\n"; text also at "\r"
    breaks: Any = None  # "\r\n" of the type readline gives
    while line := readline(size):
        if ends is None:
            text = isinstance(line, str)
            ends, breaks = (("\n", "\r"), "\r\n") if text else ((b"\n",), b"\r\n")
        if len(line) < size or line[-1:] in ends:
            yield line
            continue
        length, tail = len(line), line
        while more := readline(_SKIP_CHUNK):
            length, tail = length + len(more), more
            if more[-1:] in ends:
                break
        yield LongLine(line[:limit], length - len(tail) + len(tail.rstrip(breaks)))


class Row(NamedTuple):
    """One input line, read: an event, or why it is not one (a tuple: one per line, cheap).

    ``blank`` rows only count; ``payload`` is what the store keeps for the event (the
    JSON as given), ``None`` to use the event's canonical encoding. A reader that checked
    the line in full without building the event gives the ``record`` to store instead.
    """

    number: int
    text: bytes
    event: Event | None = None
    payload: str | None = None
    problems: tuple[Problem, ...] = ()
    blank: bool = False
    record: Record | None = None


@attrs.frozen
class Rejection:
    """One input line that was not stored, and why."""

    #: 1-based line number in the input.
    line: int
    #: What was wrong: field and reason, one or more.
    problems: tuple[Problem, ...]
    #: The line as read (without its line break); in a report, its first
    #: :data:`KEEP_TEXT_BYTES` bytes only.
    text: bytes

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(map(str, self.problems))


@attrs.frozen
class ImportReport:
    """What an import did with every line of its input."""

    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    #: Blank lines, skipped.
    blank: int = 0
    #: The first :data:`KEEP_REJECTIONS` rejections, in line order, each line cut to
    #: :data:`KEEP_TEXT_BYTES` bytes (``on_reject`` sees every one in full).
    rejections: tuple[Rejection, ...] = ()
    #: Strict imports store nothing when any line is rejected.
    strict: bool = False

    @property
    def lines(self) -> int:
        """Non-blank lines read: always ``stored + duplicates + rejected``."""
        return self.stored + self.duplicates + self.rejected

    def to_json(self) -> dict[str, object]:
        """The ``ingest --json`` shape: stored, duplicates, rejected, plus detail."""
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "blank": self.blank,
            "strict": self.strict,
            "rejections": [
                {
                    "line": r.line,
                    "errors": [{"field": p.field, "reason": p.reason} for p in r.problems],
                }
                for r in self.rejections
            ],
        }

    def __str__(self) -> str:
        text = f"{self.stored} stored, {self.duplicates} already present, {self.rejected} rejected"
        if self.strict and self.rejected:
            text += " (strict: nothing stored)"
        return text


class ImportInterruptedError(OffenderJourneyError):
    """The machine failed during an import (disk full, input unreadable).

    Not a bad line: those are rejections. ``report`` says what had been stored when
    it happened (nothing, in strict mode); the cause is chained.
    """

    def __init__(self, report: ImportReport, cause: BaseException) -> None:
        self.report = report
        # The first failure first: a failed clean-up (a rollback SQLite had already
        # done itself) must not hide that the disk was full.
        chain: list[BaseException] = [cause]
        while chain[-1].__context__ is not None and len(chain) < 3:
            chain.append(chain[-1].__context__)
        reasons = "; then ".join(f"{type(e).__name__}: {e}" for e in reversed(chain))
        super().__init__(f"import interrupted after {report.lines:,} lines ({report}): {reasons}")


def batch_size_for(handle: object, store: EventStore) -> int:
    """Events per transaction for input read from ``handle`` into ``store``.

    :data:`FILE_BATCH_SIZE` from a file (or input already in memory) into a store whose
    commits write whole pages; else :data:`BATCH_SIZE`: input from a pipe, a terminal or a
    socket may wait, and what arrives should be stored (and seen) without waiting for more,
    nor hold the store for writing meanwhile; and a store that logs rows (PostgreSQL)
    gains little from fewer commits, while other writers would wait longer for its lock.
    """
    if not getattr(store, "COMMITS_WRITE_PAGES", False):
        return BATCH_SIZE
    try:
        mode = os.fstat(handle.fileno()).st_mode  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):  # in memory, or closed: never waits
        return FILE_BATCH_SIZE
    waits = stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)
    return BATCH_SIZE if waits else FILE_BATCH_SIZE


def unreadable(exc: BaseException) -> Problem:
    """A line that failed in a way no check foresaw: still only a rejection of that line."""
    return Problem("", f"cannot be read as an event ({type(exc).__name__}: {str(exc)[:200]})")


class _Tally:
    """The mutable counts behind an :class:`ImportReport`."""

    def __init__(self, on_reject: Callable[[Rejection], None] | None) -> None:
        self.stored = self.duplicates = self.rejected = self.blank = 0
        self.line = 0  # the last line read
        self.kept: list[Rejection] = []
        self.on_reject = on_reject

    def reject(self, line: int, problems: Iterable[Problem], text: bytes) -> None:
        rejection = Rejection(line, tuple(problems), text)
        self.rejected += 1
        if len(self.kept) < KEEP_REJECTIONS:
            short = text if len(text) <= KEEP_TEXT_BYTES else text[:KEEP_TEXT_BYTES]
            self.kept.append(attrs.evolve(rejection, text=short))
        if self.on_reject is not None:
            self.on_reject(rejection)

    def report(self, *, strict: bool) -> ImportReport:
        return ImportReport(
            stored=self.stored,
            duplicates=self.duplicates,
            rejected=self.rejected,
            blank=self.blank,
            rejections=tuple(self.kept),
            strict=strict,
        )


class _StrictRollbackError(Exception):
    """Raised inside a strict import's transaction to roll it back."""


def ingest_rows(
    rows: Iterable[Row],
    store: EventStore,
    *,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    on_reject: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    encode: Callable[[Event], str] | None = None,
) -> ImportReport:
    """Store what the rows hold; see the module docstring for the accounting rules.

    ``encode`` gives the stored text of rows without a ``payload`` (events read from a
    format other than JSON).

    Raises:
        ImportInterruptedError: the store or the input failed; its ``report`` says what
            was stored before.
        ValueError: ``batch_size`` is less than 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    tally = _Tally(on_reject)
    try:
        if not strict:
            _run(rows, store, tally, batch_size, on_progress, encode)
            return tally.report(strict=False)
        try:
            with store.atomic():
                _run(rows, store, tally, batch_size, on_progress, encode)
                if tally.rejected:
                    raise _StrictRollbackError
        except _StrictRollbackError:
            tally.stored = tally.duplicates = 0
        return tally.report(strict=True)
    except Exception as exc:
        # Lines cannot get here (readers turn every per-line failure into problems):
        # this is the machine (disk full, I/O error, the store locked or gone).
        if strict:  # the transaction was rolled back
            tally.stored = tally.duplicates = 0
        raise ImportInterruptedError(tally.report(strict=strict), exc) from exc


def _run(
    rows: Iterable[Row],
    store: EventStore,
    tally: _Tally,
    batch_size: int,
    on_progress: Callable[[int], None] | None,
    encode: Callable[[Event], str] | None,
) -> None:
    """Store the rows' events, ``batch_size`` to a transaction, appended (and held in
    memory) at most :data:`BATCH_SIZE` at a time.

    A transaction that fails is rolled back whole, and the tally with it, so the report
    says what was committed. ``on_progress`` is told after each commit: Ctrl-C raised
    there leaves whole batches stored.
    """
    held = min(batch_size, BATCH_SIZE)
    told = -1  # the lines on_progress was last told of
    # A transaction of one append is the append's own (a conflict's events may then be
    # stored one by one: what was stored stays counted if a later one fails).
    several = batch_size > held
    # Collection is paused while lines are read (what they leave behind is collected
    # once a batch, once it is written), and restored as soon as the import ends,
    # however it ends. A store may hold more of itself in memory while importing.
    importing = getattr(store, "importing", contextlib.nullcontext)
    with importing(), contextlib.closing(paused_collection(rows, every=None)) as lines:
        records = _records(lines, tally, encode)
        while batch := list(itertools.islice(records, held)):
            committed = tally.stored, tally.duplicates
            try:
                with store.atomic() if several else contextlib.nullcontext():
                    size = 0
                    while batch:
                        _flush(batch, store, tally)
                        size += len(batch)
                        batch.clear()  # before the next is read: one in memory at a time
                        collect_young()
                        batch.extend(itertools.islice(records, min(held, batch_size - size)))
            except BaseException:
                if several:  # rolled back whole, and its count with it
                    tally.stored, tally.duplicates = committed
                raise
            if on_progress is not None:
                on_progress(told := tally.line)
    if on_progress is not None and tally.line != told:  # blank or rejected lines after it
        on_progress(tally.line)


def _records(
    rows: Iterable[Row], tally: _Tally, encode: Callable[[Event], str] | None
) -> Iterator[tuple[int, Record, bytes]]:
    """Each row that holds an event as ``(line number, record, text)``; blank and rejected
    rows are counted in ``tally`` on the way, and the last line read is kept there."""
    now = to_micros(dt.datetime.now(dt.UTC))
    for row in rows:
        tally.line = row.number
        if row.blank:
            tally.blank += 1
            continue
        # Strict mode goes on appending after a rejection (inside the transaction that
        # will be rolled back), so later conflicts are found and reported too.
        record = row.record
        if record is None:
            if row.event is None:
                tally.reject(row.number, row.problems, row.text)
                continue
            payload = row.payload
            if payload is None:
                if encode is None:
                    raise TypeError("rows without a payload need an encode function")
                payload = encode(row.event)
            record = record_of(row.event, payload, now)
        yield row.number, record, row.text


#: A record's offender id (its first field), the sort key of a batch.
_OFFENDER = operator.itemgetter(0)


def _flush(batch: list[tuple[int, Record, bytes]], store: EventStore, tally: _Tally) -> None:
    """Append a batch; if any id conflicts, fall back to one event at a time to find which.

    Lines about people erased from the store are rejected, naming the erasure. The batch
    goes in sorted by offender (stably: each stream keeps its order), so a store clustered
    by stream writes each page once rather than at random.
    """
    records = [record for _, record, _ in batch]
    records.sort(key=_OFFENDER)
    try:
        result = store.append_records(records)
    except ErasedOffenderError as exc:
        kept = []
        for number, record, text in batch:
            why = exc.erasures.get(record.offender_id)
            if why is None:
                kept.append((number, record, text))
            else:
                tally.reject(number, [Problem("offender_id", f"offender {why}")], text)
        if kept:
            _flush(kept, store, tally)
        return
    except ConflictError:
        for number, record, text in batch:
            try:
                single = store.append_records([record])
            except ConflictError as exc:
                tally.reject(number, [Problem(exc.field, str(exc))], text)
            else:
                tally.stored += len(single.stored)
                tally.duplicates += len(single.duplicates)
        return
    tally.stored += len(result.stored)
    tally.duplicates += len(result.duplicates)


def write_rejection(out: IO[bytes], rejection: Rejection) -> None:
    """One rejects-file line: number, reasons and the input verbatim, tab-separated.

    ``cut -f3-`` on a rejects file gives back the rejected lines as they were.
    """
    reasons = "; ".join(str(p).replace("\t", " ").replace("\n", " ") for p in rejection.problems)
    out.write(f"{rejection.line}\t{reasons}\t".encode() + rejection.text + b"\n")
