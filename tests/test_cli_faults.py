"""When the machine fails (a full disk, a killed process) or an id is hostile, every command
still says what it did, leaves earlier outputs as they were, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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
