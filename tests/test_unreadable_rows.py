"""A stored row the library cannot read back is skipped by every reading command, for every
role, and listed by the quality report (position, event id, reason; never its content)."""

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from offender_journey import synth
from offender_journey.cli import main
from offender_journey.store.postgres import _CHECK_NAMES

_ROW = (
    "INSERT INTO events (offender_id, version, event_id, type, date, recorded_at,"
    " recorded_at_given, payload, position, source) VALUES ({m}, {m}, {m}, 'arrest', {m},"
    " 1700000000000000, {f}, {m}, {m}, '')"
)
# A placeholder date, and text that is no JSON: the two rows of the report.
_DATED = (
    '{"type":"arrest","event_id":"bad-date","offender_id":"R1","date":"9999-12-31","arrest_id":"a"}'
)
_SECRET = "not JSON: John Smith, 1 High Street"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rows") / "cohort.jsonl"
    synth.write_jsonl(path, 6, seed=7)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, f"{argv}: {captured.err}"
    assert "Traceback" not in captured.err
    return captured.out


def _reads(
    capsys: pytest.CaptureFixture[str], store: str, tmp: Path, person: str, *, events: bool
) -> None:
    """Every reading command runs, leaves the bad rows out, and quality lists them."""
    report = json.loads(_run(capsys, "quality", "--store", store, "--json"))
    listed = [(row["event_id"], row["reason"]) for row in report["quality"]["unreadable"]]
    assert [event_id for event_id, _ in listed] == ["bad-date", "bad-json"]
    assert "date" in listed[0][1]
    assert listed[1][1] == "not valid JSON"
    text = _run(capsys, "quality", "--store", store)
    assert "2 stored rows cannot be read back" in text
    assert "John Smith" not in text
    metrics = json.loads(_run(capsys, "metrics", "--store", store, "--json"))
    assert metrics["offenders"] == 6
    if not events:  # a reader role: the fact tables only
        return
    offenders = json.loads(_run(capsys, "offenders", "--store", store, "--json"))
    assert "R1" not in json.dumps(offenders)
    timeline = _run(capsys, "timeline", person, "--store", store, "--json")
    assert "John Smith" not in timeline
    out = tmp / f"export-{len(list(tmp.iterdir()))}"
    _run(capsys, "export", str(out), "--store", store)
    exported = (out / "events.jsonl").read_text()
    assert "bad-date" not in exported
    assert "John Smith" not in exported


def _person(cohort: Path) -> str:
    first = json.loads(cohort.read_text().splitlines()[0])
    return str(first["offender_id"])


def test_a_sqlite_store_with_rows_written_straight_into_it(
    cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "j.db")
    _run(capsys, "ingest", str(cohort), "--store", store)
    person = _person(cohort)
    with sqlite3.connect(store) as db:  # another program writing to the file
        (head,) = db.execute("SELECT MAX(position) FROM events").fetchone()
        (version,) = db.execute(
            "SELECT MAX(version) FROM events WHERE offender_id = ?", (person,)
        ).fetchone()
        row = _ROW.format(m="?", f="0")
        db.execute(row, ("R1", 1, "bad-date", "9999-12-31", _DATED, head + 1))
        db.execute(row, (person, version + 1, "bad-json", "2014-01-01", _SECRET, head + 2))
    _run(capsys, "refresh", "--store", store)
    _reads(capsys, store, tmp_path, person, events=True)


@pytest.mark.parametrize("how", ["owner bypassing the checks", "writer before the upgrade"])
def test_every_role_of_a_postgresql_store_reads_past_a_bad_row(
    how: str,
    cohort: Path,
    tmp_path: Path,
    new_postgres_url: Callable[[], str],
    postgres_login: Callable[[str, str], str],
    as_format_2: Callable[[psycopg.Connection[Any]], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = new_postgres_url()
    _run(capsys, "ingest", str(cohort), "--store", url)
    _run(capsys, "pg-roles", "--store", url)
    as_user = {group: postgres_login(url, group) for group in ("writer", "follower", "reader")}
    person = _person(cohort)
    with psycopg.connect(url, autocommit=True) as owner:
        if how == "owner bypassing the checks":  # drops them, writes, opens again
            drop = ", DROP CONSTRAINT ".join(_CHECK_NAMES)
            owner.execute(f"ALTER TABLE events DROP CONSTRAINT {drop}")  # type: ignore[arg-type]
        else:  # as the release before this one left the store: writers may INSERT
            as_format_2(owner)
    with psycopg.connect(
        url if how == "owner bypassing the checks" else as_user["writer"], autocommit=True
    ) as conn:
        (head,) = conn.execute("SELECT MAX(position) FROM events").fetchone() or (0,)
        (version,) = conn.execute(
            "SELECT MAX(version) FROM events WHERE offender_id = %s", (person,)
        ).fetchone() or (0,)
        row = _ROW.format(m="%s", f="false")
        conn.execute(row, ("R1", 1, "bad-date", "9999-12-31", _DATED, head + 1))  # type: ignore[arg-type]
        conn.execute(row, (person, version + 1, "bad-json", "2014-01-01", _SECRET, head + 2))  # type: ignore[arg-type]

    _run(capsys, "refresh", "--store", url)  # the owner's open brings the store up to date
    _run(capsys, "follow", "--store", as_user["follower"], "--once")
    _reads(capsys, as_user["reader"], tmp_path, person, events=False)
    _reads(capsys, as_user["follower"], tmp_path, person, events=True)
    _reads(capsys, as_user["writer"], tmp_path, person, events=True)
    _run(capsys, "follow", "--store", url, "--once")
    _reads(capsys, url, tmp_path, person, events=True)
    with psycopg.connect(url, autocommit=True) as owner:  # the checks hold again
        names = owner.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass"
        ).fetchall()
        assert set(_CHECK_NAMES) <= {name for (name,) in names}
    with (
        psycopg.connect(as_user["writer"], autocommit=True) as writer,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        writer.execute(row, ("R2", 1, "bad-2", "9999-12-31", _DATED, head + 3))  # type: ignore[arg-type]
