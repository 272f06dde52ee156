"""The store in open formats: effective events as JSON Lines, CSV or partitioned Parquet.

An export holds what every view sees *now*: events recorded up to the moment of
export, retractions applied (retracted events and the retractions themselves are
left out), restricted offenders left out. Each event keeps its ``recorded_at``,
so an export imported into an empty store gives the same numbers as the store
it came from. With a :class:`~offender_journey.io.pseudonymise.Pseudonymiser`
every identifier is keyed-hashed first, and rows are ordered by pseudonym, so
not even the order of the rows tells the original ids.

Layout, in a directory that is written under a temporary name and renamed when
complete (files 0600, directories 0700):

* ``jsonl``: ``events.jsonl``, one event per line (what ``ingest`` reads);
* ``csv``: ``events.csv``, the columns of :data:`~offender_journey.io.parquet.EVENT_COLUMNS`;
* ``parquet``: ``events/part-00000.parquet`` … (see :mod:`offender_journey.io.parquet`).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import attrs

from ..codec import Codec, dumps
from ..events import Event
from ..projections.base import History
from ..store.base import EventStore, to_micros
from .parquet import EVENT_COLUMNS, PartitionedWriter, event_schema
from .pseudonymise import Pseudonymiser

__all__ = ["FORMATS", "ExportReport", "EventRow", "effective_streams", "event_rows", "export"]

Format = Literal["jsonl", "csv", "parquet"]

#: The formats :func:`export` writes.
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")

#: One event as exported: values in :data:`EVENT_COLUMNS` order.
EventRow = tuple[str, int, str, str, str, int, bool, str]


@attrs.frozen
class ExportReport:
    """What :func:`export` wrote."""

    directory: str
    format: str
    #: Rows written per table.
    rows: dict[str, int]
    offenders: int
    #: Files per Parquet table (1 for the other formats).
    partitions: int
    pseudonymised: bool

    def to_json(self) -> dict[str, object]:
        """The ``export --json`` shape."""
        return attrs.asdict(self)

    def __str__(self) -> str:
        tables = ", ".join(f"{n} {table}" for table, n in self.rows.items())
        how = " (pseudonymised)" if self.pseudonymised else ""
        return f"{self.offenders} offenders, {tables} written to {self.directory}{how}"


def effective_streams(
    store: EventStore,
    *,
    as_of: dt.datetime | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> Iterator[tuple[str, tuple[Event, ...]]]:
    """Each offender's effective events (retractions applied) in transaction order.

    Offenders come in id order, or in pseudonym order when ``pseudonymiser`` is
    given (the events are still the original ones: :func:`event_rows` rewrites them).
    """
    now = as_of or dt.datetime.now(dt.UTC)
    streams: Iterator[tuple[str, list[Event]]]
    if pseudonymiser is None:
        streams = store.read_all(as_of=now)
    else:
        order = sorted(store.offenders(), key=pseudonymiser.offender)
        streams = (
            (offender_id, store.read_stream(offender_id, as_of=now)) for offender_id in order
        )
    for offender_id, stream in streams:
        events = History.build(offender_id, stream, now).in_transaction_order
        if events:
            yield offender_id, events


def event_rows(
    streams: Iterator[tuple[str, tuple[Event, ...]]],
    *,
    pseudonymiser: Pseudonymiser | None = None,
    codec: Codec | None = None,
) -> Iterator[EventRow]:
    """Rows of the export: version numbers 1… in transaction order; ``recorded_at`` given."""
    codec = codec or Codec()
    for _, events in streams:
        for version, event in enumerate(events, start=1):
            raw = codec.encode(event)
            if pseudonymiser is not None:
                raw = pseudonymiser.raw(raw)
            recorded_at = event.recorded_at
            assert recorded_at is not None  # stores stamp every event they read back
            yield (
                raw["offender_id"],
                version,
                raw["event_id"],
                event.TYPE,
                event.date.isoformat(),
                to_micros(recorded_at),
                True,
                dumps(raw),
            )


def export(
    store: EventStore,
    out: str | os.PathLike[str],
    *,
    format: Format = "jsonl",
    partitions: int = 1,
    pseudonymiser: Pseudonymiser | None = None,
    as_of: dt.datetime | None = None,
) -> ExportReport:
    """Write the store's effective events to the directory ``out`` (see the module docstring).

    ``out`` must not exist, or be an empty directory. Nothing appears under its
    name until the export is complete. Cost: one read of the store (one query per
    offender when pseudonymising); memory: one offender's events, plus
    ``partitions`` row groups for Parquet.

    Raises:
        FileExistsError: ``out`` exists and is not an empty directory.
        MissingExtraError: Parquet without pyarrow (the ``parquet`` extra).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; expected one of {FORMATS}")
    target = Path(out)
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise FileExistsError(f"{os.fspath(target)!r} exists; export into a new directory")
    if format == "parquet":
        event_schema()  # fail early, before any reading, when the extra is missing
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        offenders = _Counter(effective_streams(store, as_of=as_of, pseudonymiser=pseudonymiser))
        rows = event_rows(iter(offenders), pseudonymiser=pseudonymiser)
        written = _WRITERS[format](rows, work, partitions)
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportReport(
        os.fspath(target),
        format,
        {"events": written},
        offenders.count,
        partitions if format == "parquet" else 1,
        pseudonymiser is not None,
    )


class _Counter:
    """Passes streams through, counting them."""

    def __init__(self, streams: Iterator[tuple[str, tuple[Event, ...]]]) -> None:
        self._streams = streams
        self.count = 0

    def __iter__(self) -> Iterator[tuple[str, tuple[Event, ...]]]:
        for item in self._streams:
            self.count += 1
            yield item


def _private_text(path: Path) -> Any:
    """A new text file, mode 0600, for writing."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _write_jsonl(rows: Iterator[EventRow], work: Path, _partitions: int) -> int:
    count = 0
    with _private_text(work / "events.jsonl") as file:
        for row in rows:
            file.write(row[-1])
            file.write("\n")
            count += 1
    return count


def _write_csv(rows: Iterator[EventRow], work: Path, _partitions: int) -> int:
    count = 0
    with _private_text(work / "events.csv") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(EVENT_COLUMNS)
        for row in rows:
            writer.writerow((*row[:6], "true" if row[6] else "false", row[7]))
            count += 1
    return count


def _write_parquet(rows: Iterator[EventRow], work: Path, partitions: int) -> int:
    with PartitionedWriter(work / "events", event_schema(), partitions) as writer:
        writer.add_all(rows)
    return writer.rows


_WRITERS = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}
