"""One synthetic store, its Parquet export, and one Dask cluster for the engine tests."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from offender_journey import synth
from offender_journey.store import SQLiteStore

pytest.importorskip("distributed", reason="the dask extra is not installed")
pa = pytest.importorskip("pyarrow", reason="the dask extra is not installed")
pq = pytest.importorskip("pyarrow.parquet", reason="the dask extra is not installed")

_SCHEMA = pa.schema(
    [
        ("offender_id", pa.string()),
        ("version", pa.int64()),
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("date", pa.string()),
        ("recorded_at", pa.int64()),
        ("recorded_at_given", pa.bool_()),
        ("payload", pa.string()),
    ]
)


def _partition_of(offender_id: str, partitions: int) -> int:
    digest = hashlib.blake2b(offender_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def write_parquet(store_path: Path, directory: Path, partitions: int) -> None:
    """The export layout: DIR/events/part-NNNNN.parquet, rows by (offender_id, version)."""
    rows: list[list[tuple[object, ...]]] = [[] for _ in range(partitions)]
    with sqlite3.connect(store_path) as db:
        for row in db.execute(
            "SELECT offender_id, version, event_id, type, date, recorded_at,"
            " recorded_at_given, payload FROM events ORDER BY offender_id, version"
        ):
            rows[_partition_of(row[0], partitions)].append((*row[:6], bool(row[6]), row[7]))
    (directory / "events").mkdir(parents=True)
    for number, part in enumerate(rows):
        columns = list(zip(*part, strict=True)) if part else [[] for _ in _SCHEMA]
        table = pa.table(
            {
                field.name: pa.array(col, field.type)
                for field, col in zip(_SCHEMA, columns, strict=True)
            }
        )
        pq.write_table(table, directory / "events" / f"part-{number:05d}.parquet")


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A SQLite store of synthetic offenders and its export in 5 partitions."""
    root = tmp_path_factory.mktemp("engines")
    store = root / "journeys.db"
    with SQLiteStore(store) as s:
        s.append(synth.generate(150, seed=12))
        s.append(synth.generate(20, seed=3, preset="prolific"))
    write_parquet(store, root / "extract", 5)
    return store, root / "extract"


@pytest.fixture(scope="session")
def client() -> Iterator[object]:
    """Two single-threaded worker processes, started once; client closed before cluster."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected
