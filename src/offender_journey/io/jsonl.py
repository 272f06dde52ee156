"""JSON Lines in and out: one event per line, read as a stream.

The store keeps each line as given (decoded and upcast again on every read), so an
import does not re-encode what it has just checked.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import BinaryIO, TextIO, cast

from ..codec import Codec
from ..envelope import EnvelopeReader
from ..errors import InvalidEventError, Problem
from ..events import Event
from ..store.base import EventStore, to_micros
from .importing import (
    BATCH_SIZE,
    MAX_LINE_BYTES,
    ImportReport,
    LongLine,
    Rejection,
    Row,
    bounded_lines,
    ingest_rows,
    unreadable,
)

__all__ = ["Source", "export_jsonl", "import_jsonl", "open_lines", "read_jsonl"]

#: Where lines come from: a path (``"-"`` = standard input) or an open file.
Source = str | os.PathLike[str] | BinaryIO | TextIO


def open_lines(source: Source, stack: ExitStack) -> Iterator[bytes | LongLine[bytes]]:
    """The raw lines of ``source``; files opened here are closed with ``stack``.

    Lines are read in bounded memory (see :func:`~offender_journey.io.importing.bounded_lines`):
    one longer than :data:`MAX_LINE_BYTES` comes as a :class:`LongLine`.
    """
    if isinstance(source, str | os.PathLike):
        if os.fspath(source) == "-":
            return bounded_lines(sys.stdin.buffer.readline)
        return bounded_lines(stack.enter_context(open(source, "rb")).readline)
    if isinstance(source, io.TextIOBase):
        return (
            LongLine(line.start.encode("utf-8"), line.length)
            if isinstance(line, LongLine)
            else line.encode("utf-8")
            for line in bounded_lines(source.readline)
        )
    return bounded_lines(cast(BinaryIO, source).readline)


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
    read = EnvelopeReader(codec, now=now, source=source).read_line
    new_row = tuple.__new__
    for number, raw in enumerate(lines, start=1):
        if type(raw) is LongLine:  # refused unread: only its start is kept
            yield Row(number, raw.start, problems=(_too_long(raw.length),))
            continue
        text = raw.rstrip(b"\r\n")  # type: ignore[union-attr]
        if number == 1 and text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        if not text or text.isspace():
            yield Row(number, text, blank=True)
            continue
        if len(text) > MAX_LINE_BYTES:
            yield Row(number, text[:MAX_LINE_BYTES], problems=(_too_long(len(text)),))
            continue
        try:
            line = text.decode("utf-8")
            # As Row(...) builds it, without its Python-level __new__: one per line.
            yield new_row(Row, (number, text, None, line, (), False, read(line)))
        except UnicodeDecodeError as exc:
            reason = f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
            yield Row(number, text, problems=(Problem("", reason),))
        except InvalidEventError as exc:
            yield Row(number, text, problems=exc.problems)
        except Exception as exc:  # noqa: BLE001 - a line must never stop the import
            yield Row(number, text, problems=(unreadable(exc),))


def _too_long(length: int) -> Problem:
    return Problem("", f"line of {length:,} bytes; an event may take at most {MAX_LINE_BYTES:,}")


def import_jsonl(
    lines: Source,
    store: EventStore,
    *,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    on_reject: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    codec: Codec | None = None,
    source: str | None = None,
) -> ImportReport:
    """Import JSON Lines from a path (``"-"`` = standard input) or an open file.

    Args:
        source: the system the events come from (``police``...): given to every line
            without a ``source`` of its own; a line naming another source is rejected.
        strict: store nothing at all if any line is rejected.
        batch_size: events per store transaction.
        on_reject: called with each :class:`Rejection` as it happens (e.g. to write a
            rejects file), so even millions of bad lines cost no memory.
        on_progress: called with the number of lines read after each batch.

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
    with ExitStack() as stack:
        rows = read_jsonl(open_lines(lines, stack), codec, source=source)
        return ingest_rows(
            rows,
            store,
            strict=strict,
            batch_size=batch_size,
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
