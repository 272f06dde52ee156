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
from ..io.parquet import part_paths, require_pyarrow
from ..metrics import MetricsReport, View, compute
from ..projections.base import Window
from ..store.base import as_of_micros, from_micros

__all__ = [
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
