"""`offender-journey ingest` as a user meets it: messages, exit codes, nothing half-stored."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.store import SQLiteStore

GOOD = (
    '{"type": "arrest", "event_id": "e1", "offender_id": "O1", "date": "2014-01-01", "arrest_id": "a1"}\n'
    '{"type": "charge", "event_id": "e2", "offender_id": "O1", "date": "2014-01-02", "charge_id": "c1",'
    ' "arrest_id": "a1", "offence": {"code": "R1", "category": "robbery"}, "offence_date": "2014-01-01"}\n'
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str | bytes) -> str:
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return str(path)


def test_ingest_stores_into_journeys_db_by_default(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", write(workdir / "e.jsonl", GOOD)]) == 0
    assert "2 stored, 0 already present, 0 rejected" in capsys.readouterr().out
    assert SQLiteStore(workdir / "journeys.db").count_events() == 2


def test_ingest_json_output_and_idempotency(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(workdir / "e.jsonl", GOOD)
    main(["ingest", events, "--store", "s.db", "--json"])
    capsys.readouterr()
    assert main(["ingest", events, "--store", "s.db", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("stored", "duplicates", "rejected")} == {
        "stored": 0,
        "duplicates": 2,
        "rejected": 0,
    }


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (
            '{"type": "arrest", "event_id": "e9", "offender_id": "O1", "date": "2014-01-0',
            "not valid JSON",
        ),
        (
            '{"type": "arrest", "event_id": 9, "offender_id": "O1", "date": "2014-01-01", "arrest_id": "a"}',
            "event_id: expected a string",
        ),
        (
            '{"type": "sighting", "event_id": "e9", "offender_id": "O1", "date": "2014-01-01"}',
            "type: unknown event type 'sighting'",
        ),
        (
            '{"type": "charge", "event_id": "e9", "offender_id": "O1", "date": "2014-01-02", "charge_id": "c9",'
            ' "offence": {"code": "X", "category": "piracy"}, "offence_date": "2014-01-01"}',
            "offence.category: unknown category 'piracy'",
        ),
        (
            '{"type": "arrest", "event_id": "e9", "offender_id": "O1", "date": "2014-02-30", "arrest_id": "a"}',
            "date: impossible date",
        ),
        (
            '{"type": "arrest", "event_id": "e9", "offender_id": "O1", "date": "2014-02-03T10:00:00", "arrest_id": "a"}',
            "date: datetime '2014-02-03T10:00:00' has no UTC offset",
        ),
        (
            '{"type": "arrest", "event_id": "e1", "offender_id": "O1", "date": "2015-01-01", "arrest_id": "a1"}',
            "event_id: event_id 'e1' already stored with different content",
        ),
    ],
)
def test_a_bad_line_is_named_and_the_rest_stored(
    workdir: Path, capsys: pytest.CaptureFixture[str], bad_line: str, message: str
) -> None:
    events = write(workdir / "e.jsonl", GOOD + bad_line + "\n")
    assert main(["ingest", events, "--rejects", "rejects.tsv"]) == 1
    err = capsys.readouterr().err
    assert f"line 3: {message}" in err
    assert SQLiteStore(workdir / "journeys.db").count_events() == 2
    rejected = (workdir / "rejects.tsv").read_text().rstrip("\n").split("\t", 2)
    assert rejected[0] == "3"
    assert rejected[2] == bad_line


def test_strict_stores_nothing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write(workdir / "e.jsonl", GOOD + "{oops\n")
    assert main(["ingest", events, "--strict"]) == 1
    assert "nothing stored" in capsys.readouterr().out
    assert SQLiteStore(workdir / "journeys.db").count_events() == 0


def test_missing_file_is_a_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "nowhere.jsonl"]) == 2
    assert "cannot read 'nowhere.jsonl'" in capsys.readouterr().err
    assert not (workdir / "journeys.db").exists()


def test_empty_and_non_utf8_files(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", write(workdir / "empty.jsonl", b"")]) == 0
    assert "no events found" in capsys.readouterr().err
    assert main(["ingest", write(workdir / "latin1.jsonl", "caf\xe9\n".encode("latin-1"))]) == 1
    assert "not valid UTF-8" in capsys.readouterr().err


def test_bad_arguments_exit_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest"]) == 2
    assert "give the file to import" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["ingest", "--nonsense"])
    assert caught.value.code == 2


def test_console_script_reads_stdin(workdir: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "offender_journey", "ingest", "-", "--json"],
        input=GOOD.encode(),
        capture_output=True,
        check=False,
        cwd=workdir,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["stored"] == 2


def test_help_explains_the_commands() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "offender_journey", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ingest" in run.stdout
    assert "journeys.db" in run.stdout
