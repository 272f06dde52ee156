"""Every command against a PostgreSQL store: the same numbers as SQLite, followers, roles."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from offender_journey import synth
from offender_journey.cli import main
from offender_journey.errors import StoreError
from offender_journey.facts import POSTGRESQL, TABLES, refresh_facts
from offender_journey.facts.refresh import iter_rows
from offender_journey.store import SQLiteStore
from offender_journey.store.postgres import PostgresStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pg") / "cohort.jsonl"
    synth.write_jsonl(path, 12, seed=7, preset="prolific")
    return path


@pytest.fixture(scope="module")
def stores(
    cohort: Path, tmp_path_factory: pytest.TempPathFactory, new_postgres_url: Callable[[], str]
) -> tuple[str, str]:
    """The same cohort ingested into a SQLite file and a PostgreSQL store."""
    sqlite = str(tmp_path_factory.mktemp("sqlite") / "journeys.db")
    postgres = new_postgres_url()
    for store in (sqlite, postgres):
        assert main(["ingest", str(cohort), "--store", store]) == 0
    return sqlite, postgres


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "command",
    [
        ["metrics"],
        ["metrics", "--all", "--from", "2013-01-01", "--to", "2015-12-31"],
        ["metrics", "--as-of", "2016-06-30"],
        ["metrics", "--jobs", "2", "--views", "conversion,cost"],
        ["reoffending", "--from", "2012-01-01", "--to", "2012-12-31"],
        ["history", "--from", "2014-01-01", "--to", "2014-12-31"],
        ["iom", "--on", "2014-06-30"],
        ["cost", "--from", "2014-01-01", "--to", "2014-12-31"],
        ["warrants", "--to", "2014-12-31"],
        ["quality"],
        ["timeline", "S7-O000003"],
        ["risk", "S7-O000003", "--on", "2015-01-01"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_every_command_gives_the_same_answer_on_postgresql(
    stores: tuple[str, str], capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    sqlite, postgres = stores
    expected = run_json(capsys, *command, "--store", sqlite)
    assert run_json(capsys, *command, "--store", postgres) == expected


def test_ingest_again_finds_every_event_already_stored(
    stores: tuple[str, str], cohort: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = [run_json(capsys, "ingest", str(cohort), "--store", s) for s in stores]
    assert again[0] == again[1]
    assert again[1]["stored"] == 0  # type: ignore[index]


def _fact_rows(postgres: str, sqlite: str) -> tuple[dict[str, list[tuple[object, ...]]], ...]:
    with SQLiteStore(sqlite) as lite:
        refresh_facts(lite)
        expected = {t.name: list(iter_rows(lite, t.name)) for t in TABLES}
    with psycopg.connect(postgres) as conn:
        found = {t.name: list(iter_rows(conn, t.name, dialect=POSTGRESQL)) for t in TABLES}
    return found, expected


def _checkpoint(url: str) -> int:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('facts_checkpoint')").fetchone() == (None,):
            return 0
        row = conn.execute("SELECT position FROM facts_checkpoint").fetchone()
        return 0 if row is None else int(row[0])


def _follow(url: str, *options: str) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, "-m", "offender_journey", "follow", "--store", url, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )


def test_a_killed_follower_resumes_exactly(
    new_postgres_url: Callable[[], str], tmp_path: Path
) -> None:
    events = list(synth.generate(150, seed=11))
    half = len(events) // 2
    url, sqlite = new_postgres_url(), str(tmp_path / "same.db")
    with PostgresStore(url) as store, SQLiteStore(sqlite) as lite:
        store.append(events[:half])
        lite.append(events[:half])
    follower = _follow(url)
    deadline = time.monotonic() + 60
    with psycopg.connect(url, autocommit=True) as watch:
        # Kill it while it holds the refresh's advisory lock: mid-transaction.
        while time.monotonic() < deadline:
            held = watch.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            if held.fetchone() != (0,):
                break
            time.sleep(0.01)
    follower.send_signal(signal.SIGKILL)
    follower.communicate()
    assert _checkpoint(url) in (0, half)  # all of the refresh, or none of it
    with PostgresStore(url) as store, SQLiteStore(sqlite) as lite:
        store.append(events[half:])
        lite.append(events[half:])
    follower = _follow(url, "--once", "--json")
    out, err = follower.communicate(timeout=120)
    assert follower.returncode == 0, err
    assert json.loads(out)["position"] == len(events)
    found, expected = _fact_rows(url, sqlite)
    assert found == expected


def test_a_follower_keeps_the_tables_current_as_events_arrive(
    new_postgres_url: Callable[[], str], tmp_path: Path
) -> None:
    events = list(synth.generate(60, seed=12))
    url, sqlite = new_postgres_url(), str(tmp_path / "same.db")
    follower = _follow(url, "--idle", "3", "--json")
    with PostgresStore(url) as store, SQLiteStore(sqlite) as lite:
        for i in range(0, len(events), len(events) // 3 + 1):
            store.append(events[i : i + len(events) // 3 + 1])
            lite.append(events[i : i + len(events) // 3 + 1])
            time.sleep(0.3)
    out, err = follower.communicate(timeout=120)
    assert follower.returncode == 0, err
    assert json.loads(out)["position"] == len(events) == _checkpoint(url)
    found, expected = _fact_rows(url, sqlite)
    assert found == expected


def test_follow_needs_a_postgresql_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["follow", "--store", str(tmp_path / "j.db")]) == 2
    assert "postgresql://" in capsys.readouterr().err


def test_roles_are_enforced_by_the_server(
    postgres_url: str,
    postgres_login: Callable[[str, str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with PostgresStore(postgres_url) as store:
        store.append(synth.generate(3, seed=1))
    assert main(["pg-roles", "--store", postgres_url]) == 0
    assert main(["pg-roles", "--store", postgres_url]) == 0  # again: nothing changes
    as_user = {
        login: postgres_login(postgres_url, group)
        for login, group in [("intake", "writer"), ("follower", "follower"), ("analyst", "reader")]
    }

    # The writer appends through the library, and can neither delete nor rewrite.
    with PostgresStore(as_user["intake"]) as writer:
        stored = writer.append(synth.generate(2, seed=2)).stored
        assert stored
    with psycopg.connect(as_user["intake"], autocommit=True) as writer_sql:
        for statement in (
            "DELETE FROM events",
            "UPDATE events SET payload = '{}'",
            "TRUNCATE events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                writer_sql.execute(statement)  # type: ignore[arg-type]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            writer_sql.execute("SELECT * FROM effective_events")

    # The follower keeps the fact tables, from which the reader reads, and nothing else.
    assert main(["follow", "--store", as_user["follower"], "--once"]) == 0
    with psycopg.connect(as_user["analyst"], autocommit=True) as reader:
        rows = reader.execute("SELECT count(*) FROM effective_events").fetchone()
        assert rows is not None
        assert rows[0] > 0
        for statement in (
            "INSERT INTO events SELECT * FROM events",
            "SELECT * FROM events",
            "DELETE FROM effective_events",
            "INSERT INTO offenders (offender_id) VALUES ('x')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        PostgresStore(as_user["analyst"])
    capsys.readouterr()


def test_the_reader_keeps_its_access_when_a_new_facts_layout_is_derived(
    postgres_url: str,
    postgres_login: Callable[[str, str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with PostgresStore(postgres_url) as store:
        store.append(synth.generate(3, seed=1))
        refresh_facts(store)
    assert main(["pg-roles", "--store", postgres_url]) == 0
    analyst = postgres_login(postgres_url, "reader")
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        # As an older version of the library left them: the next refresh re-derives.
        admin.execute("UPDATE facts_checkpoint SET schema_version = schema_version - 1")
    with PostgresStore(postgres_url) as store:
        assert refresh_facts(store).offenders == 3
    with psycopg.connect(analyst, autocommit=True) as reader:
        for table in TABLES:
            reader.execute(f"SELECT count(*) FROM {table.name}")  # type: ignore[arg-type]
        (count,) = reader.execute("SELECT count(*) FROM offenders").fetchone() or (0,)
        assert count == 3
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("DELETE FROM offenders")
    capsys.readouterr()


def test_pg_roles_prints_its_sql(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pg-roles", "--print"]) == 0
    text = capsys.readouterr().out
    assert "GRANT SELECT ON events TO offender_journey_writer" in text
    assert "GRANT EXECUTE ON FUNCTION events_append(" in text
    assert "INSERT ON events TO" not in text  # writers append through the function only
    assert "effective_events" in text
    assert "{" not in text


def test_the_documented_roles_run_the_whole_workflow(
    postgres_url: str,
    postgres_login: Callable[[str, str], str],
    cohort: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As docs/postgres.md sets them up: the writer ingests, the follower follows, the reader
    asks every view; each with its own login, none with more than its group's grants."""
    assert main(["pg-roles", "--store", postgres_url]) == 0
    as_user = {
        login: postgres_login(postgres_url, group)
        for login, group in [("intake", "writer"), ("facts", "follower"), ("analyst", "reader")]
    }
    capsys.readouterr()

    code = main(["ingest", str(cohort), "--store", as_user["intake"], "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    stored = json.loads(captured.out)["stored"]
    assert stored > 0
    assert "Traceback" not in captured.err

    assert main(["follow", "--store", as_user["facts"], "--once"]) == 0
    capsys.readouterr()

    sqlite = str(tmp_path / "same.db")
    assert main(["ingest", str(cohort), "--store", sqlite]) == 0
    capsys.readouterr()
    # The period and day are given: without them, a SQLite store defaults to its data's
    # end, which a reader of a server (fact tables only) cannot see.
    given = {
        "reoffending": ["--from", "2014-01-01", "--to", "2014-03-31"],
        "iom": ["--on", "2016-06-30"],
    }
    for view in ["metrics", "reoffending", "history", "iom", "cost", "warrants", "quality"]:
        code = main([view, *given.get(view, []), "--store", as_user["analyst"], "--json"])
        captured = capsys.readouterr()
        assert code == 0, f"{view}: {captured.err}"
        expected = run_json(capsys, view, *given.get(view, []), "--store", sqlite)
        assert json.loads(captured.out) == expected, view


def test_an_unfinished_import_is_said_on_postgresql_until_acknowledged(
    cohort: Path, new_postgres_url: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = new_postgres_url()
    assert main(["ingest", str(cohort), "--store", url]) == 0
    with PostgresStore(url) as store:  # as a Ctrl-C or a crash leaves it
        assert store.meta("unfinished_import") is None  # a finished import clears its note
        store.set_meta("unfinished_import", f"{cohort}\t2026-12-05 01:00 UTC")
    capsys.readouterr()
    for command in (["metrics"], ["offenders"], ["quality"]):
        main([*command, "--store", url])
        err = capsys.readouterr().err
        assert "warning: the import of" in err, command
        assert "ingest --acknowledge" in err
    assert main(["ingest", "--acknowledge", "--store", url]) == 0
    assert "acknowledged" in capsys.readouterr().out
    main(["metrics", "--store", url])
    assert "did not finish" not in capsys.readouterr().err
    with PostgresStore(url) as store:
        assert store.meta("unfinished_import") is None
