"""JSON Lines in and out: one event per line, read as a stream.

The store keeps each line as given (decoded and upcast again on every read), so an
import does not re-encode what it has just checked.

Checking the lines is about half of an import's work, and each line is checked alone,
so :func:`read_jsonl_in_processes` shares it out over worker processes while this one
keeps reading the file and writing the store, in the file's order.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO, cast

from ..codec import Codec
from ..envelope import EnvelopeReader
from ..errors import InvalidEventError, Problem
from ..events import Event
from ..store.base import EventStore, Record, to_micros
from ..workers import end_with_parent
from .importing import (
    MAX_LINE_BYTES,
    ImportReport,
    LongLine,
    Rejection,
    Row,
    batch_size_for,
    bounded_lines,
    ingest_rows,
    unreadable,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = [
    "ALONE_LINES",
    "AUTO_JOBS",
    "CHUNK_LINES",
    "Source",
    "export_jsonl",
    "import_jsonl",
    "open_lines",
    "read_jsonl",
    "read_jsonl_in_processes",
]

#: Lines checked in this process before workers start: a smaller file is over before
#: worker processes would have started and paid for themselves.
ALONE_LINES = 50_000
#: Lines a worker is given at a time: enough to make sending them cheap, few enough to
#: keep every worker busy and memory small.
CHUNK_LINES = 2_000
#: Lines handed out to workers and not yet taken back, at most: most of a batch the caller
#: appends (:data:`~offender_journey.io.importing.BATCH_SIZE`), so the workers go on
#: checking while it writes. At 1M events with one worker, 12,000 left it idle while the
#: caller wrote: 8.6 to 9.4 s, against 7.5 to 7.9 s with 16,000 (and payloads not sent
#: back); 20,000 was no quicker, and held 5 MiB more.
AHEAD_LINES = 16_000
#: The most processes an import given ``jobs=0`` starts, this one included: two checking
#: the lines keep the one that writes the store busy (measured on a million events: a
#: second checker took 9.5 s to 8.7 s), and more would only wait for it.
AUTO_JOBS = 3

#: Lines handed to a worker together (``LongLine``: one too long to read, kept short).
_Chunk = list[bytes | LongLine[bytes]]
#: What a worker sends back for them: a good line's record as a plain tuple (without its
#: payload when that is the line as given, which is kept here), else its row.
_Checked = list[tuple[Any, ...] | Row]

#: Where a record's payload is among its fields, and how many it has (see :func:`_read_chunk`).
_PAYLOAD, _FIELDS = Record._fields.index("payload"), len(Record._fields)

#: Where lines come from: a path (``"-"`` = standard input) or an open file.
Source = str | os.PathLike[str] | BinaryIO | TextIO


def open_lines(source: Source, stack: ExitStack) -> Iterator[bytes | LongLine[bytes]]:
    """The raw lines of ``source``; files opened here are closed with ``stack``.

    Lines are read in bounded memory (see :func:`~offender_journey.io.importing.bounded_lines`):
    one longer than :data:`MAX_LINE_BYTES` comes as a :class:`LongLine`.
    """
    return _lines_of(_opened(source, stack))


def _opened(source: Source, stack: ExitStack) -> BinaryIO | TextIO:
    """``source`` as an open file: standard input for ``"-"``, a path opened (and closed
    with ``stack``), an open file as it is."""
    if isinstance(source, str | os.PathLike):
        if os.fspath(source) == "-":
            return sys.stdin.buffer
        return stack.enter_context(open(source, "rb"))
    return source


def _lines_of(handle: BinaryIO | TextIO) -> Iterator[bytes | LongLine[bytes]]:
    if isinstance(handle, io.TextIOBase):
        return (
            LongLine(line.start.encode("utf-8"), line.length)
            if isinstance(line, LongLine)
            else line.encode("utf-8")
            for line in bounded_lines(handle.readline)
        )
    return bounded_lines(cast(BinaryIO, handle).readline)


def read_jsonl(
    lines: Iterable[bytes | LongLine[bytes]],
    codec: Codec,
    *,
    now: int | None = None,
    source: str | None = None,
) -> Iterator[Row]:
    """Each raw line as a :class:`Row`: the record to store, a blank, or the problems found.

    Whatever is wrong with a line makes it a row of problems, never an exception. Each
    line is checked in full, without building the event (see
    :class:`~offender_journey.envelope.EnvelopeReader`). ``now`` (microseconds since
    1970 UTC; default: when reading starts) stamps events without ``recorded_at``.
    ``source`` is the system every line comes from (a line naming another is rejected).
    """
    if now is None:
        now = to_micros(dt.datetime.now(dt.UTC))
    yield from _rows(lines, EnvelopeReader(codec, now=now, source=source).read_line)


def _rows(
    lines: Iterable[bytes | LongLine[bytes]], read: Callable[[str], Record], first: int = 1
) -> Iterator[Row]:
    """The rows of :func:`read_jsonl`, each line checked by ``read``; ``first`` numbers the first.

    A reader is made once for many lines: it builds its checks as it meets each type.
    """
    new_row = tuple.__new__
    for number, raw in enumerate(lines, start=first):
        if type(raw) is LongLine:  # refused unread: only its start is kept
            yield Row(number, raw.start, problems=(_too_long(raw.length),))
            continue
        text = _text(number, raw)  # type: ignore[arg-type]
        if not text or text.isspace():
            yield Row(number, text, blank=True)
            continue
        if len(text) > MAX_LINE_BYTES:
            yield Row(number, text[:MAX_LINE_BYTES], problems=(_too_long(len(text)),))
            continue
        try:
            # As Row(...) builds it, without its Python-level __new__: one per line. The
            # record holds the payload to store, so the row needs none of its own.
            yield new_row(Row, (number, text, None, None, (), False, read(text.decode())))
        except UnicodeDecodeError as exc:
            reason = f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
            yield Row(number, text, problems=(Problem("", reason),))
        except InvalidEventError as exc:
            yield Row(number, text, problems=exc.problems)
        except Exception as exc:  # noqa: BLE001 - a line must never stop the import
            yield Row(number, text, problems=(unreadable(exc),))


def _text(number: int, raw: bytes) -> bytes:
    """A line as its row keeps it: without its line break, nor a byte-order mark on line 1."""
    text = raw.rstrip(b"\r\n")
    return text[3:] if number == 1 and text.startswith(b"\xef\xbb\xbf") else text


def read_jsonl_in_processes(
    lines: Iterable[bytes | LongLine[bytes]],
    codec: Codec,
    jobs: int,
    *,
    now: int | None = None,
    source: str | None = None,
    alone: int = ALONE_LINES,
    chunk: int = CHUNK_LINES,
) -> Iterator[Row]:
    """The rows :func:`read_jsonl` gives, the same in the same order, in ``jobs`` processes.

    This process and ``jobs - 1`` workers (no more processes in all than the machine has
    cores, and at least one worker): the first ``alone`` lines are checked here as they
    come (a small file never starts a worker); then this process goes on reading the
    lines and hands them out ``chunk`` at a time to the workers, and gives each chunk's
    rows as soon as the ones before it are given, while the caller writes them. About
    :data:`AHEAD_LINES` lines are out at once (at least two chunks per worker), so the
    workers check most of the next batch while the caller writes one; and no more, so
    memory stays bounded whatever the file's size and however fast the rows are taken.
    Each worker checks lines exactly as :func:`read_jsonl` does, with this reading's
    ``now`` (so every event without ``recorded_at`` gets one stamp) and ``source``.

    Only lines go out and only records or rows come back (plain values of this library,
    never objects a file describes); a good line comes back as its record alone, its text
    (and its payload, when that is the line as given) taken from the line kept here. A
    chunk a worker fails on (a worker that died, say) is checked here instead, so no
    line is lost. Workers ignore Ctrl-C: the caller decides where an import stops, and
    closing the rows stops the workers. ``codec`` reads the lines checked here; each
    worker makes its own (every codec reads alike).

    Worker processes start afresh (``spawn``), so a script calling this needs the usual
    ``if __name__ == "__main__":`` guard of any script that starts processes.
    """
    if now is None:
        now = to_micros(dt.datetime.now(dt.UTC))
    read = EnvelopeReader(codec, now=now, source=source).read_line  # for lines read here
    lines = iter(lines)
    yield from _rows(itertools.islice(lines, alone), read)
    chunks = _chunks(lines, chunk, first=alone + 1)
    start = next(chunks, None)
    if start is None:  # the whole file was read here
        return
    # start-up: worker processes only when a file is large enough to need them
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(jobs, os.cpu_count() or 1) - 1)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        # A fresh interpreter: the store's connection and this process's threads stay here.
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(now, source),
    )
    ahead = max(2 * workers, AHEAD_LINES // chunk)  # chunks out at once
    out: deque[tuple[int, _Chunk, Future[_Checked] | None]] = deque()
    try:
        for first, part in itertools.chain([start], chunks):
            out.append((first, part, _submit(pool, first, part)))
            if len(out) > ahead:
                yield from _collect(*out.popleft(), read)
        while out:
            yield from _collect(*out.popleft(), read)
    finally:  # also when the reader stops early (Ctrl-C, a failed store): no worker lingers
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(
    lines: Iterator[bytes | LongLine[bytes]], size: int, *, first: int
) -> Iterator[tuple[int, _Chunk]]:
    """``lines`` in lists of ``size``, each with the number of its first line."""
    while part := list(itertools.islice(lines, size)):
        yield first, part
        first += len(part)


def _submit(pool: ProcessPoolExecutor, first: int, part: _Chunk) -> Future[_Checked] | None:
    """``part`` handed to a worker; ``None`` if none can take it (the pool broke, or no
    process could start), and then it is read here.

    A worker starts (here, when the pool needs one) with Ctrl-C held back, until it has
    set itself to ignore it (as multiprocessing starts its own helper): a terminal's
    Ctrl-C reaches every process of the command, and must not stop one half-started.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(_read_chunk, first, part)
    except Exception:  # noqa: BLE001 - the lines are read here instead
        return None
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _collect(
    first: int, part: _Chunk, future: Future[_Checked] | None, read: Callable[[str], Record]
) -> Iterator[Row]:
    """The rows of a chunk a worker was given, or of the same chunk read here if it failed."""
    try:
        done = None if future is None else future.result()
    except Exception:  # noqa: BLE001 - a worker's failure must not lose the chunk's lines
        done = None
    if done is None:
        yield from _rows(part, read, first)
        return
    new = tuple.__new__
    for number, (raw, item) in enumerate(zip(part, done, strict=True), start=first):
        if type(item) is tuple:  # a record's fields: as read_jsonl makes its row
            text = _text(number, raw)  # type: ignore[arg-type]  # a good line is read whole
            if len(item) < _FIELDS:  # its payload is the line
                item = (*item[:_PAYLOAD], text.decode(), *item[_PAYLOAD:])
            record = new(Record, item)
            yield new(Row, (number, text, None, None, (), False, record))
        else:
            yield item  # type: ignore[misc]


#: A worker's reader of lines (made by :func:`_start_worker`).
_read_line: Callable[[str], Record]


def _start_worker(now: int, source: str | None) -> None:
    """Set up a worker process: its reader, with the reading's stamp and source; Ctrl-C
    ignored; ended with the command however that ends."""
    global _read_line  # one per worker process, made once
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back until now
    end_with_parent()
    _read_line = EnvelopeReader(Codec(), now=now, source=source).read_line


def _read_chunk(first: int, part: _Chunk) -> _Checked:
    """In a worker: each good line's record as a plain tuple, any other line's whole row.

    Plain: a tuple is sent back four times faster than the named record it was. A payload
    that is the line as given (any but one a source was written into) is left out: the
    line is kept where it came from, and sending it back doubled what crossed the pipe.
    """
    checked: _Checked = []
    for row in _rows(part, _read_line, first):
        record = row.record
        if record is None:
            checked.append(row)
        elif record.payload.encode() == row.text:
            checked.append((*record[:_PAYLOAD], *record[_PAYLOAD + 1 :]))
        else:
            checked.append(tuple(record))
    return checked


def _too_long(length: int) -> Problem:
    return Problem("", f"line of {length:,} bytes; an event may take at most {MAX_LINE_BYTES:,}")


def import_jsonl(
    lines: Source,
    store: EventStore,
    *,
    strict: bool = False,
    batch_size: int | None = None,
    on_reject: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    codec: Codec | None = None,
    source: str | None = None,
    jobs: int = 1,
) -> ImportReport:
    """Import JSON Lines from a path (``"-"`` = standard input) or an open file.

    Args:
        source: the system the events come from (``police``...): given to every line
            without a ``source`` of its own; a line naming another source is rejected.
        jobs: processes: this one, which writes the store, and ``jobs - 1`` checking the
            lines (see :func:`read_jsonl_in_processes`); the outcome is the same for any.
            0: automatic, as many as the machine has cores up to :data:`AUTO_JOBS`.
        strict: store nothing at all if any line is rejected.
        batch_size: events per store transaction; ``None``: :data:`FILE_BATCH_SIZE` from
            a file into SQLite, else :data:`BATCH_SIZE` (see :func:`batch_size_for`).
            However large, at most :data:`BATCH_SIZE` events are held in memory at a time.
        on_reject: called with each :class:`Rejection` as it happens (e.g. to write a
            rejects file), so even millions of bad lines cost no memory.
        on_progress: called with the number of lines read after each transaction.

    Raises:
        OSError: the source cannot be opened.
        ImportInterruptedError: the machine failed part-way (disk full, I/O error); its
            ``report`` says what was stored.

    Examples:
        >>> from offender_journey.store import InMemoryStore
        >>> lines = [b'{"type": "arrest", "event_id": "e1", "offender_id": "o1",'
        ...          b' "date": "2014-02-01", "arrest_id": "a1"}', b'', b'{"type": "nope"}']
        >>> report = import_jsonl(io.BytesIO(b"\\n".join(lines)), InMemoryStore())
        >>> str(report)
        '1 stored, 0 already present, 1 rejected'
        >>> report.rejections[0].line, report.rejections[0].problems[0].field
        (3, 'type')
    """
    codec = codec or Codec()
    if jobs < 1:
        jobs = min(os.cpu_count() or 1, AUTO_JOBS)
    with ExitStack() as stack:
        handle = _opened(lines, stack)
        raw = _lines_of(handle)
        rows = (
            read_jsonl(raw, codec, source=source)
            if jobs <= 1
            else read_jsonl_in_processes(raw, codec, jobs, source=source)
        )
        return ingest_rows(
            rows,
            store,
            strict=strict,
            batch_size=batch_size_for(handle, store) if batch_size is None else batch_size,
            on_reject=on_reject,
            on_progress=on_progress,
        )


def export_jsonl(events: Iterable[Event], out: TextIO, *, codec: Codec | None = None) -> int:
    """Write events as JSON Lines (canonical form); returns how many were written."""
    codec = codec or Codec()
    count = 0
    for event in events:
        out.write(codec.encode_line(event))
        out.write("\n")
        count += 1
    return count
