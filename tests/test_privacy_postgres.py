"""`erase` and `restrict` on a PostgreSQL store, end to end through the command line.

The same rules as SQLite: after an erasure no table holds a row about the person,
every view equals a store that never held them, and an old file re-imported is
rejected naming the erasure; a restricted person is in no view, timeline, export or
listing until lifted. Only the owner of the tables may do either.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from offender_journey import synth
from offender_journey.cli import main
from offender_journey.codec import Codec
from offender_journey.errors import ErasedOffenderError
from offender_journey.facts import refresh_facts
from offender_journey.facts.derive import derive
from offender_journey.history import History
from offender_journey.keys import load_key, new_key_file
from offender_journey.store.postgres import PostgresStore

GONE = "S5-O000003"
HIDDEN = "S5-O000007"


@pytest.fixture(scope="module")
def events() -> list[Any]:
    return list(synth.generate(12, seed=5, preset="prolific"))


@pytest.fixture(scope="module")
def files(events: list[Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The cohort as JSON lines, the same without each of two people, and a key."""
    folder = tmp_path_factory.mktemp("pg-privacy")
    codec = Codec()
    paths = {}
    for name, left_out in [("all", None), ("without-gone", GONE), ("without-hidden", HIDDEN)]:
        path = folder / f"{name}.jsonl"
        path.write_text(
            "".join(codec.encode_line(e) + "\n" for e in events if e.offender_id != left_out)
        )
        paths[name] = str(path)
    new_key_file(folder / "key")
    paths["key"] = str(folder / "key")
    return paths


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    got = main(list(argv))
    captured = capsys.readouterr()
    assert got == code, captured.err
    return captured.out + captured.err


def metrics(capsys: pytest.CaptureFixture[str], store: str) -> Any:
    return json.loads(run(capsys, "metrics", "--all", "--json", "--jobs", "1", "--store", store))


def ingested(capsys: pytest.CaptureFixture[str], url: str, path: str) -> str:
    run(capsys, "ingest", path, "--store", url)
    return url


def rows_about(url: str, offender_id: str) -> dict[str, int]:
    """Rows naming ``offender_id`` in every table of the store with an ``offender_id``."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND column_name = 'offender_id'"
            )
        ]
        counts = {}
        for table in tables:
            row = conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE offender_id = %s',  # type: ignore[arg-type]
                (offender_id,),
            ).fetchone()
            assert row is not None
            counts[table] = row[0]
    assert {"events", "restrictions", "offenders", "effective_events"} <= set(counts)
    return counts


def test_erase_leaves_no_row_and_the_numbers_of_a_store_without_them(
    files: dict[str, str],
    events: list[Any],
    new_postgres_url: Callable[[], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = ingested(capsys, new_postgres_url(), files["all"])
    run(capsys, "restrict", GONE, "--reason", "disputed", "--store", url)
    run(capsys, "restrict", "--lift", GONE, "--store", url)
    assert sum(rows_about(url, GONE).values()) > 0
    theirs = [e.event_id for e in events if e.offender_id == GONE]
    out = run(capsys, "erase", GONE, "--reason", "order of 2024-05-01",
              "--key-file", files["key"], "--store", url)  # fmt: skip
    assert f"{len(theirs)} from events" in out
    assert set(rows_about(url, GONE).values()) == {0}
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM events WHERE event_id = ANY(%s)", (theirs,))
        assert left.fetchone() == (0,)
        [(digest, reason)] = conn.execute("SELECT offender_hash, reason FROM erasures")
        # VACUUM ran after the commit: the dead rows' space is free for reuse.
        vacuumed = conn.execute(
            "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables"
            " WHERE relid = 'events'::regclass"
        ).fetchone()
    assert GONE not in digest
    assert len(digest) == 32
    assert reason == "order of 2024-05-01"
    assert vacuumed == (True,)
    without = ingested(capsys, new_postgres_url(), files["without-gone"])
    assert metrics(capsys, url) == metrics(capsys, without)
    default = ["metrics", "--json", "--jobs", "1", "--store"]
    assert run(capsys, *default, url) == run(capsys, *default, without)


def test_reimporting_an_erased_person_is_rejected_naming_the_erasure(
    files: dict[str, str],
    events: list[Any],
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = ingested(capsys, postgres_url, files["all"])
    run(capsys, "erase", GONE, "--reason", "court order",
        "--key-file", files["key"], "--store", url)  # fmt: skip
    err = run(capsys, "ingest", files["all"], "--store", url, code=2)
    assert "erasure" in err
    assert "--key-file" in err
    argv = ["ingest", files["all"], "--store", url, "--json", "--key-file", files["key"]]
    report = json.loads(run(capsys, *argv, code=1))
    assert report["rejected"] == sum(1 for e in events if e.offender_id == GONE)
    assert report["stored"] == 0
    reasons = {e["reason"] for r in report["rejections"] for e in r["errors"]}
    assert len(reasons) == 1
    assert "erased" in reasons.pop()
    with PostgresStore(url) as store:
        assert GONE not in set(store.offenders())
        store.use_key(load_key(files["key"]))
        with pytest.raises(ErasedOffenderError, match="erased"):
            store.append([e for e in events if e.offender_id == GONE][:1])


def test_erasing_someone_unknown_changes_nothing(
    files: dict[str, str], postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ingested(capsys, postgres_url, files["all"])
    err = run(capsys, "erase", "nobody", "--reason", "x", "--key-file", files["key"],
              "--store", url, code=2)  # fmt: skip
    assert "no offender 'nobody'" in err
    with PostgresStore(url) as store:
        assert store.erasures() == []
        assert store.count_offenders() == 12


def test_a_restricted_person_appears_nowhere_until_lifted(
    files: dict[str, str],
    new_postgres_url: Callable[[], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = ingested(capsys, new_postgres_url(), files["all"])
    before = metrics(capsys, url)
    timeline = run(capsys, "timeline", HIDDEN, "--store", url)
    listing = run(capsys, "offenders", "--store", url)
    assert HIDDEN in listing
    run(capsys, "restrict", HIDDEN, "--reason", "accuracy contested", "--store", url)
    counts = rows_about(url, HIDDEN)
    assert counts.pop("events") > 0  # the events stay
    assert counts.pop("restrictions") == 1
    assert set(counts.values()) == {0}  # their facts are gone
    without = ingested(capsys, new_postgres_url(), files["without-hidden"])
    assert metrics(capsys, url) == metrics(capsys, without)
    run(capsys, "timeline", HIDDEN, "--store", url, code=2)
    assert HIDDEN not in run(capsys, "offenders", "--store", url)
    run(capsys, "export", str(tmp_path / "out"), "--store", url)
    assert HIDDEN not in (tmp_path / "out" / "events.jsonl").read_text()
    with PostgresStore(url) as store:
        assert HIDDEN not in set(store.offenders())
        assert store.read_stream(HIDDEN) == []
        assert store.count_offenders() == 11
        assert HIDDEN not in {o for o, _ in store.read_all()}
        assert HIDDEN not in {o for o, _ in store.stream_sizes()}
        assert HIDDEN not in {e.offender_id for _, e in store.follow(timeout=0.1)}
    run(capsys, "restrict", "--lift", HIDDEN, "--reason", "resolved", "--store", url)
    assert metrics(capsys, url) == before
    assert run(capsys, "timeline", HIDDEN, "--store", url) == timeline
    assert run(capsys, "offenders", "--store", url) == listing
    with PostgresStore(url) as store:
        [record] = store.restrictions(HIDDEN)
    assert (record.reason, record.lift_reason) == ("accuracy contested", "resolved")
    assert record.lifted_at is not None


def test_only_the_owner_may_erase_or_restrict(
    files: dict[str, str],
    events: list[Any],
    postgres_url: str,
    postgres_login: Callable[[str, str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = ingested(capsys, postgres_url, files["without-gone"])
    run(capsys, "pg-roles", "--store", url)
    as_user = {"intake": postgres_login(url, "writer"), "follower": postgres_login(url, "follower")}
    for login in ("intake", "follower"):
        for argv in (
            ["erase", HIDDEN, "--reason", "x", "--key-file", files["key"]],
            ["restrict", HIDDEN, "--reason", "x"],
        ):
            err = run(capsys, *argv, "--store", as_user[login], code=2)
            assert "owner" in err
    run(capsys, "restrict", HIDDEN, "--reason", "disputed", "--store", url)
    run(capsys, "erase", "S5-O000001", "--reason", "order", "--key-file", files["key"],
        "--store", url)  # fmt: skip
    # The writer still appends (checked against the tombstones), the follower still
    # keeps the fact tables, and neither sees the restricted person.
    argv = ["ingest", files["all"], "--key-file", files["key"], "--json", "--no-refresh"]
    report = json.loads(run(capsys, *argv, "--store", as_user["intake"], code=1))
    assert report["stored"] == sum(1 for e in events if e.offender_id == GONE)
    assert report["rejected"] == sum(1 for e in events if e.offender_id == "S5-O000001")
    run(capsys, "follow", "--once", "--store", as_user["follower"])
    assert rows_about(url, GONE)["offenders"] == 1
    assert rows_about(url, HIDDEN)["offenders"] == 0


def test_after_vacuum_full_no_data_file_holds_a_byte_of_the_person(
    files: dict[str, str],
    events: list[Any],
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # What the privacy page tells the operator to do to clear the tables' files.
    url = ingested(capsys, postgres_url, files["all"])
    theirs = [GONE.encode()] + [e.event_id.encode() for e in events if e.offender_id == GONE]
    run(capsys, "erase", GONE, "--reason", "order", "--key-file", files["key"], "--store", url)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'offender_id'"
        )]  # fmt: skip
        conn.execute(f"VACUUM FULL {', '.join(tables)}")  # type: ignore[arg-type]
        conn.execute("CHECKPOINT")
        [(directory,)] = conn.execute("SHOW data_directory")
        paths = [
            Path(directory) / row[0]
            for row in conn.execute(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c"
                " WHERE c.relnamespace = current_schema()::regnamespace"
                " AND c.relkind IN ('r', 'i', 't')"
            )
        ]
    assert len(paths) > len(tables)
    data = b"".join(p.read_bytes() for path in paths for p in path.parent.glob(path.name + "*"))
    assert [i for i in theirs if i in data] == []


def test_events_about_a_restricted_person_stay_out_of_the_facts_until_lifted(
    events: list[Any], postgres_url: str
) -> None:
    theirs = [e for e in events if e.offender_id == HIDDEN]
    with PostgresStore(postgres_url) as store:
        store.append([e for e in events if e.offender_id != HIDDEN] + theirs[:-5])
        refresh_facts(store)
        store.restrict(HIDDEN, reason="disputed")
        store.append(theirs[-5:])  # new events about them are still stored
        refresh_facts(store)
        assert rows_about(postgres_url, HIDDEN)["offenders"] == 0
        store.lift_restriction(HIDDEN)
    expected = derive(History.build(HIDDEN, theirs)).offenders[0].events
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT events FROM offenders WHERE offender_id = %s", (HIDDEN,))
        assert row.fetchone() == (expected,)
