"""`ingest` keeps the fact tables up to date; `--no-refresh` defers to `refresh`."""

import json
import sqlite3
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.facts.refresh import iter_rows, status
from offender_journey.facts.schema import TABLES
from offender_journey.store import SQLiteStore
from offender_journey.synth import write_jsonl


@pytest.fixture
def cohort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "c.jsonl", 40, seed=3)
    return tmp_path / "c.jsonl"


def test_ingest_refreshes_the_offenders_it_touched(cohort: Path) -> None:
    assert main(["ingest", str(cohort), "--store", "j.db"]) == 0
    with SQLiteStore("j.db") as store:
        assert status(store).current
    charges = sqlite3.connect("j.db").execute("SELECT COUNT(*) FROM charges").fetchone()[0]
    assert charges > 0


def test_a_bulk_load_defers_the_facts_to_refresh(
    cohort: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(cohort), "--store", "j.db", "--no-refresh"]) == 0
    with SQLiteStore("j.db") as store:
        assert not status(store).current
    capsys.readouterr()
    assert main(["refresh", "--store", "j.db", "--jobs", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["offenders"] == 40
    assert report["from_position"] == 0
    assert main(["refresh", "--store", "j.db"]) == 0
    assert "up to date" in capsys.readouterr().out
    main(["ingest", str(cohort), "--store", "one.db"])  # refreshed in this process
    with SQLiteStore("j.db") as shared, SQLiteStore("one.db") as alone:
        for table in TABLES:
            assert list(iter_rows(shared, table.name)) == list(iter_rows(alone, table.name))


def test_metrics_brings_stale_tables_up_to_date_first(
    cohort: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["ingest", str(cohort), "--store", "j.db", "--no-refresh", "--json"])
    capsys.readouterr()
    assert main(["metrics", "--store", "j.db", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["offenders"] == 40
    with SQLiteStore("j.db") as store:
        assert status(store).current


def test_refresh_needs_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["refresh", "--store", "none.db"]) == 2
    assert "no store" in capsys.readouterr().err
