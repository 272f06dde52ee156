"""A refresh in several processes: workers derive into files of their own, SQLite copies them in.

The tables must be the same, row for row, as a refresh in one process, for a first
refresh and for a later one that replaces some offenders' rows; the workers' files are
their owner's only and are gone (and detached) when the refresh is over.
"""

import json
import os
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import Any

import attrs
import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.cli import main
from offender_journey.events import Event
from offender_journey.facts import refresh_facts
from offender_journey.facts.refresh import auto_jobs, iter_rows, status
from offender_journey.facts.schema import TABLES
from offender_journey.store import SQLiteStore
from offender_journey.synth import generate, write_jsonl


def dump(store: SQLiteStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact table's rows, in key order."""
    return {t.name: list(iter_rows(store, t.name)) for t in TABLES}


def attached(store: SQLiteStore) -> list[str]:
    return [row[1] for row in store.connection.execute("PRAGMA database_list")]


def late_arrests(offender_ids: list[str]) -> list[Event]:
    """One more arrest for each offender, under fresh ids."""
    return [
        attrs.evolve(
            JourneyBuilder(o).arrest("2016-06-01"), event_id=f"{o}-late", arrest_id=f"{o}-late"
        )
        for o in offender_ids
    ]


class FilesSeen:
    """A progress that notes, at each update, the workers' files and their modes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.modes: dict[str, int] = {}

    def set_description(self, desc: str) -> None:
        pass

    def reset(self, total: int | None = None) -> None:
        pass

    def update(self, n: int = 1) -> None:
        for path in self.directory.glob("*/*"):
            self.modes[path.name] = stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this test (workers' files included) under a directory of its own."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def test_two_processes_write_the_rows_one_process_writes(tmp_path: Path, private_tmp: Path) -> None:
    events = list(generate(40, seed=11))
    late = late_arrests(["S11-O000003", "S11-O000017", "S11-O000031"])
    more = list(generate(45, seed=11))[len(events) :]  # five new offenders
    results = []
    for jobs in (1, 2):
        with SQLiteStore(tmp_path / f"j{jobs}.db") as store:
            store.append(events)
            seen = FilesSeen(private_tmp)
            assert refresh_facts(store, jobs=jobs, progress=seen).offenders == 40
            first = dump(store)
            store.append(late + more)
            assert refresh_facts(store, jobs=jobs).offenders == 3 + 5
            assert status(store).current
            assert attached(store) == ["main"]
            results.append((first, dump(store), seen.modes))
    (one_first, one_then, _), (two_first, two_then, modes) = results
    assert two_first == one_first
    assert two_then == one_then
    assert two_then != two_first  # the late arrests replaced rows
    assert len(modes) == 1  # one worker's file: this process derived shares of its own
    assert set(modes.values()) == {0o600}, modes  # and was its owner's only
    assert list(private_tmp.iterdir()) == []  # every file and directory removed


def test_inside_a_callers_transaction_the_refresh_derives_in_its_own_process(
    tmp_path: Path, private_tmp: Path
) -> None:
    with SQLiteStore(tmp_path / "j.db") as store:
        store.append(list(generate(12, seed=5)))
        with store.atomic():
            assert refresh_facts(store, jobs=2).offenders == 12
        assert attached(store) == ["main"]
        assert status(store).current
    assert list(private_tmp.iterdir()) == []


def test_ingest_jobs_2_gives_the_tables_of_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "c.jsonl", 30, seed=6)
    assert main(["ingest", "c.jsonl", "--store", "one.db"]) == 0
    capsys.readouterr()
    assert main(["ingest", "c.jsonl", "--store", "two.db", "--jobs", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["facts_refreshed"] == 30
    one, two = sqlite3.connect("one.db"), sqlite3.connect("two.db")
    for table in TABLES:
        query = f"SELECT * FROM {table.name}"
        assert one.execute(query).fetchall() == two.execute(query).fetchall()
    assert oct(os.stat("two.db").st_mode & 0o777) == oct(0o600)


def test_jobs_0_is_automatic_and_the_default_and_fewer_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "c.jsonl", 30, seed=6)
    for store, jobs in (("one.db", ["--jobs", "1"]), ("auto.db", ["--jobs", "0"]), ("d.db", [])):
        assert main(["ingest", "c.jsonl", "--store", store, "--no-refresh", *jobs]) == 0
        assert main(["refresh", "--store", store, *jobs]) == 0
    capsys.readouterr()
    one = sqlite3.connect("one.db")
    for store in ("auto.db", "d.db"):
        other = sqlite3.connect(store)
        for table in TABLES:
            query = f"SELECT * FROM {table.name}"
            assert one.execute(query).fetchall() == other.execute(query).fetchall()
    for command in (["ingest", "c.jsonl"], ["refresh"]):
        with pytest.raises(SystemExit) as exited:
            main([*command, "--jobs", "-1"])
        assert exited.value.code == 2
        assert "-1 is too small" in capsys.readouterr().err


def test_automatic_jobs_start_every_core_from_200000_new_events(
    tmp_path: Path, private_tmp: Path
) -> None:
    assert auto_jobs(199_999) == 1
    assert auto_jobs(200_000) == (os.cpu_count() or 1)
    with SQLiteStore(tmp_path / "j.db") as store:
        store.append(list(generate(12, seed=5)))
        seen = FilesSeen(private_tmp)
        # 12 offenders' events are few: derived here, no worker started
        assert refresh_facts(store, jobs=0, progress=seen).offenders == 12
        assert seen.modes == {}
        assert status(store).current


def test_rows_that_cannot_be_read_back_are_listed_by_two_processes_as_by_one(
    tmp_path: Path,
) -> None:
    row = (
        "INSERT INTO events (offender_id, version, event_id, type, date, recorded_at,"
        " recorded_at_given, payload, position, source) VALUES (?, ?, ?, 'arrest', ?,"
        " 1700000000000000, 0, ?, ?, '')"
    )
    results = []
    for jobs in (1, 2):
        path = tmp_path / f"j{jobs}.db"
        with SQLiteStore(path) as store:
            store.append(list(generate(20, seed=8)))
            head = store.head()
        with sqlite3.connect(path) as db:  # another program writing to the file
            db.execute(row, ("R1", 1, "bad-alone", "2014-01-01", "not JSON", head + 1))
            (version,) = db.execute(
                "SELECT MAX(version) FROM events WHERE offender_id = 'S8-O000004'"
            ).fetchone()
            db.execute(row, ("S8-O000004", version + 1, "bad", "2014-01-01", "{}", head + 2))
        with SQLiteStore(path) as store:
            assert refresh_facts(store, jobs=jobs).offenders == 21
            results.append(dump(store))
    assert results[1] == results[0]
    assert [r.event_id for r in results[1]["unreadable_events"]] == ["bad-alone", "bad"]
