"""Parquet files partitioned by offender: the layout exports write and parallel readers share.

A table lives in a directory of ``N`` files, ``part-00000.parquet`` …
``part-{N-1:05d}.parquet``. Every row of one offender goes to the file
:func:`partition_of` names, so a reader can fold each file on its own: no
offender's stream is ever split between two workers. The hash is keyed on
nothing but the id (BLAKE2b, 8 bytes, big-endian, modulo ``N``), so it is the
same on every machine and in every release.

Events use :data:`EVENT_COLUMNS`, rows sorted by ``(offender_id, version)``:
the store's envelope, with ``recorded_at`` in microseconds since 1970 UTC and
``payload`` the event's JSON. pyarrow is the ``parquet`` extra, imported only
when a file is written or read.

Examples:
    >>> partition_of("O1", 8) == partition_of("O1", 8)
    True
    >>> part_name(3)
    'part-00003.parquet'
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

from ..arrow import (
    EVENT_COLUMNS,
    EVENT_TYPES,
    arrow_schema,
    arrow_table,
    event_schema,
    require_pyarrow,
)

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "PartFile",
    "PartitionedWriter",
    "arrow_schema",
    "arrow_table",
    "event_schema",
    "part_name",
    "part_paths",
    "partition_of",
    "require_pyarrow",
    "write_events",
]


#: Rows buffered per file before a row group is written: bounds memory, keeps groups large.
_ROW_GROUP = 65_536


def partition_of(offender_id: str, n: int) -> int:
    """The file (``0 … n-1``) that holds every row of ``offender_id``.

    Stable across processes and releases (unlike ``hash()``), so a writer and a
    reader that agree on ``n`` agree on where a stream lives.

    Examples:
        >>> partition_of("anyone", 1)
        0
        >>> 0 <= partition_of("O42", 16) < 16
        True
    """
    if n < 1:
        raise ValueError(f"the number of partitions must be at least 1, not {n}")
    digest = hashlib.blake2b(offender_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n


def part_name(index: int) -> str:
    """The file name of partition ``index``."""
    return f"part-{index:05d}.parquet"


def part_paths(directory: str | os.PathLike[str]) -> list[Path]:
    """The partition files of a table directory, in partition order."""
    return sorted(Path(directory).glob("part-*.parquet"))


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (offender data is never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class PartFile:
    """Rows of one table into one Parquet file, created 0600, written a row group at a time.

    The building block of :class:`PartitionedWriter`, and what a worker that derives one
    partition writes with: memory is bounded by ``row_group`` rows. Rows are tuples in
    ``schema`` order and keep the order given.
    """

    def __init__(
        self, path: str | os.PathLike[str], schema: Any, *, row_group: int = _ROW_GROUP
    ) -> None:
        pa = require_pyarrow()
        self.path = Path(path)
        self.schema = schema
        self._row_group = row_group
        self._buffer: list[tuple[Any, ...]] = []
        _create_private(self.path)
        self._writer: Any = pa.parquet.ParquetWriter(self.path, schema)
        self.rows = 0

    def add(self, row: Sequence[Any]) -> None:
        """Queue one row; a full row group is written out."""
        self._buffer.append(tuple(row))
        self.rows += 1
        if len(self._buffer) >= self._row_group:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write_table(arrow_table(self._buffer, self.schema))
            self._buffer.clear()

    def close(self) -> None:
        """Write what is buffered and close the file (an empty file keeps the schema)."""
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PartitionedWriter:
    """Rows of one table into ``partitions`` files by :func:`partition_of` their key column.

    Rows are tuples in ``schema`` order; each file keeps them in the order given, so
    rows given sorted by ``(offender_id, …)`` stay sorted within every file. All
    ``partitions`` files are written, empty ones too, so readers can count on them.
    Files are created 0600. Memory is bounded by ``row_group`` rows per file.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        schema: Any,
        partitions: int,
        *,
        key: str = "offender_id",
        row_group: int = _ROW_GROUP,
    ) -> None:
        if partitions < 1:
            raise ValueError(f"the number of partitions must be at least 1, not {partitions}")
        require_pyarrow()
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.schema = schema
        self.partitions = partitions
        self._key = schema.names.index(key)
        self._files: list[PartFile] = []
        for index in range(partitions):
            path = self.directory / part_name(index)
            self._files.append(PartFile(path, schema, row_group=row_group))

    @property
    def rows(self) -> int:
        """Rows added so far, over every file."""
        return sum(file.rows for file in self._files)

    def add(self, row: Sequence[Any]) -> None:
        """Queue one row for the file of its key."""
        self._files[partition_of(row[self._key], self.partitions)].add(row)

    def add_all(self, rows: Iterable[Sequence[Any]]) -> None:
        """:meth:`add` every row."""
        for row in rows:
            self.add(row)

    def close(self) -> None:
        """Write what is buffered and close every file."""
        for file in self._files:
            file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_events(
    rows: Iterable[Sequence[Any]], directory: str | os.PathLike[str], partitions: int
) -> int:
    """Write event rows (:data:`EVENT_COLUMNS` order, sorted by offender then version).

    Returns the number of rows written.

    Examples:
        >>> import tempfile
        >>> row = ("O1", 1, "e1", "arrest", "2014-05-01", 0, False, '{"type":"arrest"}')
        >>> with tempfile.TemporaryDirectory() as out:
        ...     n = write_events([row], out, 2)
        ...     names = [p.name for p in part_paths(out)]
        >>> n, names
        (1, ['part-00000.parquet', 'part-00001.parquet'])
    """
    with PartitionedWriter(directory, event_schema(), partitions) as writer:
        writer.add_all(rows)
    return writer.rows
