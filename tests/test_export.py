"""`offender-journey export`: effective events in open formats, private files, pseudonyms.

A pseudonymised export re-imported into an empty store gives the numbers of the
store it came from, and holds none of the original identifiers.
"""

import json
import stat
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from offender_journey import synth
from offender_journey.builder import JourneyBuilder
from offender_journey.cli import main
from offender_journey.codec import Codec
from offender_journey.facts import refresh_facts
from offender_journey.io.export import export
from offender_journey.io.parquet import part_paths, partition_of
from offender_journey.io.pseudonymise import Pseudonymiser
from offender_journey.keys import load_key, new_key_file
from offender_journey.store import InMemoryStore, SQLiteStore
from strategies import journeys

AGE_VIEWS = {"reoffending", "iom"}  # the views that use a date of birth


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A synthetic store, its key, and the ids and texts it holds."""
    root = tmp_path_factory.mktemp("export")
    events = list(synth.generate(20, seed=7, preset="prolific"))
    store = root / "s.db"
    with SQLiteStore(store) as s:
        s.append(events)
    key = root / "key"
    new_key_file(key)
    ids = {e.offender_id for e in events} | {e.event_id for e in events}
    for event in events:
        for name in ("charge_id", "case_id", "arrest_id", "sentence_id", "licence_id", "bail_id"):
            value = getattr(event, name, None)
            if value:
                ids.add(value)
    return {"root": root, "store": str(store), "key": str(key), "ids": ids, "events": events}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def metrics(capsys: pytest.CaptureFixture[str], store: str) -> dict[str, Any]:
    return json.loads(run(capsys, "metrics", "--all", "--json", "--store", store, "--jobs", "1"))  # type: ignore[no-any-return]


def reimport(capsys: pytest.CaptureFixture[str], export_dir: Path, store: Path) -> None:
    run(capsys, "ingest", str(export_dir / "events.jsonl"), "--store", str(store))


def all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_files_are_private_and_whole(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out = tmp_path / "out"
    argv = ["export", str(out), "--format", fmt, "--store", cohort["store"], "--json"]
    if fmt == "parquet":
        argv += ["--partitions", "3"]
    report = json.loads(run(capsys, *argv))
    assert report["offenders"] == 20
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert not list(tmp_path.glob(".out.*"))  # no temporary directory left behind
    with SQLiteStore(cohort["store"]) as s:
        effective = metrics(capsys, cohort["store"])["events"]
        assert report["rows"]["events"] == effective <= s.count_events()


def test_retracted_events_and_retractions_are_left_out(tmp_path: Path) -> None:
    j = JourneyBuilder("O1")
    arrest = j.arrest("2014-05-01")
    j.retract(arrest, "keyed in twice")
    store = InMemoryStore()
    store.append(j.events)
    export(store, tmp_path / "out")
    assert (tmp_path / "out" / "events.jsonl").read_text() == ""


def test_an_existing_directory_is_never_overwritten(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert main(["export", str(tmp_path / "out"), "--store", cohort["store"]]) == 2
    assert "exists" in capsys.readouterr().err
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_parquet_partitions_hold_whole_streams_and_read_with_duckdb_and_polars(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pq"
    run(capsys, "export", str(out), "--format", "parquet", "--partitions", "4",
        "--store", cohort["store"])  # fmt: skip
    paths = part_paths(out / "events")
    assert len(paths) == 4
    for index, path in enumerate(paths):
        frame = pl.read_parquet(path)
        assert all(partition_of(o, 4) == index for o in frame["offender_id"].unique())
        keys = list(zip(frame["offender_id"], frame["version"], strict=True))
        assert keys == sorted(keys)
    total = duckdb.sql(f"select count(*) from '{out}/events/*.parquet'").fetchall()[0]
    csv_out = tmp_path / "csv"
    run(capsys, "export", str(csv_out), "--format", "csv", "--store", cohort["store"])
    assert total[0] == pl.read_csv(csv_out / "events.csv").height


def test_plain_export_reimports_to_the_same_numbers(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "export", str(tmp_path / "out"), "--store", cohort["store"])
    reimport(capsys, tmp_path / "out", tmp_path / "again.db")
    assert metrics(capsys, str(tmp_path / "again.db")) == metrics(capsys, cohort["store"])


def test_pseudonymised_export_holds_no_original_identifier(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every synthetic id starts with its offender id ("S7-O000003-e12", "S7-O000003-c6" ...).
    assert all(i.startswith("S7-O") for i in cohort["ids"])
    key = load_key(cohort["key"])
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / fmt
        run(capsys, "export", str(out), "--format", fmt, "--pseudonymise",
            "--key-file", cohort["key"], "--store", cohort["store"])  # fmt: skip
        data = all_bytes(out)
        assert key not in data
        if fmt == "parquet":  # compressed: look at the values themselves
            data = repr([pq.read_table(p).to_pylist() for p in sorted(out.rglob("*.parquet"))])
            data = data.encode()
        assert b"S7-O" not in data, fmt


def test_pseudonymised_export_gives_the_same_numbers(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pseudonym = Pseudonymiser(load_key(cohort["key"])).offender
    original = metrics(capsys, cohort["store"])
    for keep_dob in (True, False):
        out = tmp_path / f"dob{keep_dob}"
        argv = ["export", str(out), "--pseudonymise", "--key-file", cohort["key"]]
        run(capsys, *argv, *(["--keep-dob"] if keep_dob else []), "--store", cohort["store"])
        reimport(capsys, out, tmp_path / f"dob{keep_dob}.db")
        again = metrics(capsys, str(tmp_path / f"dob{keep_dob}.db"))
        views = set(original) - {"iom"} - (set() if keep_dob else AGE_VIEWS)
        assert {v: again[v] for v in views} == {v: original[v] for v in views}
        if keep_dob:  # IOM lists people: the same people, under their pseudonyms
            expected = [dict(s, offender_id=pseudonym(s["offender_id"])) for s in original["iom"]["selected"]]  # fmt: skip
            assert sorted(again["iom"]["selected"], key=json.dumps) == sorted(
                expected, key=json.dumps
            )
            assert {k: v for k, v in again["iom"].items() if k != "selected"} == {
                k: v for k, v in original["iom"].items() if k != "selected"
            }
        else:  # ages move by at most half a year: totals stay, only age splits may change
            assert again["reoffending"]["cohort"] == original["reoffending"]["cohort"]
            assert again["reoffending"]["reoffences"] == original["reoffending"]["reoffences"]


def test_same_key_same_pseudonyms_other_key_unlinkable(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    new_key_file(other)
    texts = []
    for name, key in (("a", cohort["key"]), ("b", cohort["key"]), ("c", str(other))):
        run(capsys, "export", str(tmp_path / name), "--pseudonymise", "--key-file", key,
            "--store", cohort["store"])  # fmt: skip
        texts.append((tmp_path / name / "events.jsonl").read_text())
    assert texts[0] == texts[1]
    first = {json.loads(line)["offender_id"] for line in texts[0].splitlines()}
    third = {json.loads(line)["offender_id"] for line in texts[2].splitlines()}
    assert len(first) == len(third) == 20
    assert not first & third


def test_free_text_and_birth_dates_unless_kept() -> None:
    codec = Codec()
    base = {"offender_id": "O1", "date": "2014-05-02"}
    events = [
        codec.decode({**base, "type": "offender_profile", "event_id": "e1",
                      "date_of_birth": "1990-03-04", "sex": "male"}),
        codec.decode({**base, "type": "charge", "event_id": "e2", "charge_id": "c1",
                      "offence_date": "2014-05-01", "offence": {"code": "TH1",
                      "category": "theft_other", "description": "bicycle from Mr Smith"}}),
        codec.decode({**base, "type": "court_appearance", "event_id": "e3", "hearing_id": "h1",
                      "case_id": "k1", "charge_ids": ["c1"], "outcome": "adjourned",
                      "court": "Leeds Magistrates"}),
        codec.decode({**base, "type": "event_retracted", "event_id": "e4",
                      "target_event_id": "e3", "reason": "Mr Smith phoned"}),
    ]  # fmt: skip
    key = b"k" * 32
    shared = "\n".join(codec.encode_line(Pseudonymiser(key).event(e)) for e in events)
    kept = "\n".join(
        codec.encode_line(Pseudonymiser(key, keep_dob=True, keep_text=True).event(e))
        for e in events
    )
    assert "Smith" not in shared
    assert "Leeds" not in shared
    assert "1990-07-01" in shared
    assert '"code":"withheld"' in shared  # not in a code system: could be anything
    assert "Smith" in kept
    assert "Leeds" in kept
    assert "1990-03-04" in kept
    retraction = Pseudonymiser(key).event(events[3])
    assert retraction.target_event_id == Pseudonymiser(key).event(events[2]).event_id  # type: ignore[union-attr]


def test_free_form_codes_and_tools_do_not_leak_into_a_pseudonymised_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "John Smith 1 High St"
    journey = JourneyBuilder("O1")
    journey.charge("2014-05-02", "theft_other", code=name)
    journey.charge("2014-05-03", "theft_other", code="TH68010")  # a CJS offence code
    journey.charge("2014-05-04", "burglary_domestic", code="028/01")  # a Home Office class
    journey.risk("2014-05-05", 0.5, 0.3, tool=name)
    journey.risk("2014-05-06", 0.5, 0.3)
    store = tmp_path / "s.db"
    with SQLiteStore(store) as s:
        s.append(journey.events)
    key = tmp_path / "key"
    new_key_file(key)
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / fmt
        run(capsys, "export", str(out), "--format", fmt, "--pseudonymise", "--key-file", str(key),
            "--store", str(store))  # fmt: skip
        data = all_bytes(out)
        if fmt == "parquet":
            data = repr([pq.read_table(p).to_pylist() for p in sorted(out.rglob("*.parquet"))])
            data = data.encode()
        assert b"Smith" not in data, fmt
        assert all(code in data for code in (b"TH68010", b"028/01", b"OGRS3")), fmt
    kept = tmp_path / "kept"
    run(capsys, "export", str(kept), "--pseudonymise", "--keep-text", "--key-file", str(key),
        "--store", str(store))  # fmt: skip
    assert all_bytes(kept).count(name.encode()) == 4  # events and fact rows, both kinds
    reimport(capsys, tmp_path / "jsonl", tmp_path / "again.db")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journeys())
def test_every_pseudonymised_event_is_valid_and_reimports(events: list[Any]) -> None:
    p = Pseudonymiser(b"s" * 32)
    store = InMemoryStore()
    store.append([p.event(e) for e in events])  # decodes: every result is a valid event
    assert store.count_events() == len({e.event_id for e in events})


def test_key_problems_are_usage_errors(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path / "o"), "--pseudonymise", "--store", cohort["store"]]) == 2
    assert "--key-file" in capsys.readouterr().err
    short = tmp_path / "short"
    short.write_bytes(b"x")
    short.chmod(0o600)
    argv = ["export", str(tmp_path / "o"), "--pseudonymise", "--key-file", str(short)]
    assert main([*argv, "--store", cohort["store"]]) == 2
    assert "at least 32" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_to_arrow_has_the_export_columns(cohort: dict[str, Any]) -> None:
    with SQLiteStore(cohort["store"]) as s:
        table = s.to_arrow()
        assert table.num_rows == s.count_events()
    assert table.column_names[:3] == ["offender_id", "version", "event_id"]


def test_fact_tables_equal_the_stores_own(cohort: dict[str, Any], tmp_path: Path) -> None:
    from offender_journey.facts import TABLES
    from offender_journey.facts.refresh import iter_rows

    with SQLiteStore(cohort["store"]) as s:
        refresh_facts(s)
        report = export(s, tmp_path / "out", format="parquet", partitions=2)
        for table in TABLES:
            stored = [tuple(r) for r in iter_rows(s, table.name)]
            exported = [
                tuple(r.values())
                for p in part_paths(tmp_path / "out" / table.name)
                for r in pl.read_parquet(p).to_dicts()
            ]
            assert report.rows[table.name] == len(stored)
            if table.name == "offenders":  # the store's position is not part of an export
                stored = [r[:-1] for r in stored]
                exported = [r[:-1] for r in exported]
            assert sorted(exported, key=repr) == sorted(stored, key=repr), table.name


def test_pseudonymised_fact_tables_join_the_pseudonymised_events(
    cohort: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    run(capsys, "export", str(out), "--format", "parquet", "--pseudonymise",
        "--key-file", cohort["key"], "--store", cohort["store"])  # fmt: skip
    joined = duckdb.sql(
        f"select count(*), count(e.event_id) from '{out}/charges/*.parquet' c "
        f"left join '{out}/events/*.parquet' e on c.event_id = e.event_id "
        "and c.offender_id = e.offender_id"
    ).fetchall()[0]
    assert joined[0] > 0
    assert joined[0] == joined[1]
    births = duckdb.sql(f"select distinct month(date_of_birth) from '{out}/offenders/*.parquet'")
    assert births.fetchall() == [(7,)]
