"""`erase` and `restrict` end to end: gone means gone from the bytes, hidden means hidden.

After an erasure no byte of the store's files holds the person's id or any of
their event ids, every view equals a store that never held them, and an old file
re-imported cannot bring them back. A restricted person appears nowhere until
the restriction is lifted.
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from offender_journey import synth
from offender_journey.cli import main
from offender_journey.codec import Codec
from offender_journey.errors import StoreError
from offender_journey.facts import refresh_facts
from offender_journey.keys import load_key, new_key_file
from offender_journey.store import SQLiteStore

GONE = "S5-O000003"
HIDDEN = "S5-O000007"


@pytest.fixture(scope="module")
def events() -> list[Any]:
    return list(synth.generate(12, seed=5, preset="prolific"))


@pytest.fixture
def setup(tmp_path: Path, events: list[Any]) -> dict[str, Any]:
    lines = tmp_path / "all.jsonl"
    codec = Codec()
    lines.write_text("".join(codec.encode_line(e) + "\n" for e in events))
    with SQLiteStore(tmp_path / "s.db") as s:
        s.append(events)
    key = tmp_path / "key"
    new_key_file(key)
    return {"store": str(tmp_path / "s.db"), "key": str(key), "lines": str(lines)}


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    got = main(list(argv))
    captured = capsys.readouterr()
    assert got == code, captured.err
    return captured.out + captured.err


def metrics(capsys: pytest.CaptureFixture[str], store: str) -> dict[str, Any]:
    out = run(capsys, "metrics", "--all", "--json", "--jobs", "1", "--store", store)
    return json.loads(out)  # type: ignore[no-any-return]


def store_without(tmp_path: Path, events: list[Any], offender_id: str) -> str:
    path = tmp_path / f"without-{offender_id}.db"
    with SQLiteStore(path) as s:
        s.append([e for e in events if e.offender_id != offender_id])
    return str(path)


def store_bytes(store: str) -> bytes:
    return b"".join(p.read_bytes() for p in Path(store).parent.glob(Path(store).name + "*"))


def fact_rows(store: str, offender_id: str) -> int:
    """Rows about one offender in the fact tables."""
    from offender_journey.facts import TABLES

    with sqlite3.connect(store) as db:
        return sum(
            db.execute(
                f"SELECT COUNT(*) FROM {t.name} WHERE offender_id = ?", (offender_id,)
            ).fetchone()[0]
            for t in TABLES
        )


def test_erase_leaves_no_byte_of_the_person_and_the_numbers_of_a_store_without_them(
    setup: dict[str, Any], events: list[Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = [GONE.encode()] + [e.event_id.encode() for e in events if e.offender_id == GONE]
    run(capsys, "refresh", "--store", setup["store"])  # their facts are in the tables too
    assert fact_rows(setup["store"], GONE) > 0
    assert all(i in store_bytes(setup["store"]) for i in theirs)
    out = run(capsys, "erase", GONE, "--reason", "order of 2024-05-01",
              "--key-file", setup["key"], "--store", setup["store"])  # fmt: skip
    assert f"{len(theirs) - 1} from events" in out
    data = store_bytes(setup["store"])
    assert [i for i in theirs if i in data] == []
    assert fact_rows(setup["store"], GONE) == 0
    assert metrics(capsys, setup["store"]) == metrics(capsys, store_without(tmp_path, events, GONE))


def test_the_tombstone_holds_a_keyed_hash_the_time_and_the_reason_only(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "erase", GONE, "--reason", "subject request",
        "--key-file", setup["key"], "--store", setup["store"])  # fmt: skip
    with sqlite3.connect(setup["store"]) as db:
        rows = db.execute("SELECT * FROM erasures").fetchall()
        columns = [c[1] for c in db.execute("PRAGMA table_info(erasures)")]
    assert columns == ["offender_hash", "erased_at", "reason"]
    [(digest, _, reason)] = rows
    assert reason == "subject request"
    assert GONE not in digest
    assert len(digest) == 32
    assert load_key(setup["key"]) not in store_bytes(setup["store"])


def test_reimporting_an_erased_person_is_rejected_naming_the_erasure(
    setup: dict[str, Any], events: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = sum(1 for e in events if e.offender_id == GONE)
    run(capsys, "erase", GONE, "--reason", "court order",
        "--key-file", setup["key"], "--store", setup["store"])  # fmt: skip
    # Without the key an import cannot tell who was erased, so it stores nothing.
    err = run(capsys, "ingest", setup["lines"], "--store", setup["store"], code=2)
    assert "erasure" in err
    assert "--key-file" in err
    report = json.loads(
        run(
            capsys,
            "ingest",
            setup["lines"],
            "--store",
            setup["store"],
            "--json",
            "--key-file",
            setup["key"],
            code=1,
        )
    )
    assert report["rejected"] == theirs
    assert report["stored"] == 0
    reasons = {e["reason"] for r in report["rejections"] for e in r["errors"]}
    assert len(reasons) == 1
    assert "erased" in reasons.pop()
    with SQLiteStore(setup["store"]) as s:
        assert GONE not in set(s.offenders())


def test_erase_reaches_every_table_about_offenders(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Fact tables kept beside the events hold offender ids too: they go in the same erasure.
    with sqlite3.connect(setup["store"]) as db:
        db.execute("CREATE TABLE charges_fact (offender_id TEXT, charge_id TEXT)")
        db.executemany("INSERT INTO charges_fact VALUES (?, ?)", [(GONE, "c1"), ("other", "c2")])
    run(capsys, "restrict", GONE, "--reason", "disputed", "--store", setup["store"])
    run(capsys, "erase", GONE, "--reason", "order", "--key-file", setup["key"],
        "--store", setup["store"])  # fmt: skip
    with sqlite3.connect(setup["store"]) as db:
        assert db.execute("SELECT offender_id FROM charges_fact").fetchall() == [("other",)]
        assert db.execute("SELECT COUNT(*) FROM restrictions").fetchone() == (0,)
    assert GONE.encode() not in store_bytes(setup["store"])


def test_erasing_someone_unknown_changes_nothing(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    err = run(capsys, "erase", "nobody", "--reason", "x", "--key-file", setup["key"],
              "--store", setup["store"], code=2)  # fmt: skip
    assert "no offender 'nobody'" in err
    with SQLiteStore(setup["store"]) as s:
        assert s.erasures() == []


def test_a_restricted_person_appears_nowhere_until_lifted(
    setup: dict[str, Any], events: list[Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "refresh", "--store", setup["store"])
    before = metrics(capsys, setup["store"])
    assert fact_rows(setup["store"], HIDDEN) > 0
    run(capsys, "restrict", HIDDEN, "--reason", "accuracy contested", "--store", setup["store"])
    assert fact_rows(setup["store"], HIDDEN) == 0
    without = store_without(tmp_path, events, HIDDEN)
    assert metrics(capsys, setup["store"]) == metrics(capsys, without)
    # the default views answer from the fact tables
    default = ["metrics", "--json", "--jobs", "1", "--store"]
    assert run(capsys, *default, setup["store"]) == run(capsys, *default, without)
    run(capsys, "timeline", HIDDEN, "--store", setup["store"], code=2)
    run(capsys, "export", str(tmp_path / "out"), "--store", setup["store"])
    assert HIDDEN not in (tmp_path / "out" / "events.jsonl").read_text()
    with SQLiteStore(setup["store"]) as s:
        assert HIDDEN not in set(s.offenders())
        assert s.read_stream(HIDDEN) == []
        assert s.count_offenders() == 11
        assert HIDDEN not in {o for o, _ in s.read_all()}
        assert HIDDEN not in {o for o, _ in s.stream_sizes()}
    run(capsys, "restrict", "--lift", HIDDEN, "--reason", "resolved", "--store", setup["store"])
    assert metrics(capsys, setup["store"]) == before
    assert fact_rows(setup["store"], HIDDEN) > 0
    with SQLiteStore(setup["store"]) as s:
        [record] = s.restrictions(HIDDEN)
    assert (record.reason, record.lift_reason) == ("accuracy contested", "resolved")
    assert record.lifted_at is not None
    assert record.lifted_at >= record.restricted_at


def test_restriction_is_kept_with_the_events(setup: dict[str, Any]) -> None:
    with SQLiteStore(setup["store"]) as s:
        s.restrict(HIDDEN, reason="r")
        with pytest.raises(StoreError, match="already restricted"):
            s.restrict(HIDDEN, reason="again")
        assert s.version(HIDDEN) > 0  # events stay: new ones append after them
    with SQLiteStore(setup["store"]) as s:  # a restriction outlives the connection
        assert s.read_stream(HIDDEN) == []
        s.lift_restriction(HIDDEN)
        with pytest.raises(StoreError, match="not restricted"):
            s.lift_restriction(HIDDEN)
        assert s.read_stream(HIDDEN)


def test_restrict_needs_a_reason(setup: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert "--reason" in run(capsys, "restrict", HIDDEN, "--store", setup["store"], code=2)


def test_no_byte_is_left_after_erasures_of_a_store_that_was_rewritten_many_times(
    tmp_path: Path, events: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Streams appended interleaved, a batch at a time, with fact tables refreshed and
    # rows rewritten by restrictions in between: pages split and cells move, which can
    # leave stale copies of a row in the unused part of a page or in free pages.
    store, key = str(tmp_path / "churned.db"), tmp_path / "key"
    new_key_file(key)
    by_offender: dict[str, list[Any]] = {}
    for event in events:
        by_offender.setdefault(event.offender_id, []).append(event)
    with SQLiteStore(store) as s:
        for start in range(0, max(map(len, by_offender.values())), 60):
            s.append([e for stream in by_offender.values() for e in stream[start : start + 60]])
            refresh_facts(s)
        for offender_id in sorted(by_offender)[::3]:
            s.restrict(offender_id, reason="churn")
            s.lift_restriction(offender_id)
    for gone in ("S5-O000003", "S5-O000000", "S5-O000011"):
        theirs = [gone.encode()] + [e.event_id.encode() for e in by_offender.pop(gone)]
        assert all(i in store_bytes(store) for i in theirs)
        run(capsys, "erase", gone, "--reason", "order", "--key-file", str(key), "--store", store)
        data = store_bytes(store)
        assert [i for i in theirs if i in data] == []
        # the others are all still there, and their facts too
        for offender_id in by_offender:
            assert offender_id.encode() in data
    with SQLiteStore(store) as s:
        assert set(s.offenders()) == set(by_offender)
        assert len(s.erasures()) == 3


def test_erasing_again_finishes_an_erasure_and_records_nothing_more(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["erase", GONE, "--reason", "r", "--key-file", setup["key"], "--store", setup["store"]]
    run(capsys, *argv)
    assert "erased before" in run(capsys, *argv)
    with SQLiteStore(setup["store"]) as s:
        assert len(s.erasures()) == 1


def test_events_appended_after_erasing_the_latest_ones_reach_the_fact_tables(
    setup: dict[str, Any], events: list[Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The person whose events are the latest: their positions are reused by the next append.
    run(capsys, "refresh", "--store", setup["store"])
    latest = events[-1].offender_id
    run(capsys, "erase", latest, "--reason", "order", "--key-file", setup["key"],
        "--store", setup["store"])  # fmt: skip
    later = list(synth.generate(3, seed=6))
    with SQLiteStore(setup["store"]) as s:
        s.use_key(load_key(setup["key"]))
        s.append(later)
    expected = tmp_path / "expected.db"
    with SQLiteStore(expected) as s:
        s.append([e for e in events if e.offender_id != latest] + later)
    default = ["metrics", "--json", "--jobs", "1", "--store"]
    assert run(capsys, *default, setup["store"]) == run(capsys, *default, str(expected))


def test_events_about_a_restricted_person_stay_out_of_the_facts_until_lifted(
    tmp_path: Path, events: list[Any]
) -> None:
    from offender_journey.facts.derive import derive
    from offender_journey.history import History

    theirs = [e for e in events if e.offender_id == HIDDEN]
    store = str(tmp_path / "s.db")
    with SQLiteStore(store) as s:
        s.append([e for e in events if e.offender_id != HIDDEN] + theirs[:-5])
        refresh_facts(s)
        s.restrict(HIDDEN, reason="disputed")
        s.append(theirs[-5:])  # new events about them are still stored
        refresh_facts(s)
        assert fact_rows(store, HIDDEN) == 0
        s.lift_restriction(HIDDEN)
    with sqlite3.connect(store) as db:
        row = db.execute("SELECT events FROM offenders WHERE offender_id = ?", (HIDDEN,))
        assert row.fetchone() == (derive(History.build(HIDDEN, theirs)).offenders[0].events,)


# --- identity records: names, dates of birth, identifiers ----------------------------------

#: What the police and a court know of two people, as their extracts give it.
POLICE = [
    {"type": "person_recorded", "event_id": "p1", "offender_id": "P77", "date": "2014-01-01",
     "forenames": "Zebedee", "surname": "Quintrell", "date_of_birth": "1987-03-14",
     "sex": "male", "postcode": "LS6 2QQ", "pnc_id": "02/73319Z", "cro_number": "65656/91H",
     "aliases": [{"forenames": "Zeb", "surname": "Quintrel", "date_of_birth": "1987-04-13"}]},
    {"type": "arrest", "event_id": "p2", "offender_id": "P77", "date": "2014-01-02",
     "arrest_id": "a1"},
    {"type": "person_recorded", "event_id": "p3", "offender_id": "P78", "date": "2014-01-01",
     "surname": "Onlyname-Nobody"},
]  # fmt: skip
COURTS = [
    {"type": "person_recorded", "event_id": "c1", "offender_id": "C5", "date": "2014-02-01",
     "forenames": "Zebadee", "surname": "Quintral", "pnc_id": "2002/0073319Z",
     "crn": "X654321", "nomis_number": "A4321ZZ"},
    {"type": "person_recorded", "event_id": "c2", "offender_id": "C6", "date": "2014-02-01",
     "forenames": "Ottoline", "surname": "Vasquez-Brunt", "date_of_birth": "1979-11-30",
     "pnc_id": "79/163001B"},
]  # fmt: skip
#: Every personal string of record police:P77 (names, birth dates, postcode, identifiers).
P77 = [b"Zebedee", b"Quintrel", b"1987-03-14", b"1987-04-13", b"LS6 2QQ", b"02/73319Z",
       b"65656/91H"]  # fmt: skip
C6 = [b"Ottoline", b"Vasquez-Brunt", b"1979-11-30", b"163001B"]


@pytest.fixture
def agencies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    store = str(tmp_path / "agencies.db")
    for name, lines in (("police", POLICE), ("courts", COURTS)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        run(capsys, "ingest", str(path), "--source", name, "--store", store)
    key = tmp_path / "key"
    new_key_file(key)
    return {"store": store, "key": str(key)}


def test_erasing_a_source_record_leaves_no_byte_of_its_identity(
    agencies: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert all(s in store_bytes(agencies["store"]) for s in P77 + C6)
    out = run(capsys, "erase", "police:P77", "--reason", "order of 2024-05-01",
              "--key-file", agencies["key"], "--store", agencies["store"])  # fmt: skip
    assert "2 from events" in out
    data = store_bytes(agencies["store"])
    assert [s for s in P77 if s in data] == []
    assert all(s in data for s in C6)  # the other records are untouched
    with SQLiteStore(agencies["store"]) as s:
        assert list(s.offenders()) == ["courts:C5", "courts:C6", "police:P78"]


def test_a_restricted_source_record_is_in_no_export(
    agencies: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "restrict", "courts:C6", "--reason", "contested", "--store", agencies["store"])
    run(capsys, "export", str(tmp_path / "out"), "--store", agencies["store"])
    data = (tmp_path / "out" / "events.jsonl").read_bytes()
    assert [s for s in C6 if s in data] == []
    assert all(s in data for s in P77)  # a plain export is personal data in full
    run(capsys, "timeline", "courts:C6", "--store", agencies["store"], code=2)
    with SQLiteStore(agencies["store"]) as s:
        assert s.read_stream("courts:C6") == []


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_pseudonymised_export_holds_no_name_birth_date_postcode_or_identifier(
    agencies: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out = tmp_path / "out"
    run(capsys, "export", str(out), "--pseudonymise", "--format", fmt,
        "--key-file", agencies["key"], "--store", agencies["store"])  # fmt: skip
    data = b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())
    if fmt == "parquet":  # compressed: look at the values themselves
        import pyarrow.parquet as pq

        tables = [pq.read_table(p).to_pylist() for p in sorted(out.rglob("*.parquet"))]
        data = repr(tables).encode()
    personal = [*P77, *C6, b"Zebadee", b"Quintral", b"73319Z", b"Onlyname", b"X654321",
                b"A4321ZZ", b"P77", b"C5"]  # fmt: skip
    assert [s for s in personal if s in data] == []
    assert b"police" in data  # the name of a source is no one's personal data


def test_pseudonymised_identity_records_keep_one_pseudonym_per_identifier(
    agencies: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    run(capsys, "export", str(out), "--pseudonymise",
        "--key-file", agencies["key"], "--store", agencies["store"])  # fmt: skip
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    people = [e for e in lines if e["type"] == "person_recorded"]
    # P78 had a name and no identifier: nothing is left of it to share.
    assert len(people) == 3
    dropped = {"forenames", "surname", "date_of_birth", "postcode", "aliases"}
    assert [sorted(set(e) & dropped) for e in people] == [[], [], []]
    assert {e["sex"] for e in people if "sex" in e} == {"male"}  # kept, as in profiles
    by_source = {e["source"]: e for e in people if e.get("crn") or e.get("cro_number")}
    # 02/73319Z (police) and 2002/0073319Z (courts) are one PNC ID, so one pseudonym.
    assert by_source["police"]["pnc_id"] == by_source["courts"]["pnc_id"]
    # The export re-imports: every pseudonymised identity record is a valid event.
    run(capsys, "ingest", str(out / "events.jsonl"), "--store", str(tmp_path / "again.db"))
    with SQLiteStore(tmp_path / "again.db") as again:
        assert again.count_events() == 4
        assert {o.split(":")[0] for o in again.offenders()} == {"police", "courts"}
