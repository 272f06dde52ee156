"""An import's transactions: large from a file, small from a pipe, never more than a batch
in memory, and committed whole or not at all."""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import weakref
from pathlib import Path

import pytest

from offender_journey.io import ImportInterruptedError, import_csv, import_jsonl
from offender_journey.io.importing import BATCH_SIZE, FILE_BATCH_SIZE, batch_size_for
from offender_journey.store import InMemoryStore, SQLiteStore
from offender_journey.store.base import AppendResult, Record


def _lines(count: int) -> bytes:
    return b"".join(
        json.dumps(
            {
                "type": "arrest",
                "event_id": f"e{i}",
                "offender_id": f"O{i % 997:04d}",  # every offender in every batch
                "date": "2014-01-01",
                "arrest_id": f"a{i}",
            }
        ).encode()
        + b"\n"
        for i in range(count)
    )


def _committed(path: Path) -> int:
    """Events another connection sees: what has been committed."""
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])


class _Appends(SQLiteStore):
    """A real SQLite store that also notes how many records each append was given."""

    sizes: list[int]

    def append_records(
        self, records: list[Record], *, expected_versions: dict[str, int] | None = None
    ) -> AppendResult:
        self.sizes.append(len(records))
        return super().append_records(records, expected_versions=expected_versions)


def test_a_file_goes_into_sqlite_in_large_transactions_a_pipe_in_small_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"")
    read, write = os.pipe()
    left, right = socket.socketpair()
    with SQLiteStore(tmp_path / "j.db") as sqlite, InMemoryStore() as memory:
        try:
            with open(path, "rb") as file, open(read, "rb") as pipe, left.makefile("rb") as sock:
                assert batch_size_for(file, sqlite) == FILE_BATCH_SIZE
                assert batch_size_for(pipe, sqlite) == BATCH_SIZE
                assert batch_size_for(sock, sqlite) == BATCH_SIZE
                # Commits of rows cost little: a file gains nothing from fewer of them.
                assert batch_size_for(file, memory) == BATCH_SIZE
        finally:
            os.close(write)
            left.close()
            right.close()
        assert batch_size_for(io.BytesIO(b""), sqlite) == FILE_BATCH_SIZE  # it never waits
        assert batch_size_for(io.StringIO(""), sqlite) == FILE_BATCH_SIZE
    assert BATCH_SIZE < FILE_BATCH_SIZE


def test_a_transaction_is_appended_a_batch_at_a_time_and_committed_whole(
    tmp_path: Path,
) -> None:
    size = BATCH_SIZE + BATCH_SIZE // 2
    total = 2 * size + 7
    (tmp_path / "e.jsonl").write_bytes(_lines(total))
    seen: list[tuple[int, int]] = []
    with _Appends(tmp_path / "j.db") as store:
        store.sizes = []
        report = import_jsonl(
            tmp_path / "e.jsonl",
            store,
            batch_size=size,
            on_progress=lambda lines: seen.append((lines, _committed(tmp_path / "j.db"))),
        )
        assert store.sizes == [BATCH_SIZE, size - BATCH_SIZE] * 2 + [total - 2 * size]
    assert report.stored == total
    # Told after each commit: another connection sees every event of the transactions so far.
    assert seen[:3] == [(size, size), (2 * size, 2 * size), (total, total)]


def test_a_fault_part_way_through_a_transaction_rolls_all_of_it_back(tmp_path: Path) -> None:
    size = BATCH_SIZE + BATCH_SIZE // 2
    (tmp_path / "e.jsonl").write_bytes(_lines(3 * size))
    path = tmp_path / "j.db"

    with _Appends(path) as store:
        store.sizes = []
        empty = store._db.execute("PRAGMA page_count").fetchone()[0]

        def fill_the_disk(_lines: int) -> None:
            """After the first commit, leave room for five sixths of a transaction: its
            first append fits, its second does not."""
            pages = store._db.execute("PRAGMA page_count").fetchone()[0]
            room = (pages - empty) * 5 // 6
            store._db.execute(f"PRAGMA max_page_count = {pages + room}")

        with pytest.raises(ImportInterruptedError) as caught:
            import_jsonl(tmp_path / "e.jsonl", store, batch_size=size, on_progress=fill_the_disk)
        assert store.sizes == [BATCH_SIZE, size - BATCH_SIZE] * 2  # the last one failed
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert "full" in str(caught.value.__cause__)
    assert caught.value.report.stored == size  # the first transaction, and none of the second
    assert _committed(path) == size


def test_a_csv_extract_takes_the_same_transactions(tmp_path: Path) -> None:
    rows = "".join(f"arrest,e{i},O{i % 7},2014-01-01,a{i}\n" for i in range(5))
    (tmp_path / "e.csv").write_text("type,event_id,offender_id,date,arrest_id\n" + rows)
    seen: list[int] = []
    with SQLiteStore(tmp_path / "j.db") as store:
        report = import_csv(tmp_path / "e.csv", store, batch_size=2, on_progress=seen.append)
    assert report.stored == 5
    assert seen == [3, 5, 6]  # lines read (the header is line 1) after each commit


def test_a_batch_size_below_one_is_refused() -> None:
    with SQLiteStore(":memory:") as store, pytest.raises(ValueError, match="at least 1"):
        import_jsonl(io.BytesIO(_lines(3)), store, batch_size=0)


class _Cycle:
    """An object that refers to itself: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_cycles_made_while_an_import_runs_are_freed_batch_by_batch() -> None:
    # The import holds the cycle collector back while it reads; what a caller's callback
    # leaves in cycles must still be freed as the import goes, not only at its end.
    made: list[weakref.ref[_Cycle]] = []
    alive_after_each_batch: list[int] = []
    lines = b"{}\n" * 30 + _lines(30)  # 30 rejected lines, then 30 events
    report = import_jsonl(
        io.BytesIO(lines),
        InMemoryStore(),
        batch_size=10,
        on_reject=lambda _: made.append(weakref.ref(_Cycle())),
        on_progress=lambda _: alive_after_each_batch.append(sum(r() is not None for r in made)),
    )
    assert (report.stored, len(report.rejections), len(made)) == (30, 30, 30)
    assert alive_after_each_batch[0] == 0
    assert alive_after_each_batch[-1] == 0


def test_an_import_holds_a_larger_page_cache_only_while_it_runs(tmp_path: Path) -> None:
    # Imported events land all over the store; everything else reads or writes one
    # offender after another, and a command that only reads (or its workers) stays small.
    with SQLiteStore(tmp_path / "store.db") as store:
        cache = store.connection.execute("PRAGMA cache_size").fetchone()[0]
        seen: list[int] = []

        def told(line: int) -> None:
            seen.append(store.connection.execute("PRAGMA cache_size").fetchone()[0])

        import_jsonl(io.BytesIO(_lines(3 * BATCH_SIZE)), store, on_progress=told)
        assert seen
        assert set(seen) == {SQLiteStore.IMPORT_CACHE}
        assert store.connection.execute("PRAGMA cache_size").fetchone()[0] == cache
        assert SQLiteStore.IMPORT_CACHE < cache < 0  # sizes in KiB, negative: larger

        def stopped(line: int) -> None:
            raise KeyboardInterrupt  # Ctrl-C once a batch is committed

        with pytest.raises(KeyboardInterrupt):  # however the import ends
            import_jsonl(io.BytesIO(_lines(2 * BATCH_SIZE)), store, on_progress=stopped)
        assert store.connection.execute("PRAGMA cache_size").fetchone()[0] == cache
