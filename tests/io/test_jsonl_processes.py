"""Lines checked in several processes: the same store, report and rejects as in one.

Real worker processes, real files, a real SQLite store. Starting workers takes a moment,
so the property tries few small files, with workers told to start from the first line.
"""

import io
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands import command, finish_after_ctrl_c, stored_events, wait_for
from offender_journey.codec import Codec
from offender_journey.io import ImportReport, ingest_rows, write_rejection
from offender_journey.io.importing import BATCH_SIZE
from offender_journey.io.jsonl import (
    ALONE_LINES,
    CHUNK_LINES,
    open_lines,
    read_jsonl,
    read_jsonl_in_processes,
)
from offender_journey.store import SQLiteStore

#: When the reading started, for events without ``recorded_at`` (microseconds).
NOW = 1_700_000_000_000_000


def arrest(event_id: str, offender: str = "O1", day: str = "2014-01-01", **more: str) -> bytes:
    event = {"type": "arrest", "event_id": event_id, "offender_id": offender, "date": day}
    return json.dumps({**event, "arrest_id": f"a-{event_id}", **more}).encode()


good_lines = st.builds(
    arrest,
    st.sampled_from([f"e{i}" for i in range(8)]),  # few ids: duplicates and conflicts
    st.sampled_from(["O1", "O2", "O3"]),
    st.sampled_from(["2014-01-01", "2014-03-02"]),
).flatmap(
    lambda line: st.sampled_from(
        [line, line[:-1] + b', "recorded_at": "2015-01-01T00:00:00Z"}', line + b"\r"]
    )
)
bad_lines = st.sampled_from(
    [
        b"",
        b"   ",
        b"{",
        b"[]",
        b"\xff\xfe{}",
        b'{"type": "arrest"}',
        b'{"type": "sighting", "event_id": "x"}',
        arrest("e9", source="Police!"),
        arrest("e10", source="courts"),
        b"[" * 100_000,  # nested deeper than any reader goes: rejected, not lost
    ]
)


def _import(
    data: bytes, jobs: int, *, source: str | None, strict: bool, chunk: int, store: Path
) -> tuple[ImportReport, bytes, list[tuple[object, ...]]]:
    rejects = io.BytesIO()
    with ExitStack() as stack:
        lines = open_lines(io.BytesIO(data), stack)
        rows = (
            read_jsonl(lines, Codec(), now=NOW, source=source)
            if jobs == 1
            else read_jsonl_in_processes(
                lines, Codec(), jobs, now=NOW, source=source, alone=3, chunk=chunk
            )
        )
        with closing(SQLiteStore(store)) as opened:
            report = ingest_rows(
                rows,
                opened,
                strict=strict,
                batch_size=5,
                on_reject=lambda r: write_rejection(rejects, r),
            )
    with sqlite3.connect(store) as db:
        events = db.execute("SELECT * FROM events ORDER BY position").fetchall()
    return report, rejects.getvalue(), events


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.one_of(good_lines, good_lines, bad_lines), min_size=1, max_size=40),
    bom=st.booleans(),
    source=st.sampled_from([None, "police"]),
    strict=st.booleans(),
    chunk=st.integers(1, 6),
)
def test_checking_in_two_processes_stores_and_reports_as_one_does(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    bom: bool,
    source: str | None,
    strict: bool,
    chunk: int,
) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + b"\n"
    folder = tmp_path_factory.mktemp("stores")
    one, two = (
        _import(data, jobs, source=source, strict=strict, chunk=chunk, store=folder / f"{jobs}.db")
        for jobs in (1, 2)
    )
    assert two == one  # report, rejects file, every stored column with its position


def _killing_the_workers(lines: Iterator[bytes], after: int) -> Iterator[bytes]:
    """``lines``, with every worker process killed once ``after`` of them are read."""
    for number, line in enumerate(lines, start=1):
        if number == after:
            for worker in multiprocessing.active_children():
                os.kill(worker.pid or 0, signal.SIGKILL)
        yield line


def test_lines_a_dead_worker_had_are_checked_here_and_none_is_lost() -> None:
    lines = [arrest(f"e{i}", f"O{i % 7}") if i % 5 else b"{bad" for i in range(200)]
    alone = read_jsonl(lines, Codec(), now=NOW)
    shared = read_jsonl_in_processes(
        _killing_the_workers(iter(lines), after=60), Codec(), 2, now=NOW, alone=0, chunk=10
    )
    assert list(shared) == list(alone)


def _file(lines: int) -> bytes:
    return b"".join(arrest(f"e{i}", f"O{i % 300:03d}") + b"\n" for i in range(lines))


@pytest.mark.parametrize("jobs", [("--jobs", "2"), ()], ids=["jobs-2", "automatic"])
def test_events_without_recorded_at_get_one_stamp_in_every_process(
    tmp_path: Path, jobs: tuple[str, ...]
) -> None:
    lines = ALONE_LINES + 6 * CHUNK_LINES  # some checked here, the rest by a worker
    (tmp_path / "e.jsonl").write_bytes(_file(lines))
    args = ("ingest", "e.jsonl", "--store", "j.db", *jobs)
    with command(*args, cwd=tmp_path, own_group=True) as ingest:
        out, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, err.decode()
    assert f"{lines} stored, 0 already present, 0 rejected" in out.decode()
    with sqlite3.connect(tmp_path / "j.db") as db:
        stamps = db.execute("SELECT DISTINCT recorded_at FROM events").fetchall()
    assert len(stamps) == 1
    assert abs(stamps[0][0] / 1e6 - time.time()) < 600


def _processes() -> Iterator[tuple[int, str, int, int]]:
    """Each process: its id, state, parent and process group."""
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                state, parent, group = f.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        yield int(entry), state, int(parent), int(group)


def _workers(pid: int) -> list[int]:
    """The worker processes ``pid`` started (not multiprocessing's resource tracker)."""
    found = []
    for child, _, parent, _ in _processes():
        if parent == pid and b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
            found.append(child)
    return found


def _running(group: int) -> list[int]:
    """The processes of a group still running (a zombie has ended: only its parent's
    note of it is left, and here that is this machine's init)."""
    return [pid for pid, state, _, in_group in _processes() if in_group == group and state != "Z"]


def test_ctrl_c_during_a_parallel_import_stops_every_process_after_a_whole_batch(
    tmp_path: Path,
) -> None:
    total = 8 * BATCH_SIZE
    lines = _file(total).splitlines(keepends=True)
    first = 5 * BATCH_SIZE + 10 * CHUNK_LINES  # past where workers start
    assert first > ALONE_LINES
    (tmp_path / "all.jsonl").write_bytes(b"".join(lines))
    args = ("ingest", "-", "--store", "j.db", "--jobs", "2")
    with command(*args, cwd=tmp_path, stdin=subprocess.PIPE, own_group=True) as ingest:
        assert ingest.stdin is not None
        ingest.stdin.write(b"".join(lines[:first]))
        ingest.stdin.flush()
        wait_for(
            lambda: stored_events(tmp_path / "j.db") == 5 * BATCH_SIZE, seconds=120, every=0.002
        )
        workers = _workers(ingest.pid)
        assert len(workers) == 1  # --jobs 2: this process and one worker
        os.killpg(ingest.pid, signal.SIGINT)  # Ctrl-C: to every process of the command
        out, err = finish_after_ctrl_c(ingest, b"".join(lines[first : 7 * BATCH_SIZE]))
    assert ingest.returncode == 130, err.decode()
    assert "Traceback" not in err.decode()
    stored = stored_events(tmp_path / "j.db")
    assert stored in (5 * BATCH_SIZE, 6 * BATCH_SIZE, 7 * BATCH_SIZE)  # whole batches
    assert f"{stored} stored, 0 already present, 0 rejected" in out.decode()
    assert f"interrupted: {stored:,} events stored so far, in whole batches. " in err.decode()
    assert not set(workers) & set(_running(group=ingest.pid))  # gone with the command
    # multiprocessing's helper ends as soon as it sees the command has: nothing is left.
    wait_for(lambda: _running(group=ingest.pid) == [], seconds=20, every=0.002)
    with sqlite3.connect(tmp_path / "j.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        positions = db.execute("SELECT MIN(position), MAX(position) FROM events").fetchone()
    assert positions == (1, stored)

    args = ("ingest", "all.jsonl", "--store", "j.db", "--jobs", "2")
    with command(*args, cwd=tmp_path, own_group=True) as rerun:
        out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    assert f"{total - stored} stored, {stored} already present, 0 rejected" in out.decode()


def test_ctrl_c_while_the_workers_start_is_theirs_to_ignore(tmp_path: Path) -> None:
    lines = _file(3 * BATCH_SIZE).splitlines(keepends=True)
    first = ALONE_LINES + CHUNK_LINES  # the first chunk for a worker: they start now
    with command(
        "ingest", "-", "--store", "j.db", "--jobs", "2", cwd=tmp_path, stdin=-1, own_group=True
    ) as ingest:
        assert ingest.stdin is not None
        ingest.stdin.write(b"".join(lines[:first]))
        ingest.stdin.flush()
        wait_for(lambda: _workers(ingest.pid), seconds=120, every=0.002)
        starting = _workers(ingest.pid)
        os.killpg(ingest.pid, signal.SIGINT)  # before a worker can have set itself up
        time.sleep(0.5)
        assert set(starting) <= set(_running(group=ingest.pid))  # it stopped none of them
        ingest.stdin.write(b"".join(lines[first:]))
        ingest.stdin.close()
        ingest.wait(timeout=120)
        assert ingest.stderr is not None
        err = ingest.stderr.read().decode()
    assert ingest.returncode == 130, err
    assert "Traceback" not in err
    assert f"interrupted: {3 * BATCH_SIZE:,} events stored so far" in err


def test_an_import_killed_outright_leaves_no_worker_behind(tmp_path: Path) -> None:
    lines = _file(ALONE_LINES + 4 * CHUNK_LINES)
    with command(
        "ingest", "-", "--store", "j.db", "--jobs", "2", cwd=tmp_path, stdin=-1, own_group=True
    ) as ingest:
        assert ingest.stdin is not None
        ingest.stdin.write(lines)  # the input stays open: the import waits for more
        ingest.stdin.flush()
        wait_for(lambda: _workers(ingest.pid), seconds=120, every=0.002)
        workers = _workers(ingest.pid)
        wait_for(lambda: stored_events(tmp_path / "j.db") > 0, seconds=120)  # under way
        ingest.kill()  # as the out-of-memory killer would: no chance to stop its workers
        ingest.wait(timeout=60)
        # Each worker sees its command gone and ends; multiprocessing's helper follows.
        wait_for(lambda: _running(group=ingest.pid) == [], seconds=30, every=0.05)
    assert not set(workers) & set(_running(group=ingest.pid))
