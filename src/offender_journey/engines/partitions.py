"""Units of work an engine hands out, and the fold of one unit into a report.

A unit holds every event of the offenders it covers, so folding it needs nothing
from any other unit, and the reports of all units add up to the report of all
offenders. Two kinds:

- a Parquet partition file (``DIR/events/part-NNNNN.parquet``, as the ``export``
  command writes them): rows sorted by ``(offender_id, version)``, each offender's
  whole stream in one file; folded by :func:`fold_parquet`;
- a range of offender ids in a store that every worker can open itself (a SQLite
  file on a shared disk); cut by event count and folded as
  :func:`~offender_journey.metrics.compute_store` does with its processes.

A Parquet partition can also be turned into fact tables (:func:`derive_parquet`):
every offender's facts derived by :func:`~offender_journey.facts.derive.derive`, as
the store's refresh derives them, and written beside the other partitions' in the
layout of a Parquet export.

Reading a Parquet partition needs ``pyarrow`` (the ``parquet`` extra, part of ``dask``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..codec import Codec
from ..events import Event
from ..facts.derive import derive
from ..facts.schema import TABLES
from ..history import History, Window
from ..io.export import fact_schema
from ..io.parquet import PartFile, part_paths, require_pyarrow
from ..metrics import MetricsReport, View, compute
from ..store.base import as_of_micros, from_micros

__all__ = [
    "derive_parquet",
    "fold_parquet",
    "parquet_partitions",
    "read_parquet_partition",
]

#: The columns a fold needs: who, when recorded, and what (rows are already in stream order).
_COLUMNS = ["offender_id", "recorded_at", "payload"]
_BATCH = 16_384


def parquet_partitions(directory: str | os.PathLike[str]) -> list[str]:
    """The partition files of an exported directory (``DIR/events/part-*.parquet``), in order.

    Raises:
        FileNotFoundError: ``directory`` holds no ``events/`` partitions.
    """
    events = Path(directory) / "events"
    files = [str(path) for path in part_paths(events)]
    if not files:
        raise FileNotFoundError(f"no Parquet partitions in {str(events)!r} (events/part-*.parquet)")
    return files


def read_parquet_partition(
    path: str | os.PathLike[str],
    *,
    as_of: dt.datetime | None = None,
    codec: Codec | None = None,
) -> Iterator[tuple[str, list[Event]]]:
    """Every stream of one partition file, as ``store.read_all(as_of=...)`` yields them.

    Only the needed columns are read, a batch of rows at a time, so memory is one batch
    plus one offender's stream. Events recorded after ``as_of`` are left out, and an
    offender with none left is not yielded, exactly as a store's read does.
    """
    parquet = require_pyarrow("reading Parquet partitions").parquet.ParquetFile(os.fspath(path))
    decode = (codec or Codec()).decode_stored
    limit = as_of_micros(as_of)
    current: str | None = None
    stream: list[Event] = []
    for batch in parquet.iter_batches(batch_size=_BATCH, columns=_COLUMNS):
        columns = batch.to_pydict()
        for offender_id, recorded_at, payload in zip(
            columns["offender_id"], columns["recorded_at"], columns["payload"], strict=True
        ):
            if recorded_at > limit:
                continue
            if offender_id != current:
                if stream:
                    yield current, stream  # type: ignore[misc]
                current, stream = offender_id, []
            stream.append(decode(payload, from_micros(recorded_at)))
    if stream:
        yield current, stream  # type: ignore[misc]


def fold_parquet(
    path: str | os.PathLike[str],
    window: Window,
    as_of: dt.datetime | None,
    views: Iterable[View[Any]],
) -> MetricsReport:
    """The report of every offender in one partition file (one engine task)."""
    streams = read_parquet_partition(path, as_of=as_of)
    return compute(streams, window=window, as_of=as_of, views=views)


def derive_parquet(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> dict[str, int]:
    """The fact tables of every offender in one partition file, written as Parquet (one task).

    Each offender's stream, read as the store reads it, goes through
    :func:`~offender_journey.facts.derive.derive` exactly as the store's refresh does;
    the rows go to ``out/<table>/<the partition's file name>`` for every fact table
    (an empty file when there are none), in the columns, types and order of a Parquet
    export, so partition ``i`` of the events gives partition ``i`` of every table.
    The ``offenders.position`` column is 0, as in an export: a partition knows no store
    positions. ``out/<table>/`` must exist. Memory: one batch of rows, one offender's
    stream and facts, one row group per table. Returns the rows written per table.
    """
    name = Path(path).name
    files: dict[str, PartFile] = {}
    try:
        for table in TABLES:
            files[table.name] = PartFile(Path(out) / table.name / name, fact_schema(table.name))
        for offender_id, events in read_parquet_partition(path):
            facts = derive(History.build(offender_id, events))
            for table in TABLES:
                add = files[table.name].add
                for row in facts.rows(table.name):
                    add(row)
    finally:
        for file in files.values():
            file.close()
    return {table: file.rows for table, file in files.items()}
