"""Ctrl-C stops a long command at the end of a batch, says what was done, and exits 130;
an import that did not finish is noted and every reading command says so until it is
finished or acknowledged. Real processes, real signals, a real SQLite store."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands import ROOT, RUN, command, finish_after_ctrl_c, stored_events, wait_for
from offender_journey.cli import main
from offender_journey.facts import refresh_facts
from offender_journey.io.importing import BATCH_SIZE, FILE_BATCH_SIZE
from offender_journey.store import SQLiteStore
from offender_journey.synth import generate


def _line(i: int) -> bytes:
    event = {
        "type": "arrest",
        "event_id": f"e{i}",
        "offender_id": f"O{i % 300:03d}",
        "date": "2014-01-01",
        "arrest_id": f"a{i}",
    }
    return json.dumps(event).encode() + b"\n"


def test_ctrl_c_during_ingest_stops_after_a_whole_batch_and_rerunning_finishes(
    tmp_path: Path,
) -> None:
    batch = BATCH_SIZE  # read from a pipe, each batch is stored as soon as it is read
    lines = [_line(i) for i in range(3 * batch)]
    (tmp_path / "all.jsonl").write_bytes(b"".join(lines))
    with command("ingest", "-", "--store", "j.db", cwd=tmp_path, stdin=subprocess.PIPE) as ingest:
        assert ingest.stdin is not None
        ingest.stdin.write(b"".join(lines[:batch]))
        ingest.stdin.flush()
        wait_for(lambda: stored_events(tmp_path / "j.db") == batch)
        ingest.send_signal(signal.SIGINT)  # while it waits for more input, or just before
        out, err = finish_after_ctrl_c(ingest, b"".join(lines[batch : 2 * batch]))
    assert ingest.returncode == 130, err.decode()
    assert "Traceback" not in err.decode()
    stored = stored_events(tmp_path / "j.db")
    assert stored in (batch, 2 * batch)  # whole batches, never part of one
    assert f"{stored} stored, 0 already present, 0 rejected" in out.decode()
    assert f"interrupted: {stored:,} events stored so far, in whole batches. " in err.decode()
    assert "Run the same command again to finish the job." in err.decode()

    rerun = subprocess.run(
        [sys.executable, "-c", RUN, "ingest", "all.jsonl", "--store", "j.db"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{3 * batch - stored} stored, {stored} already present" in rerun.stdout.decode()


def test_ctrl_c_while_a_file_is_imported_keeps_its_large_batches_whole(tmp_path: Path) -> None:
    (tmp_path / "all.jsonl").write_bytes(b"".join(_line(i) for i in range(3 * FILE_BATCH_SIZE)))
    with command("ingest", "all.jsonl", "--store", "j.db", cwd=tmp_path) as ingest:
        wait_for(lambda: stored_events(tmp_path / "j.db") > 0, seconds=120, every=0.01)
        ingest.send_signal(signal.SIGINT)
        out, err = ingest.communicate(timeout=120)
    assert ingest.returncode == 130, err.decode()
    stored = stored_events(tmp_path / "j.db")
    assert stored in (
        FILE_BATCH_SIZE,
        2 * FILE_BATCH_SIZE,
        3 * FILE_BATCH_SIZE,
    )  # one transaction each
    assert f"{stored} stored, 0 already present, 0 rejected" in out.decode()
    assert f"interrupted: {stored:,} events stored so far, in whole batches. " in err.decode()


def test_ctrl_c_during_export_leaves_no_directory(tmp_path: Path) -> None:
    with SQLiteStore(str(tmp_path / "j.db")) as store:
        store.append(generate(2000, seed=3))  # a few seconds of writing
    with command("export", "out", "--store", "j.db", cwd=tmp_path) as export:
        wait_for(lambda: any(p.name.startswith(".out.") for p in tmp_path.iterdir()))
        export.send_signal(signal.SIGINT)  # while it writes into its temporary directory
        _, err = export.communicate(timeout=120)
    assert export.returncode == 130, err.decode()
    assert "interrupted: nothing written: out was not created" in err.decode()
    assert "Traceback" not in err.decode()
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_an_unfinished_import_is_said_by_every_reading_command_until_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.jsonl").write_bytes(b"".join(_line(i) for i in range(50)))
    assert main(["ingest", "a.jsonl"]) == 0
    with SQLiteStore("journeys.db") as store:  # as a Ctrl-C or a crash leaves it
        store.set_meta("unfinished_import", f"{tmp_path / 'a.jsonl'}\t2026-12-05 01:00 UTC")
    capsys.readouterr()
    for reading in (["metrics"], ["offenders"], ["timeline", "O001"], ["quality"]):
        main(reading)
        err = capsys.readouterr().err
        assert "warning: the import of" in err, reading
        assert "did not finish" in err
        assert "ingest --acknowledge" in err
    assert main(["ingest", "a.jsonl"]) == 0  # re-running finishes it
    capsys.readouterr()
    main(["metrics"])
    assert "did not finish" not in capsys.readouterr().err
    with SQLiteStore("journeys.db") as store:
        store.set_meta("unfinished_import", f"{tmp_path / 'a.jsonl'}\t2026-12-05 01:00 UTC")
    assert main(["ingest", "--acknowledge"]) == 0
    assert "acknowledged" in capsys.readouterr().out
    main(["metrics"])
    assert "did not finish" not in capsys.readouterr().err


def _writing(store: Path) -> bool:
    """Whether another process holds the store's write lock (a refresh in its transaction)."""
    db = sqlite3.connect(store, timeout=0)
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        db.close()
    return False


def test_ctrl_c_during_refresh_leaves_the_tables_as_they_were(tmp_path: Path) -> None:
    with SQLiteStore(str(tmp_path / "j.db")) as store:
        store.append(generate(2000, seed=3))
        store.connection.commit()
    with command("refresh", "--store", "j.db", cwd=tmp_path) as refresh:
        wait_for(lambda: _writing(tmp_path / "j.db"))
        refresh.send_signal(signal.SIGINT)
        _, err = refresh.communicate(timeout=120)
    assert refresh.returncode == 130, err.decode()
    assert "interrupted: the fact tables were left as they were before this refresh" in err.decode()
    with SQLiteStore(str(tmp_path / "j.db")) as store:
        assert refresh_facts(store).offenders == 2000  # nothing of the stopped refresh was kept


def _identity_lines(people: int) -> bytes:
    """The synthetic agencies' identity records of ``people`` people, as JSON Lines."""
    pytest.importorskip("splink", reason="linkage is the link extra")  # in the test extra
    from offender_journey.agencies import build

    lines = []
    for i, row in enumerate(build(people, seed=5, errors="medium", events=False).identity_rows()):
        fields = {k: v.isoformat() if k == "date_of_birth" else v for k, v in row.items() if v}
        fields.update(event_id=f"id{i}", type="person_recorded", date="2015-01-01")
        lines.append(json.dumps(fields).encode() + b"\n")
    return b"".join(lines)


def test_ctrl_c_during_link_records_no_decision_and_rerunning_links(tmp_path: Path) -> None:
    (tmp_path / "ids.jsonl").write_bytes(_identity_lines(1500))
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        assert main(["ingest", str(tmp_path / "ids.jsonl"), "--store", str(tmp_path / "j.db")]) == 0
    stored = stored_events(tmp_path / "j.db")
    # Started with Ctrl-C ignored, as if pressed only once the command is under way: the
    # command's own handler takes the first Ctrl-C after it is installed, and says so.
    link = subprocess.Popen(
        [sys.executable, "-c", RUN, "link", "--store", "j.db"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    err = b""
    assert link.stderr is not None
    os.set_blocking(link.stderr.fileno(), False)
    deadline = time.monotonic() + 120
    while b"stopping at the end" not in err and link.poll() is None:
        assert time.monotonic() < deadline, "timed out"
        link.send_signal(signal.SIGINT)
        time.sleep(0.05)
        err += link.stderr.read() or b""
    _out, rest = link.communicate(timeout=120)
    err = (err + rest).decode()
    assert link.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: no link decisions were recorded and no model was saved." in err
    assert "Run the same command again to finish the job." in err
    assert stored_events(tmp_path / "j.db") == stored  # not one decision written

    rerun = subprocess.run(
        [sys.executable, "-c", RUN, "link", "--store", "j.db"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert stored_events(tmp_path / "j.db") > stored
