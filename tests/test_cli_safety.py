"""The command line never destroys data, refuses unsafe paths and bad values, and survives
any console: what a careless or hostile user meets."""

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offender_journey import synth
from offender_journey.cli import main
from offender_journey.store import SQLiteStore

GOOD = (
    '{"type": "arrest", "event_id": "e1", "offender_id": "O1", "date": "2014-01-01",'
    ' "arrest_id": "a1"}\n'
    '{"type": "charge", "event_id": "e2", "offender_id": "O1", "date": "2014-01-02",'
    ' "charge_id": "c1", "arrest_id": "a1", "offence": {"code": "R1", "category": "robbery"},'
    ' "offence_date": "2014-01-01"}\n'
)
BAD = '{"type": "arrest", "event_id": "e9"}\n'


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)  # the usual umask, which would make files world-readable
    yield tmp_path
    os.umask(old)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def stored(path: Path) -> int:
    with SQLiteStore(path, create=False) as store:
        return store.count_events()


# --- outputs never destroy inputs or the store --------------------------------------------


def spellings(workdir: Path, target: Path) -> list[str]:
    """Ways of naming ``target``: as given, absolute, through ./, a symlink, a hard link."""
    (workdir / "sub").mkdir(exist_ok=True)
    link = workdir / "sub" / ("link-" + target.name)
    link.symlink_to(target)
    hard = workdir / "sub" / ("hard-" + target.name)
    os.link(target, hard)
    return [target.name, str(target), f"./sub/../{target.name}", str(link), str(hard)]


def test_rejects_onto_the_input_is_refused_however_spelled(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = workdir / "in.jsonl"
    source.write_text(GOOD + BAD)
    before = digest(source)
    for spelling in spellings(workdir, source):
        assert main(["ingest", "in.jsonl", "--rejects", spelling]) == 2
        assert "is the input file" in capsys.readouterr().err
        assert digest(source) == before
    assert not (workdir / "journeys.db").exists()  # refused before anything was written


def test_rejects_onto_the_store_is_refused_however_spelled(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "in.jsonl").write_text(GOOD + BAD)
    assert main(["ingest", "in.jsonl"]) == 1
    store = workdir / "journeys.db"
    capsys.readouterr()
    for spelling in [*spellings(workdir, store), "journeys.db-wal"]:
        assert main(["ingest", "in.jsonl", "--rejects", spelling]) == 2
        assert "is the store" in capsys.readouterr().err
        assert stored(store) == 2


def test_rejects_onto_a_store_not_yet_made_is_refused(workdir: Path) -> None:
    (workdir / "in.jsonl").write_text(GOOD)
    assert main(["ingest", "in.jsonl", "--store", "new.db", "--rejects", "./new.db"]) == 2
    assert not (workdir / "new.db").exists()


def test_an_output_that_is_a_directory_is_refused_before_importing(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "in.jsonl").write_text(GOOD)
    (workdir / "out").mkdir()
    assert main(["ingest", "in.jsonl", "--rejects", "out"]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert not (workdir / "journeys.db").exists()


def test_the_store_cannot_be_its_own_input(workdir: Path) -> None:
    (workdir / "in.jsonl").write_text(GOOD)
    assert main(["ingest", "in.jsonl"]) == 0
    before = digest(workdir / "journeys.db")
    assert main(["ingest", "journeys.db"]) == 2
    assert digest(workdir / "journeys.db") == before


@pytest.mark.parametrize("command", [["metrics"], ["timeline", "O1"]])
def test_png_onto_the_store_is_refused(
    workdir: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "in.jsonl").write_text(GOOD)
    assert main(["ingest", "in.jsonl"]) == 0
    capsys.readouterr()
    assert main([*command, "--png", str(workdir / "journeys.db")]) == 2
    assert "--png" in capsys.readouterr().err
    assert stored(workdir / "journeys.db") == 2


def test_rejects_file_is_private_complete_and_leaves_no_temporary_file(workdir: Path) -> None:
    (workdir / "in.jsonl").write_text(GOOD + BAD + BAD)
    (workdir / "rejects.tsv").write_text("an older rejects file\n")
    os.chmod(workdir / "rejects.tsv", 0o644)
    assert main(["ingest", "in.jsonl", "--rejects", "rejects.tsv"]) == 1
    lines = (workdir / "rejects.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["3", "4"]
    assert mode(workdir / "rejects.tsv") == 0o600
    assert mode(workdir / "journeys.db") == 0o600
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".")] == []


def test_a_failed_png_leaves_the_earlier_picture_alone(workdir: Path) -> None:
    (workdir / "in.jsonl").write_text(GOOD)
    assert main(["ingest", "in.jsonl"]) == 0
    assert main(["metrics", "--png", "days.png"]) == 0
    assert mode(workdir / "days.png") == 0o600
    before = digest(workdir / "days.png")
    # Without the view it draws, the command fails: the old picture stays whole.
    assert main(["metrics", "--views", "conversion", "--png", "days.png"]) == 2
    assert digest(workdir / "days.png") == before
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".")] == []


def test_synth_output_is_private_and_never_overwrites_a_store(workdir: Path) -> None:
    assert main(["synth", "cohort.jsonl", "--offenders", "3"]) == 0
    assert mode(workdir / "cohort.jsonl") == 0o600
    assert main(["ingest", "cohort.jsonl"]) == 0
    before = digest(workdir / "journeys.db")
    assert main(["synth", "journeys.db", "--offenders", "3"]) == 2
    assert digest(workdir / "journeys.db") == before


# --- reading commands never create a store ------------------------------------------------


@pytest.mark.parametrize("command", [["metrics"], ["quality"], ["timeline", "O1"], ["cost"]])
def test_reading_commands_refuse_a_missing_store(
    workdir: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--store", "typo.db"]) == 2
    assert "no store at 'typo.db'" in capsys.readouterr().err
    assert not (workdir / "typo.db").exists()


def test_a_foreign_database_is_refused_by_ingest(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    with sqlite3.connect(workdir / "app.db") as db:
        db.execute("CREATE TABLE settings (k TEXT, v TEXT)")
    db.close()
    before = digest(workdir / "app.db")
    (workdir / "in.jsonl").write_text(GOOD)
    assert main(["ingest", "in.jsonl", "--store", "app.db"]) == 2
    assert "another application" in capsys.readouterr().err
    assert digest(workdir / "app.db") == before


# --- a second writer ----------------------------------------------------------------------

_HOLDER = """
import sys, time
from offender_journey.store import SQLiteStore
store = SQLiteStore(sys.argv[1])
with store.atomic():
    store._db.execute("INSERT INTO store_meta VALUES ('holder', 'x')")
    print("holding", flush=True)
    time.sleep(3)
    store._db.execute("DELETE FROM store_meta WHERE key = 'holder'")
"""


def test_ingest_while_another_process_writes_fails_clearly_with_its_own_code(
    workdir: Path,
) -> None:
    (workdir / "in.jsonl").write_text(GOOD)
    SQLiteStore(workdir / "journeys.db").close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, "journeys.db"], stdout=subprocess.PIPE, text=True, env=env
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        run = subprocess.run(
            [sys.executable, "-m", "offender_journey", "ingest", "in.jsonl", "--wait", "0.2"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    assert run.returncode == 75
    assert "busy" in run.stderr
    assert "Traceback" not in run.stderr
    assert "database is locked" not in run.stderr
    assert stored(workdir / "journeys.db") == 0
    assert main(["ingest", "in.jsonl"]) == 0  # nothing lost: the same import again works
    assert stored(workdir / "journeys.db") == 2


# --- argument values ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("safety") / "journeys.db"
    with SQLiteStore(path) as s:
        s.append(synth.generate(10, seed=2))
    return str(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["synth", "-", "--offenders", "-5"], "whole number >= 1"),
        (["synth", "-", "--offenders", "0"], "whole number >= 1"),
        (["iom", "--threshold", "75"], "did you mean 0.75"),
        (["iom", "--threshold", "nan"], "not a share from 0 to 1"),
        (["iom", "--lower-threshold", "-0.1"], "not a share from 0 to 1"),
        (["iom", "--threshold", "0.5", "--lower-threshold", "0.6"], "above --threshold"),
        (["iom", "--look-back", "0"], "whole number >= 1"),
        (["iom", "--categories", "robbery,piracy"], "unknown category 'piracy'; choose from"),
        (["warrants", "--on-time", "70"], "did you mean 0.7"),
        (["warrants", "--targets", "D=10"], "the categories are A, B, C"),
        (["warrants", "--targets", "A=ten"], "CATEGORY=DAYS"),
        (["metrics", "--jobs", "-1"], "whole number >= 0"),
        (["timeline", "O1", "--dpi", "0"], "whole number >= 1"),
        (["cost", "--jobs", "two"], "is not a whole number"),
        (["ingest", "x.jsonl", "--wait", "-3"], "not a number of seconds"),
        (["metrics", "--from", "2015-01-01", "--to", "2014-01-01"], "is after --to"),
    ],
)
def test_values_out_of_range_are_refused_saying_what_is_allowed(
    store: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store_option = [] if argv[0] == "synth" else ["--store", store]
    try:
        code = main([*argv, *store_option])
    except SystemExit as exc:  # refused by argparse, with the usage line
        code = exc.code  # type: ignore[assignment]
    assert code == 2
    assert message in capsys.readouterr().err


def test_percentages_are_accepted_when_written_as_such(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["warrants", "--store", store, "--on-time", "70%", "--json"]) == 0
    as_percent = json.loads(capsys.readouterr().out)
    assert main(["warrants", "--store", store, "--on-time", "0.7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == as_percent


# --- any console --------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["metrics", "--all"], ["timeline", "O→£1"]])
def test_output_redirected_on_a_cp1252_console_survives(workdir: Path, command: list[str]) -> None:
    assert main(["synth", "cohort.jsonl", "--offenders", "20", "--seed", "3"]) == 0
    assert main(["ingest", "cohort.jsonl"]) == 0
    # An offender id with a character cp1252 lacks ("→") and one it encodes differently ("£").
    (workdir / "odd.jsonl").write_text(GOOD.replace('"O1"', '"O→£1"'), encoding="utf-8")
    assert main(["ingest", "odd.jsonl"]) == 0
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "PYTHONIOENCODING": "cp1252",
    }
    run = subprocess.run(
        [sys.executable, "-m", "offender_journey", *command],
        capture_output=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    text = run.stdout.decode("utf-8")  # a file gets UTF-8, whatever the code page
    assert ("£" if command[0] == "metrics" else "Timeline of O→£1") in text
