"""The shared Parquet layout: stable partitions, whole streams per file, private files."""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from offender_journey.io.parquet import (
    EVENT_COLUMNS,
    event_schema,
    part_paths,
    partition_of,
    write_events,
)


def test_partition_is_the_documented_hash() -> None:
    # Readers in other processes (and other languages) recompute this: it must never drift.
    assert [partition_of(x, 7) for x in ["O1", "O2", "abc", ""]] == [3, 2, 2, 0]


@given(st.text(min_size=1, max_size=40), st.integers(1, 64))
def test_partition_in_range_and_matches_blake2b(offender_id: str, n: int) -> None:
    digest = hashlib.blake2b(offender_id.encode(), digest_size=8).digest()
    assert partition_of(offender_id, n) == int.from_bytes(digest, "big") % n


def test_partition_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        partition_of("O1", 0)


def _rows(offenders: int, per: int) -> list[tuple[object, ...]]:
    return [
        (
            f"O{o:03d}",
            v,
            f"O{o:03d}-e{v}",
            "arrest",
            dt.date(2014, 5, 1),
            1_000 * v,
            v % 2 == 0,
            "{}",
        )
        for o in range(offenders)
        for v in range(1, per + 1)
    ]


def test_every_stream_whole_in_its_own_file_sorted_and_private(tmp_path: Path) -> None:
    rows = _rows(40, 5)
    assert write_events(rows, tmp_path / "events", 4) == 200
    paths = part_paths(tmp_path / "events")
    assert [p.name for p in paths] == [f"part-{i:05d}.parquet" for i in range(4)]
    seen = 0
    for index, path in enumerate(paths):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        table = pq.read_table(path)
        assert table.schema.equals(event_schema())
        assert tuple(table.column_names) == EVENT_COLUMNS
        keys = list(
            zip(table["offender_id"].to_pylist(), table["version"].to_pylist(), strict=True)
        )
        assert keys == sorted(keys)
        assert {partition_of(o, 4) for o, _ in keys} <= {index}
        seen += table.num_rows
    assert seen == 200


def test_empty_partitions_are_still_written(tmp_path: Path) -> None:
    write_events(_rows(1, 2), tmp_path, 3)
    sizes = [pq.read_table(p).num_rows for p in part_paths(tmp_path)]
    assert sorted(sizes) == [0, 0, 2]


def test_small_row_groups_keep_order(tmp_path: Path) -> None:
    from offender_journey.io.parquet import PartitionedWriter

    with PartitionedWriter(tmp_path, event_schema(), 2, row_group=3) as writer:
        writer.add_all(_rows(10, 4))
    got = [r for p in part_paths(tmp_path) for r in pq.read_table(p).to_pylist()]
    assert len(got) == 40
    assert sorted((r["offender_id"], r["version"]) for r in got) == [
        (f"O{o:03d}", v) for o in range(10) for v in range(1, 5)
    ]
