import gc
import sqlite3
from pathlib import Path

import pytest

from decisions import linked
from offender_journey.builder import JourneyBuilder
from offender_journey.errors import ConflictError, StoreError
from offender_journey.events import RecordLinked
from offender_journey.facts.linked import linked_persons
from offender_journey.store import EventStore, SQLiteStore, open_store
from offender_journey.testing import StoreContract


class TestSQLiteStore(StoreContract):
    def make_store(self) -> EventStore:
        return SQLiteStore(":memory:")


def _journey(offender_id: str = "O1") -> JourneyBuilder:
    j = JourneyBuilder(offender_id)
    a = j.arrest("2014-01-01")
    j.charge("2014-01-02", "robbery", arrest=a)
    return j


def test_events_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "journeys.db"
    with SQLiteStore(path) as store:
        store.append(_journey().events)
    with open_store(path) as again:
        assert again.read_stream("O1") == _journey().events
        assert again.append(_journey().events).duplicates == ("O1-e0", "O1-e1")


def test_the_file_is_write_ahead_logged(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "j.db").close()
    mode = sqlite3.connect(tmp_path / "j.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE store_meta SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(StoreError, match="format 99"):
        SQLiteStore(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database at all, just words " * 100)
    with pytest.raises(StoreError, match="cannot open"):
        SQLiteStore(path)


def test_old_schema_versions_are_upcast_on_read() -> None:
    store = SQLiteStore(":memory:")
    import io

    from offender_journey.io import import_jsonl

    line = (
        b'{"type": "sentence", "schema_version": 0, "event_id": "s1", "offender_id": "O1",'
        b' "date": "2015-01-31", "sentence_id": "s1", "charge_ids": ["c1"],'
        b' "disposal": "community_order", "length_months": 12}'
    )
    assert import_jsonl(io.BytesIO(line), store).stored == 1
    (sentence,) = store.read_stream("O1")
    assert sentence.length_days == 365  # type: ignore[union-attr]
    assert sentence.schema_version == 1


_FORMAT_1 = """
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE events (
    offender_id TEXT NOT NULL, version INTEGER NOT NULL, event_id TEXT NOT NULL,
    type TEXT NOT NULL, date TEXT NOT NULL, recorded_at INTEGER NOT NULL,
    recorded_at_given INTEGER NOT NULL, payload TEXT NOT NULL,
    PRIMARY KEY (offender_id, version)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_by_id ON events (event_id);
INSERT INTO store_meta VALUES ('format_version', '1');
"""


def test_a_format_1_store_is_migrated_with_positions_stream_by_stream(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with SQLiteStore(path) as store:
        store.append(_journey().events)
        rows = store._db.execute(
            "SELECT offender_id, version, event_id, type, date, recorded_at, recorded_at_given,"
            " payload FROM events"
        ).fetchall()
    path.unlink()
    with sqlite3.connect(path) as db:
        db.executescript(_FORMAT_1)
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    with SQLiteStore(path) as store:
        assert store.head() == len(rows)
        assert [e for _, e in store.read_after(0)] == _journey().events
        assert store.read_stream("O1") == _journey().events
    version = sqlite3.connect(path).execute("SELECT value FROM store_meta").fetchone()[0]
    assert version == "3"


_FORMAT_2 = """
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE events (
    offender_id TEXT NOT NULL, version INTEGER NOT NULL, event_id TEXT NOT NULL,
    type TEXT NOT NULL, date TEXT NOT NULL, recorded_at INTEGER NOT NULL,
    recorded_at_given INTEGER NOT NULL, payload TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (offender_id, version)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_by_id ON events (event_id);
CREATE UNIQUE INDEX events_by_position ON events (position);
INSERT INTO store_meta VALUES ('format_version', '2');
"""


def test_a_format_2_store_gets_sources_and_keeps_its_events(tmp_path: Path) -> None:
    """A store written before sources: its events are of the default source, unchanged."""
    path = tmp_path / "old.db"
    with SQLiteStore(path) as store:
        store.append(_journey().events)
        rows = store._db.execute(
            "SELECT offender_id, version, event_id, type, date, recorded_at, recorded_at_given,"
            " payload, position FROM events"
        ).fetchall()
    path.unlink()
    with sqlite3.connect(path) as db:
        db.executescript(_FORMAT_2)
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    with SQLiteStore(path) as store:
        assert store.read_stream("O1") == _journey().events
        assert [e for _, e in store.read_after(0)] == _journey().events
        assert store.append(_journey().events).duplicates == ("O1-e0", "O1-e1")
        police = JourneyBuilder("O1", source="police")
        police.arrest("2014-01-01")
        assert store.append(police.events).stored == ("O1-e0",)  # the same id, another source
        assert [e.source for e in store.read_stream("police:O1")] == ["police"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM store_meta").fetchone()[0] == "3"
    assert db.execute("SELECT DISTINCT source FROM events ORDER BY 1").fetchall() == [
        ("",),
        ("police",),
    ]


def test_a_read_restores_automatic_garbage_collection_however_it_ends() -> None:
    # Reads pause the cycle collector while streams are folded; it must come back on.
    store = SQLiteStore(":memory:")
    other = JourneyBuilder("O2")
    other.arrest("2014-01-01")
    store.append([*_journey().events, *other.events])
    assert gc.isenabled()
    for _, _stream in store.read_all():
        assert not gc.isenabled()
    assert gc.isenabled()
    reading = store.read_all()
    next(reading)
    reading.close()  # abandoned halfway
    assert gc.isenabled()
    gc.disable()
    try:
        assert len(list(store.read_all())) == 2
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_row_written_straight_into_the_file_is_skipped_by_every_read(tmp_path: Path) -> None:
    """Another program's rows: no read fails on them, each is noted once without content."""
    path = tmp_path / "j.db"
    j = _journey()
    with SQLiteStore(path) as store:
        store.append(j.events)
        head = store.head()
    with sqlite3.connect(path) as db:
        row = "INSERT INTO events VALUES (?, ?, ?, 'arrest', ?, 0, 0, ?, ?, '')"
        db.execute(row, ("O1", 99, "bad-1", "2014-01-01", "secret, not JSON", head + 1))
        db.execute(row, ("X", 1, "bad-2", "2014-01-01", "[1, 2]", head + 2))
        db.execute(row, ("O1", 100, "bad-3", "2014-01-01", '{"type":"arrest"}', head + 3))
    with SQLiteStore(path) as store:
        store.append(_journey("O2").events)
        assert [e.event_id for e in store.read_stream("O1")] == [e.event_id for e in j.events]
        assert [o for o, _ in store.read_all()] == ["O1", "O2"]
        assert store.read_stream("X") == []
        after = store.read_after(head, limit=2)  # two rows read, neither an event
        assert after == []
        assert [p for p, _ in store.read_after(head)] == [head + 4, head + 5]
        assert [(u.position, u.event_id, u.reason) for u in store.skipped()] == [
            (head + 1, "bad-1", "not valid JSON"),
            (head + 2, "bad-2", "not a JSON object"),
            (head + 3, "bad-3", "invalid arrest_id, date, event_id, offender_id"),
        ]
        assert "secret" not in repr(store.skipped())
        # What SQL alone can tell (a date, a JSON object of the row's type) is left out of
        # the summaries too; bad-3 looks like an event until it is decoded.
        summaries = [(s.offender_id, s.events) for s in store.offender_summaries()]
        assert summaries == [("O1", len(j.events) + 1), ("O2", 2)]


def test_an_event_sent_again_under_the_id_of_an_unreadable_row_is_a_conflict(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    j = _journey()
    with SQLiteStore(path) as store:
        store.append(j.events)
    first = j.events[0]
    with sqlite3.connect(path) as db:  # its stored JSON spoilt by another program
        db.execute("UPDATE events SET payload = 'spoilt' WHERE event_id = ?", (first.event_id,))
    with SQLiteStore(path) as store, pytest.raises(ConflictError):
        store.append([first])


def _plan(db: sqlite3.Connection) -> str:
    """How SQLite finds the link decisions: the query ``linked_persons`` asks."""
    steps = db.execute(
        "EXPLAIN QUERY PLAN SELECT offender_id, payload FROM events"
        f" WHERE type = '{RecordLinked.TYPE}' AND recorded_at <= 0"
        " ORDER BY offender_id, recorded_at, version"
    ).fetchall()
    return "; ".join(step[-1] for step in steps)


def test_link_decisions_are_found_without_reading_every_event(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.append([*_journey().events, linked("A1", "P1"), linked("B1", "P1")])
        assert "USING INDEX events_links" in _plan(store._db)
        assert linked_persons(store) == {"police:A1": "P1", "police:B1": "P1"}
    with sqlite3.connect(path) as db:  # a store of an earlier release: no such index
        db.execute("DROP INDEX events_links")
        assert "USING INDEX" not in _plan(db)
    with SQLiteStore(path) as store:  # made at its first opening by this release
        assert "USING INDEX events_links" in _plan(store._db)
        assert linked_persons(store) == {"police:A1": "P1", "police:B1": "P1"}


def test_a_store_that_cannot_be_written_is_read_without_the_index(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.append([*_journey().events, linked("A1", "P1")])
        store._db.execute("DROP INDEX events_links")  # as an earlier release left it
    with sqlite3.connect(path) as writer:
        writer.execute("BEGIN IMMEDIATE")  # another process is writing: the index must wait
        with SQLiteStore(path) as store:  # without waiting for that writer
            assert "USING INDEX" not in _plan(store._db)
            assert linked_persons(store) == {"police:A1": "P1"}
            assert store.read_stream("O1") == _journey().events
        writer.rollback()
