"""`refresh --engine dask`: the store's fact tables, derived on a cluster and written as Parquet."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from offender_journey.cli import main
from offender_journey.engines import dask as engine
from offender_journey.errors import EngineError
from offender_journey.facts import TABLES, refresh_facts
from offender_journey.facts.refresh import iter_rows
from offender_journey.io.export import export
from offender_journey.io.parquet import part_paths
from offender_journey.store import SQLiteStore


def stored_facts(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The store's own fact tables (after its refresh), sorted, without store positions."""
    with SQLiteStore(store) as s:
        refresh_facts(s)
        tables = {
            t.name: sorted((tuple(r) for r in iter_rows(s, t.name)), key=repr) for t in TABLES
        }
    tables["offenders"] = [row[:-1] for row in tables["offenders"]]  # the position
    return tables


def parquet_facts(directory: Path, *, position: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Fact tables read back with pyarrow, sorted (``offenders.position`` dropped unless asked)."""
    tables = {}
    for table in TABLES:
        rows = [
            tuple(row.values())
            for path in part_paths(directory / table.name)
            for row in pq.read_table(path).to_pylist()
        ]
        if table.name == "offenders" and not position:
            rows = [row[:-1] for row in rows]
        tables[table.name] = sorted(rows, key=repr)
    return tables


@pytest.fixture(scope="module")
def written(cohort, client, tmp_path_factory) -> tuple[Path, engine.FactsWritten]:
    """The cohort's whole log, its fact tables derived on the two-worker cluster."""
    _, extract = cohort
    out = tmp_path_factory.mktemp("dask_facts") / "facts"
    return out, engine.refresh_parquet(extract, out, scheduler=client)


def test_fact_tables_equal_the_stores_own_row_for_row(cohort, written):
    store, _ = cohort
    out, report = written
    expected = stored_facts(store)
    got = parquet_facts(out)
    for table in TABLES:
        assert got[table.name] == expected[table.name], table.name
        assert report.rows[table.name] == len(expected[table.name])
    assert report.offenders == len(expected["offenders"]) > 0
    assert report.partitions == 5


def test_fact_tables_equal_a_parquet_export_file_for_file(cohort, written, tmp_path):
    """Same layout, columns, Arrow types and rows as ``export --format parquet`` (5 partitions)."""
    store, _ = cohort
    out, _ = written
    with SQLiteStore(store) as s:
        export(s, tmp_path / "export", format="parquet", partitions=5)
    for table in TABLES:
        ours = part_paths(out / table.name)
        theirs = part_paths(tmp_path / "export" / table.name)
        assert [p.name for p in ours] == [p.name for p in theirs]
        for mine, exported in zip(ours, theirs, strict=True):
            assert pq.read_table(mine).equals(pq.read_table(exported)), f"{table.name}/{mine.name}"


def test_output_is_private_and_read_by_duckdb_and_polars(written):
    out, report = written
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)
    assert not list(out.parent.glob(".facts.*"))  # the work directory was renamed
    (convicted,) = duckdb.sql(
        f"select count(*) from '{out}/charges/*.parquet' where outcome = 'convicted'"
    ).fetchall()[0]
    assert 0 < convicted < report.rows["charges"]
    offenders = pl.read_parquet(out / "offenders" / "*.parquet")
    assert offenders.height == report.offenders
    assert offenders.schema["date_of_birth"] == pl.Date


def test_cli_refresh_on_dask_writes_the_tables(cohort, client, tmp_path, capsys, monkeypatch):
    """On a terminal, the partitions derived so far are counted on standard error."""
    store, extract = cohort
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    argv = ["refresh", "--engine", "dask", "--scheduler", client.scheduler.address]
    assert main([*argv, "--parquet", str(extract), "--out", str(tmp_path / "f"), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.endswith("derived 5/5 partitions\n")
    shown = json.loads(captured.out)
    assert shown["partitions"] == 5
    assert shown["rows"] == {name: len(rows) for name, rows in stored_facts(store).items()}
    assert parquet_facts(tmp_path / "f") == stored_facts(store)


def test_an_existing_output_is_never_overwritten(cohort, client, tmp_path, capsys):
    _, extract = cohort
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "keep").write_text("mine")
    argv = ["refresh", "--engine", "dask", "--scheduler", client.scheduler.address]
    assert main([*argv, "--parquet", str(extract), "--out", str(tmp_path / "f")]) == 2
    assert "exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "f").iterdir()] == ["keep"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--engine", "dask", "--out", "f"], "--engine dask reads --parquet DIR"),
        (["--engine", "dask", "--parquet", "x"], "--engine dask reads --parquet DIR"),
        (["--parquet", "x", "--out", "f"], "--parquet and --out are for --engine dask"),
    ],
)
def test_missing_or_stray_options_are_usage_errors(argv, message, tmp_path, capsys):
    assert main(["refresh", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "f").exists()


def test_unreachable_scheduler_is_named_exits_2_and_writes_nothing(cohort, tmp_path, capsys):
    _, extract = cohort
    argv = ["refresh", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    argv += ["--parquet", str(extract), "--out", str(tmp_path / "f"), "--scheduler-timeout", "1"]
    assert main(argv) == 2
    assert "no Dask scheduler answered at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_worker_without_pyarrow_is_told_what_to_install(cohort, client, tmp_path):
    """Workers that cannot import pyarrow.parquet: refused before any task, nothing written."""
    _, extract = cohort

    def hide() -> None:
        import sys

        import pyarrow

        pyarrow.hidden_parquet = sys.modules["pyarrow.parquet"]  # type: ignore[attr-defined]
        sys.modules["pyarrow.parquet"] = None  # type: ignore[assignment]  # imports now fail

    def restore() -> None:
        import sys

        import pyarrow

        sys.modules["pyarrow.parquet"] = pyarrow.hidden_parquet  # type: ignore[attr-defined]

    client.run(hide)
    try:
        with pytest.raises(EngineError, match=r"cannot import 'pyarrow\.parquet'"):
            engine.refresh_parquet(extract, tmp_path / "f", scheduler=client)
    finally:
        client.run(restore)
    assert list(tmp_path.iterdir()) == []


def test_no_partitions_is_a_usage_error(tmp_path, capsys):
    argv = ["refresh", "--engine", "dask", "--parquet", str(tmp_path), "--out", str(tmp_path / "f")]
    assert main(argv) == 2
    assert "no Parquet partitions" in capsys.readouterr().err
