"""The SQLite file as a careful user relies on it: identified before use, private, patient."""

import contextlib
import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.errors import StoreBusyError, StoreError
from offender_journey.store import APPLICATION_ID, SQLiteStore, open_store


def _journey(offender: str = "O1") -> JourneyBuilder:
    j = JourneyBuilder(offender)
    j.arrest("2014-01-01")
    return j


def _fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- identity ----------------------------------------------------------------------------


def test_a_new_store_carries_our_application_id(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "j.db").close()
    with sqlite3.connect(tmp_path / "j.db") as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_a_database_of_another_application_is_refused_and_left_untouched(
    tmp_path: Path, journal: str
) -> None:
    path = tmp_path / "firefox.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA journal_mode={journal}")
        db.execute("CREATE TABLE bookmarks (url TEXT)")
        db.execute("INSERT INTO bookmarks VALUES ('https://example.org')")
    db.close()
    before = _fingerprint(tmp_path)
    with pytest.raises(StoreError, match="another application"):
        SQLiteStore(path)
    with pytest.raises(StoreError, match="another application"):
        open_store(path, create=True)
    assert _fingerprint(tmp_path) == before


def test_a_database_with_a_foreign_application_id_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 1234")
        db.execute("CREATE TABLE events (anything TEXT)")
    db.close()
    before = _fingerprint(tmp_path)
    with pytest.raises(StoreError, match="0x000004d2"):
        SQLiteStore(path)
    assert _fingerprint(tmp_path) == before


def test_a_database_with_a_different_events_table_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "calendar.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, title TEXT, starts TEXT)")
        db.execute("INSERT INTO events (title, starts) VALUES ('dentist', '2024-01-01')")
    db.close()
    before = _fingerprint(tmp_path)
    with pytest.raises(StoreError, match="not an event store"):
        SQLiteStore(path)
    assert _fingerprint(tmp_path) == before
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert tables == {"events"}


def test_a_text_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n" * 200)
    before = _fingerprint(tmp_path)
    with pytest.raises(StoreError, match="not a SQLite database"):
        SQLiteStore(path)
    assert _fingerprint(tmp_path) == before


def test_a_store_of_the_previous_release_is_opened_and_stamped(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with SQLiteStore(path) as store:
        store.append(_journey().events)
    with sqlite3.connect(path) as db:  # what the previous release wrote: no application id
        db.execute("PRAGMA application_id = 0")
    db.close()
    with SQLiteStore(path) as store:
        assert store.count_events() == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


# --- create= -----------------------------------------------------------------------------


def test_open_store_refuses_a_missing_store_by_default(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()


def test_open_store_creates_when_asked(tmp_path: Path) -> None:
    with open_store(tmp_path / "new.db", create=True) as store:
        store.append(_journey().events)
    with open_store(tmp_path / "new.db") as store:
        assert store.count_events() == 1


def test_an_empty_file_is_a_new_store_only_when_creating(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    with pytest.raises(StoreError, match="empty file"):
        open_store(tmp_path / "empty.db")
    with open_store(tmp_path / "empty.db", create=True) as store:
        assert store.count_events() == 0


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_a_new_store_and_its_log_files_are_owner_only(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        store = SQLiteStore(tmp_path / "j.db")
        store.append(_journey().events)
        files = sorted(tmp_path.iterdir())
        assert {p.name for p in files} >= {"j.db", "j.db-wal", "j.db-shm"}
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        store.close()
    finally:
        os.umask(old)


# --- a second writer ---------------------------------------------------------------------

_HOLDER = """
import sys, time
from offender_journey.store import SQLiteStore
store = SQLiteStore(sys.argv[1])
with store.atomic():
    store.append([])
    store._db.execute("INSERT INTO store_meta VALUES ('holder', 'x')")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    store._db.execute("DELETE FROM store_meta WHERE key = 'holder'")
store.close()
"""


@contextlib.contextmanager
def holding(path: Path, seconds: float) -> Iterator[None]:
    """Another process holding the store's write lock for ``seconds`` (waited for on exit)."""
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        yield


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    SQLiteStore(path).close()
    with holding(path, 1.0), SQLiteStore(path, busy_timeout=20) as store:
        start = time.monotonic()
        assert store.append(_journey().events).stored == ("O1-e0",)
        assert time.monotonic() - start > 0.3


def test_a_second_writer_gives_up_with_a_clear_error_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    SQLiteStore(path).close()
    with holding(path, 3.0), SQLiteStore(path, busy_timeout=0.3) as store:
        with pytest.raises(StoreBusyError, match="busy: another process"):
            store.append(_journey().events)
        assert store.count_events() == 0
    with SQLiteStore(path) as store:  # nothing lost: trying again works
        assert store.append(_journey().events).stored == ("O1-e0",)


def test_a_sqlite_store_refuses_use_from_another_thread(tmp_path: Path) -> None:
    import threading

    store = SQLiteStore(tmp_path / "j.db")
    caught: list[BaseException] = []

    def other() -> None:
        try:
            store.count_events()
        except sqlite3.ProgrammingError as exc:
            caught.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert len(caught) == 1
    store.close()
