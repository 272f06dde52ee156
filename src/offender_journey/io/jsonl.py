"""Streaming JSON Lines import and export.

Every non-blank input line ends as exactly one of: *stored*, *already present*
(an identical event is in the store), or *rejected* (with its line number, field
and reason). Lines are read and appended in batches, so memory stays flat
whatever the file's size.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import IO, BinaryIO, TextIO

import attrs

from ..codec import Codec
from ..errors import ConflictError, InvalidEventError, Problem
from ..events import Event
from ..store.base import EventStore, Record, record_of, to_micros

__all__ = [
    "ImportReport",
    "Rejection",
    "export_jsonl",
    "import_jsonl",
    "write_rejection",
]

Source = str | os.PathLike[str] | BinaryIO | TextIO

#: How many rejections an :class:`ImportReport` keeps in full (all are counted).
KEEP_REJECTIONS = 1000


@attrs.frozen
class Rejection:
    """One input line that was not stored, and why."""

    #: 1-based line number in the input.
    line: int
    #: What was wrong: field and reason, one or more.
    problems: tuple[Problem, ...]
    #: The line as read (without its line break).
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
    #: The first :data:`KEEP_REJECTIONS` rejections, in line order.
    rejections: tuple[Rejection, ...] = ()
    #: Strict imports store nothing when any line is rejected.
    strict: bool = False

    @property
    def lines(self) -> int:
        """Non-blank lines read: always ``stored + duplicates + rejected``."""
        return self.stored + self.duplicates + self.rejected

    def to_json(self) -> dict[str, object]:
        """The ``ingest --json`` shape: SPEC section 4, plus detail."""
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


class _Counts:
    """The mutable tally behind an :class:`ImportReport`."""

    def __init__(self, on_reject: Callable[[Rejection], None] | None) -> None:
        self.stored = self.duplicates = self.rejected = self.blank = 0
        self.kept: list[Rejection] = []
        self.on_reject = on_reject

    def reject(self, line: int, problems: Iterable[Problem], text: bytes) -> None:
        rejection = Rejection(line, tuple(problems), text)
        self.rejected += 1
        if len(self.kept) < KEEP_REJECTIONS:
            self.kept.append(rejection)
        if self.on_reject is not None:
            self.on_reject(rejection)


class _StrictRollbackError(Exception):
    """Raised inside a strict import's transaction to roll it back."""


def _lines(source: Source, stack: ExitStack) -> Iterator[bytes]:
    if isinstance(source, str | os.PathLike):
        if os.fspath(source) == "-":
            return iter(sys.stdin.buffer)
        return iter(stack.enter_context(open(source, "rb")))
    if isinstance(source, io.TextIOBase):
        return (line.encode("utf-8") for line in source)
    return iter(source)  # type: ignore[arg-type]


def import_jsonl(
    source: Source,
    store: EventStore,
    *,
    strict: bool = False,
    batch_size: int = 5000,
    on_reject: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    codec: Codec | None = None,
) -> ImportReport:
    """Import JSON Lines from a path (``"-"`` = standard input) or an open file.

    Args:
        strict: store nothing at all if any line is rejected.
        batch_size: events per store transaction.
        on_reject: called with each :class:`Rejection` as it happens (e.g. to write a
            rejects file), so even millions of bad lines cost no memory.
        on_progress: called with the number of lines read after each batch.

    Raises:
        OSError: the source cannot be opened.

    >>> from offender_journey.store import InMemoryStore
    >>> lines = [b'{"type": "arrest", "event_id": "e1", "offender_id": "o1",'
    ...          b' "date": "2014-02-01", "arrest_id": "a1"}', b'', b'{"type": "nope"}']
    >>> report = import_jsonl(io.BytesIO(b"\\n".join(lines)), InMemoryStore())
    >>> str(report)
    '1 stored, 0 already present, 1 rejected'
    >>> str(report.rejections[0])[:37]
    "line 3: type: unknown event type 'no"
    """
    codec = codec or Codec()
    counts = _Counts(on_reject)
    with ExitStack() as stack:
        lines = _lines(source, stack)
        if strict:
            try:
                with store.atomic():
                    _run(lines, store, codec, counts, batch_size, on_progress, strict=True)
                    if counts.rejected:
                        raise _StrictRollbackError
            except _StrictRollbackError:
                counts.stored = counts.duplicates = 0
        else:
            _run(lines, store, codec, counts, batch_size, on_progress, strict=False)
    return ImportReport(
        stored=counts.stored,
        duplicates=counts.duplicates,
        rejected=counts.rejected,
        blank=counts.blank,
        rejections=tuple(counts.kept),
        strict=strict,
    )


def _run(
    lines: Iterator[bytes],
    store: EventStore,
    codec: Codec,
    counts: _Counts,
    batch_size: int,
    on_progress: Callable[[int], None] | None,
    *,
    strict: bool,
) -> None:
    batch: list[tuple[int, Record, bytes]] = []
    now = to_micros(dt.datetime.now(dt.UTC))
    number = 0
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip(b"\r\n")
        if number == 1 and text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        if not text or text.isspace():
            counts.blank += 1
            continue
        try:
            line = text.decode("utf-8")
            event = codec.decode_line(line)
        except UnicodeDecodeError as exc:
            counts.reject(
                number, [Problem("", f"not valid UTF-8 ({exc.reason} at byte {exc.start})")], text
            )
            continue
        except InvalidEventError as exc:
            counts.reject(number, exc.problems, text)
            continue
        if strict and counts.rejected:
            continue  # only validating now: nothing will be kept
        # The store keeps the line as given; it is decoded (and upcast) again on read.
        batch.append((number, record_of(event, line, now), text))
        if len(batch) >= batch_size:
            _flush(batch, store, counts)
            batch = []
            if on_progress is not None:
                on_progress(number)
    if batch:
        _flush(batch, store, counts)
    if on_progress is not None:
        on_progress(number)


def _flush(batch: list[tuple[int, Record, bytes]], store: EventStore, counts: _Counts) -> None:
    """Append a batch; if any id conflicts, fall back to one event at a time to find which."""
    try:
        result = store.append_records([record for _, record, _ in batch])
    except ConflictError:
        for number, record, text in batch:
            try:
                single = store.append_records([record])
            except ConflictError as exc:
                counts.reject(number, [Problem("event_id", str(exc))], text)
            else:
                counts.stored += len(single.stored)
                counts.duplicates += len(single.duplicates)
        return
    counts.stored += len(result.stored)
    counts.duplicates += len(result.duplicates)


def write_rejection(out: IO[bytes], rejection: Rejection) -> None:
    """One rejects-file line: number, reasons and the input verbatim, tab-separated.

    ``cut -f3-`` on a rejects file gives back the rejected lines as they were.
    """
    reasons = "; ".join(str(p).replace("\t", " ").replace("\n", " ") for p in rejection.problems)
    out.write(f"{rejection.line}\t{reasons}\t".encode() + rejection.text + b"\n")


def export_jsonl(events: Iterable[Event], out: TextIO, *, codec: Codec | None = None) -> int:
    """Write events as JSON Lines (canonical form); returns how many were written."""
    codec = codec or Codec()
    count = 0
    for event in events:
        out.write(codec.encode_line(event))
        out.write("\n")
        count += 1
    return count
