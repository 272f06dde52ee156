"""The store in open formats: effective events and fact tables as JSON Lines, CSV or Parquet.

An export holds what every view sees *now*: events recorded up to the moment of
export, retractions applied (retracted events and the retractions themselves are
left out), restricted offenders left out, and every fact table derived from those
events by the same fold the store's tables use. Each event keeps its
``recorded_at``, so an export imported into an empty store gives the same numbers
as the store it came from. With a
:class:`~offender_journey.io.pseudonymise.Pseudonymiser` every identifier is
keyed-hashed first, and rows are ordered by pseudonym, so not even the order of
the rows tells the original ids.

Layout, in a directory that is written under a temporary name and renamed when
complete (files 0600, directories 0700), one table per file (or directory):

* ``jsonl``: ``events.jsonl``, one event per line (what ``ingest`` reads), and
  ``<table>.jsonl`` per fact table, one JSON object per row;
* ``csv``: ``events.csv`` (the columns of
  :data:`~offender_journey.io.parquet.EVENT_COLUMNS`) and ``<table>.csv``;
* ``parquet``: ``events/part-00000.parquet`` … and ``<table>/part-…`` (see
  :mod:`offender_journey.io.parquet`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import attrs

from ..codec import Codec
from ..facts.derive import derive
from ..facts.linked import Unit, history_of, linked_persons, members, person_units
from ..facts.schema import TABLE, TABLES
from ..history import History
from ..persons import read_rules
from ..progress import Progress, counted
from ..store.base import EventRow, EventStore, event_rows
from ..tables import plural
from ..workfiles import work_dir
from .parquet import EVENT_COLUMNS, PartitionedWriter, arrow_schema, event_schema
from .pseudonymise import Pseudonymiser

__all__ = [
    "FORMATS",
    "EventRow",
    "ExportReport",
    "event_rows",
    "export",
    "fact_schema",
    "new_directory",
]

Format = Literal["jsonl", "csv", "parquet"]

#: The formats :func:`export` writes.
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")


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
        how = " (pseudonymised)" if self.pseudonymised else ""
        events = plural(self.rows.get("events", 0), "event")
        return (
            f"{plural(self.offenders, 'offender')}, {events} and "
            f"{len(self.rows) - 1} fact tables written to {self.directory}{how}"
        )


def export(
    store: EventStore,
    out: str | os.PathLike[str],
    *,
    format: Format = "jsonl",
    partitions: int = 1,
    pseudonymiser: Pseudonymiser | None = None,
    as_of: dt.datetime | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the store's effective events and fact tables to the directory ``out``.

    See the module docstring for what is written. ``out`` must not exist, or be an
    empty directory; nothing appears under its name until the export is complete.
    Cost: one read of the store (one query per offender when pseudonymising) and one
    derivation of every offender's facts; memory: one offender's events, plus
    ``partitions`` row groups per table for Parquet. ``progress`` is told the
    offenders to write, then how many are done (see :mod:`offender_journey.progress`).

    Raises:
        FileExistsError: ``out`` exists and is not an empty directory.
        MissingExtraError: Parquet without pyarrow (the ``parquet`` extra).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; expected one of {FORMATS}")
    if partitions < 1:
        raise ValueError(f"the number of partitions must be at least 1, not {partitions}")
    if format == "parquet":
        event_schema()  # fail early, before any reading, when the extra is missing
    with new_directory(out) as work:
        sink = _SINKS[format](work, _tables(), partitions)
        try:
            offenders = _write_all(store, sink, as_of, pseudonymiser, progress)
        finally:
            rows = sink.close()
    return ExportReport(
        os.fspath(out),
        format,
        rows,
        offenders,
        partitions if format == "parquet" else 1,
        pseudonymiser is not None,
    )


@contextlib.contextmanager
def new_directory(out: str | os.PathLike[str]) -> Iterator[Path]:
    """A private work directory that becomes ``out`` when the block ends without error.

    The work directory is made (0700) beside ``out`` under a temporary name and renamed
    to ``out`` at the end, so a half-written output never carries the final name; on an
    error it is removed, and what a killed run left is removed by the next (see
    :mod:`~offender_journey.workfiles`).

    Raises:
        FileExistsError: ``out`` exists and is not an empty directory.
    """
    target = Path(out)
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise FileExistsError(f"{os.fspath(target)!r} exists; write into a new directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = work_dir(target)
    try:
        yield work
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def fact_schema(table: str) -> Any:
    """The Arrow schema of a fact table as Parquet exports write it (dates as ``DATE``)."""
    return arrow_schema((column.name, column.type) for column in TABLE[table].columns)


#: The events table's columns and kinds (dates as ISO text, as the shared layout says).
_EVENT_KINDS = tuple(
    zip(EVENT_COLUMNS, ("text", "int", "text", "text", "text", "int", "bool", "text"), strict=True)
)

Columns = tuple[tuple[str, str], ...]


def _tables() -> list[tuple[str, Columns]]:
    """Every exported table: events, then the fact tables, with ``(column, kind)`` pairs."""
    return [("events", _EVENT_KINDS)] + [
        (t.name, tuple((c.name, c.type) for c in t.columns)) for t in TABLES
    ]


def _write_all(
    store: EventStore,
    sink: _Sink,
    as_of: dt.datetime | None,
    pseudonymiser: Pseudonymiser | None,
    progress: Progress | None = None,
) -> int:
    """Feed every visible offender's events and facts to ``sink``; returns the offenders."""
    now = as_of or dt.datetime.now(dt.UTC)
    codec = Codec()
    keys = {t.name: [t.names.index(k) for k in t.key] for t in TABLES}
    offenders = 0
    total = None if progress is None else store.count_offenders()
    units = counted(_units(store, now, pseudonymiser), progress, total, "exporting")
    rules = read_rules(store)
    for person_id, records in units:
        # Each record's events as it holds them; the facts are the person's.
        parts = {key: History.build(key, stream, now) for key, stream in records.items()}
        if not any(part.in_transaction_order for part in parts.values()):
            continue
        offenders += 1
        for key, part in parts.items():
            rows_of = [(key, part.in_transaction_order)]
            for row in event_rows(rows_of, pseudonymiser=pseudonymiser, codec=codec):
                sink.add("events", row)
        alone = person_id in parts and len(parts) == 1
        facts = derive(
            parts[person_id] if alone else history_of(person_id, records, now, rules=rules)
        )
        # A person of one record is hashed as the record is; a linked person by its id.
        source = records[person_id][0].source if alone else None
        for table in TABLES:
            rows: Sequence[tuple[Any, ...]] = facts.rows(table.name)
            if pseudonymiser is not None:
                key_of = keys[table.name]
                rows = sorted(
                    (pseudonymiser.fact_row(table.names, r, source=source) for r in rows),
                    key=lambda r, key=key_of: tuple(r[i] for i in key),  # type: ignore[misc]
                )
            for row in rows:
                sink.add(table.name, row)
    return offenders


def _units(
    store: EventStore, now: dt.datetime, pseudonymiser: Pseudonymiser | None
) -> Iterator[Unit]:
    """Every visible person with their records' streams: by id, or by pseudonym."""
    persons = linked_persons(store, now)
    if pseudonymiser is None:
        return person_units(store, now, persons)
    groups = members(persons, store.offenders())
    order = sorted(groups, key=pseudonymiser.offender)
    return ((p, {r: store.read_stream(r, as_of=now) for r in groups[p]}) for p in order)


class _Sink(Protocol):
    """Where rows of the exported tables go."""

    def add(self, table: str, row: Sequence[Any]) -> None: ...

    def close(self) -> dict[str, int]: ...


def _private_text(path: Path) -> Any:
    """A new text file, mode 0600, for writing."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _plain(value: Any) -> Any:
    """A value as JSON and CSV spell it: dates in ISO form."""
    return value.isoformat() if isinstance(value, dt.date) else value


class _TextSink:
    """One JSON Lines or CSV file per table."""

    def __init__(self, work: Path, tables: list[tuple[str, Columns]], fmt: str) -> None:
        self._fmt = fmt
        self._files: dict[str, Any] = {}
        self._writers: dict[str, Any] = {}
        self._names: dict[str, tuple[str, ...]] = {}
        self._counts = {name: 0 for name, _ in tables}
        try:
            for name, columns in tables:
                file = self._files[name] = _private_text(work / f"{name}.{fmt}")
                self._names[name] = tuple(column for column, _ in columns)
                if fmt == "csv":
                    writer = self._writers[name] = csv.writer(file, lineterminator="\n")
                    writer.writerow(self._names[name])
        except BaseException:
            self.close()
            raise

    def add(self, table: str, row: Sequence[Any]) -> None:
        self._counts[table] += 1
        if self._fmt == "csv":
            self._writers[table].writerow(_csv_value(v) for v in row)
        elif table == "events":
            self._files[table].write(row[-1] + "\n")
        else:
            values = {n: _plain(v) for n, v in zip(self._names[table], row, strict=True)}
            self._files[table].write(json.dumps(values, ensure_ascii=False) + "\n")

    def close(self) -> dict[str, int]:
        for file in self._files.values():
            file.close()
        return dict(self._counts)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _plain(value)


class _ParquetSink:
    """One partitioned directory per table."""

    def __init__(self, work: Path, tables: list[tuple[str, Columns]], partitions: int) -> None:
        self._writers: dict[str, PartitionedWriter] = {}
        try:
            for name, _ in tables:
                schema = event_schema() if name == "events" else fact_schema(name)
                self._writers[name] = PartitionedWriter(work / name, schema, partitions)
        except BaseException:
            self.close()
            raise

    def add(self, table: str, row: Sequence[Any]) -> None:
        self._writers[table].add(row)

    def close(self) -> dict[str, int]:
        for writer in self._writers.values():
            writer.close()
        return {name: writer.rows for name, writer in self._writers.items()}


def _text_sink(fmt: str) -> Any:
    def make(work: Path, tables: list[tuple[str, Columns]], _partitions: int) -> _Sink:
        return _TextSink(work, tables, fmt)

    return make


_SINKS = {"jsonl": _text_sink("jsonl"), "csv": _text_sink("csv"), "parquet": _ParquetSink}
