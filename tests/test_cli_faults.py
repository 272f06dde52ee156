"""When the machine fails (a full disk, a killed process) or an id is hostile, every command
still says what it did, leaves earlier outputs as they were, and leaves nothing behind."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from offender_journey.cli import ingest as ingest_command
from offender_journey.cli import main
from offender_journey.store import SQLiteStore


def arrest(event_id: str, offender: str = "O1") -> bytes:
    raw = {"type": "arrest", "event_id": event_id, "offender_id": offender, "date": "2014-01-01"}
    return json.dumps({**raw, "arrest_id": f"a-{event_id}"}).encode()


def _full_disk_store(path: Path, room: int) -> SQLiteStore:
    """A real SQLite store whose file may grow only ``room`` pages: a disk that fills up."""
    store = SQLiteStore(path)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + room}")
    return store


# --- rejects files and export directories -----------------------------------------------


def test_a_failed_import_leaves_the_earlier_rejects_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    lines = [arrest(f"e{i}", f"O{i:05d}") if i % 3 else b"{" for i in range(60_000)]
    events.write_bytes(b"\n".join(lines) + b"\n")
    rejects = tmp_path / "bad.tsv"
    rejects.write_bytes(b"1\tfrom an earlier run\t{\n")
    monkeypatch.setattr(ingest_command, "open_store", lambda path, **_: _full_disk_store(path, 400))
    code = main(
        ["ingest", str(events), "--store", str(tmp_path / "j.db"), "--rejects", str(rejects)]
    )
    captured = capsys.readouterr()
    assert code == 3
    assert rejects.read_bytes() == b"1\tfrom an earlier run\t{\n"
    assert f"{rejects} was left as it was" in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tsv", "events.jsonl", "j.db"]


def _killed_while(command: list[str], leftover: Callable[[], list[Path]], cwd: Path) -> None:
    """Run ``command`` and kill -9 it as soon as its work file exists."""
    run = subprocess.Popen(
        [sys.executable, "-m", "offender_journey", *command],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 60
        while not leftover() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert leftover(), "the command ended before its work file was seen"
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait()


def test_the_next_run_removes_what_a_killed_run_left_behind(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(arrest(f"e{i}", f"O{i:05d}") for i in range(20_000)) + b"\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"type": "arrest", "note": "free text"}\n' * 100_000)
    assert main(["ingest", str(events), "--store", str(tmp_path / "j.db")]) == 0

    def work_files() -> list[Path]:
        return sorted(p for p in tmp_path.iterdir() if p.name.startswith("."))

    ingest = ["ingest", "bad.jsonl", "--store", "j.db", "--rejects", "bad.tsv"]
    export = ["export", "out", "--store", "j.db"]
    _killed_while(ingest, lambda: [p for p in work_files() if p.suffix == ".tsv"], tmp_path)
    _killed_while(export, lambda: [p for p in work_files() if p.suffix == ".partial"], tmp_path)
    assert sorted(p.suffix for p in work_files()) == [".partial", ".tsv"]
    # A run writing elsewhere leaves them: they may be another run's, still at work.
    assert main(["ingest", str(events), "--store", str(tmp_path / "j.db")]) == 0
    assert len(work_files()) == 2
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{\n")
    assert (
        main(
            [
                "ingest",
                str(small),
                "--store",
                str(tmp_path / "j.db"),
                "--rejects",
                str(tmp_path / "bad.tsv"),
            ]
        )
        == 1
    )
    assert main(["export", str(tmp_path / "out"), "--store", str(tmp_path / "j.db")]) == 0
    assert work_files() == []
    assert (tmp_path / "bad.tsv").read_bytes().startswith(b"1\tnot valid JSON")
    assert (tmp_path / "out" / "events.jsonl").exists()


# --- hostile ids in text output ------------------------------------------------------------

HOSTILE = [
    "O1\nO9          99  2014-01-01  2014-01-01",
    "nul\x00id",
    "rlo\u202egnp.exe",
    "esc\x1b[2J",
]


def _raw_controls(text: str) -> set[str]:
    bidi = {"\u061c", "\u200e", "\u200f", "\u2028", "\u2029", *map(chr, range(0x202A, 0x202F))}
    bidi |= set(map(chr, range(0x2066, 0x206A)))
    return {c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 or c in bidi}


def test_text_output_escapes_control_and_bidi_characters_in_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    lines = [arrest(f"e{i}", offender) for i, offender in enumerate(HOSTILE)]
    lines += [b'{"type": "risk_assessed", "event_id": "r1", "offender_id": "rlo\\u202egnp.exe",'
              b' "date": "2014-02-01", "tool": "OG\\u202eRS3", "score_2y": 0.5}']  # fmt: skip
    events.write_bytes(b"\n".join(lines) + b"\n")
    store = str(tmp_path / "j.db")
    assert main(["ingest", str(events), "--store", store]) == 0
    capsys.readouterr()
    assert main(["offenders", "--store", store]) == 0
    listing = capsys.readouterr().out
    assert not _raw_controls(listing)
    assert len(listing.splitlines()) == 1 + len(HOSTILE) + 1  # header, one line each, count
    assert "O1\\nO9" in listing
    assert "rlo\\u202egnp.exe" in listing
    for offender in HOSTILE:
        assert main(["timeline", offender, "--store", store]) == 0
        text = capsys.readouterr().out
        assert not _raw_controls(text), offender
        assert not any(line.startswith("O9") for line in text.splitlines())
    assert main(["risk", HOSTILE[2], "--on", "2014-03-01", "--store", store]) == 0
    assert not _raw_controls(capsys.readouterr().out)
    assert main(["offenders", "--store", store, "--json"]) == 0
    assert [o["offender_id"] for o in json.loads(capsys.readouterr().out)] == sorted(HOSTILE)


# --- a full disk -----------------------------------------------------------------------------


class Disk:
    """A small real filesystem for one test: a tmpfs the test mounts (as root).

    Where mounting is not allowed, the store is held to its size instead: every SQLite
    connection opened after :meth:`fill` may not grow the file by a page
    (``PRAGMA max_page_count``), which is how SQLite meets a full disk.
    """

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = root / "disk"
        self.path.mkdir()
        self.monkeypatch = monkeypatch
        mount = ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(self.path)]
        self.mounted = (
            os.geteuid() == 0 and subprocess.run(mount, capture_output=True).returncode == 0
        )

    def fill(self, room: int = 256 * 1024) -> None:
        """Fill the disk but for ``room`` bytes: enough to open a store, not to write much."""
        if self.mounted:
            with open(self.path / "filler", "wb", buffering=0) as filler:
                chunk = b"\0" * (1 << 16)
                with contextlib.suppress(OSError):
                    while filler.write(chunk):
                        pass
                filler.truncate(max(filler.tell() - room, 0))
            return
        connect = sqlite3.connect

        def held(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            db = connect(*args, **kwargs)
            with contextlib.suppress(sqlite3.DatabaseError):
                pages = db.execute("PRAGMA page_count").fetchone()[0]
                db.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
            return db

        self.monkeypatch.setattr(sqlite3, "connect", held)

    def free(self) -> None:
        if self.mounted:
            (self.path / "filler").unlink()
        else:
            self.monkeypatch.undo()

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], check=True)


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    made = Disk(tmp_path, monkeypatch)
    try:
        yield made
    finally:
        made.unmount()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_command_meets_a_full_disk_with_exit_3_what_was_done_and_what_to_do(
    disk: Disk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    # One person with half the events: erasing them is far more than the room left.
    lines = [arrest(f"e{i}", f"O{i % 1000:05d}" if i % 2 else "O00001") for i in range(20_000)]
    events.write_bytes(b"\n".join(lines) + b"\n")
    store = str(disk.path / "j.db")
    assert main(["ingest", str(events), "--store", store, "--no-refresh"]) == 0
    more = tmp_path / "more.jsonl"
    more.write_bytes(arrest("late", "O00001") + b"\n")
    key = tmp_path / "key"
    assert main(["keygen", str(key)]) == 0
    capsys.readouterr()
    disk.fill()

    code, out, err = _run(capsys, "ingest", str(more), "--store", store, "--json")
    assert code == 3, err
    assert json.loads(out)["stored"] == 1  # what was done, on standard output
    assert "the events are stored" in err
    assert "offender-journey refresh" in err  # what to do
    assert "Traceback" not in err

    bulk = tmp_path / "bulk.jsonl"
    bulk.write_bytes(b"\n".join(arrest(f"b{i}", f"B{i:05d}") for i in range(20_000)) + b"\n")
    code, out, err = _run(capsys, "ingest", str(bulk), "--store", store, "--strict")
    assert code == 3, err
    assert "0 stored" in out
    assert "disk is full" in err
    assert "savepoint" not in err

    code, out, err = _run(capsys, "refresh", "--store", store)
    assert (code, out) == (3, ""), err
    assert "the fact tables are as they were" in err

    code, out, err = _run(capsys, "metrics", "--store", store, "--jobs", "1")
    assert (code, out) == (3, ""), err
    assert "free some space" in err

    code, out, err = _run(
        capsys, "erase", "O00001", "--reason", "r", "--key-file", str(key), "--store", store
    )
    assert (code, out) == (3, ""), err
    assert "nothing was erased" in err

    if disk.mounted:  # an export writes files, which only a real full disk refuses
        code, out, err = _run(capsys, "export", str(disk.path / "out"), "--store", store)
        assert (code, out) == (3, ""), err
        assert "nothing was exported" in err
        assert sorted(p.name for p in disk.path.iterdir()) == [
            "filler",
            "j.db",
            "j.db-shm",
            "j.db-wal",
        ]

    disk.free()
    with SQLiteStore(store) as kept:  # all or nothing: the erasure left the person whole
        assert kept.count_events() == 20_001
        assert len(kept.read_stream("O00001")) == 10_021
    assert main(["refresh", "--store", store]) == 0
    gc.collect()  # the faults' tracebacks held connections in cycles; a new process has none
    assert main(["erase", "O00001", "--reason", "r", "--key-file", str(key), "--store", store]) == 0


def test_a_full_standard_output_is_exit_3_without_a_traceback(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(arrest(f"e{i}", f"O{i:05d}") for i in range(2_000)) + b"\n")
    store = str(tmp_path / "j.db")
    assert main(["ingest", str(events), "--store", store]) == 0
    for argv in (["offenders"], ["metrics", "--json"], ["timeline", "O00001"]):
        with open("/dev/full", "w") as full:
            run = subprocess.run(
                [sys.executable, "-m", "offender_journey", *argv, "--store", store],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            )
        assert run.returncode == 3, run.stderr
        assert "Traceback" not in run.stderr
        assert "Exception ignored" not in run.stderr
        assert "cannot write the output" in run.stderr


# --- a store without fact tables -------------------------------------------------------------

VIEW_COMMANDS = ["metrics", "reoffending", "history", "iom", "cost", "warrants", "quality"]


@pytest.mark.parametrize("command", VIEW_COMMANDS)
def test_every_view_answers_from_a_store_that_has_no_fact_tables_yet(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_bytes(b"{\n")
    store = str(tmp_path / "j.db")
    assert main(["ingest", str(only_bad), "--store", store, "--no-refresh"]) == 1
    capsys.readouterr()
    assert main([command, "--store", store, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert main([command, "--store", store]) == 0
