"""One synthetic store, its Parquet export, and one Dask cluster for the engine tests."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from offender_journey import synth
from offender_journey.io.parquet import write_events
from offender_journey.store import SQLiteStore

pytest.importorskip("distributed", reason="the dask extra is not installed")
pytest.importorskip("pyarrow", reason="the dask extra is not installed")


def write_log(store_path: Path, directory: Path, partitions: int) -> None:
    """The store's whole log (retractions and all) in the partitioned Parquet layout."""
    with sqlite3.connect(store_path) as db:
        rows = db.execute(
            "SELECT offender_id, version, event_id, type, date, recorded_at,"
            " recorded_at_given, payload FROM events ORDER BY offender_id, version"
        )
        write_events(
            (
                (*row[:4], dt.date.fromisoformat(row[4]), row[5], bool(row[6]), row[7])
                for row in rows
            ),
            directory,
            partitions,
        )


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A SQLite store of synthetic offenders, and its whole log as Parquet in 5 partitions."""
    root = tmp_path_factory.mktemp("engines")
    store = root / "journeys.db"
    with SQLiteStore(store) as s:
        s.append(synth.generate(150, seed=12))
        s.append(synth.generate(20, seed=3, preset="prolific"))
    write_log(store, root / "extract" / "events", 5)
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
            dashboard_address=":0",  # a free port: never clash with another cluster
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected
