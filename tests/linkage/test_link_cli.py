"""`link` and `links` as a partnership uses them: decisions are events, and people's
decisions hold; erasure, restriction and pseudonymised exports reach link decisions."""

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from offender_journey.cli import main

SOURCES = ("police", "courts", "probation", "prison")


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("agencies")
    assert (
        main(
            [
                "synth",
                str(folder / "ag"),
                "--offenders",
                "60",
                "--seed",
                "4",
                "--sources",
                ",".join(SOURCES),
                "--errors",
                "medium",
                "--truth",
                str(folder / "truth.csv"),
            ]
        )
        == 0
    )
    return folder


@pytest.fixture
def store(extracts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for source in SOURCES:
        assert main(["ingest", str(extracts / "ag" / f"{source}.jsonl"), "--source", source]) == 0
    return tmp_path / "journeys.db"


def links(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, list[str]]:
    capsys.readouterr()
    assert main(["links", "--json", *args]) == 0
    listing = json.loads(capsys.readouterr().out)
    return {
        p["person_id"]: [f"{r['source']}:{r['offender_id']}" for r in p["records"]]
        for p in listing["persons"]
    }


def link(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["link", "--json", "--model", "model.json", *args]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def truth(extracts: Path) -> dict[str, str]:
    with open(extracts / "truth.csv", encoding="utf-8") as handle:
        return {f"{r['source']}:{r['offender_id']}": r["person"] for r in csv.DictReader(handle)}


def ingest_two_strangers(folder: Path) -> None:
    """Two records of source ``extra`` (``extra:A``, ``extra:B``) no model would join."""
    extra = folder / "extra.jsonl"
    extra.write_text(
        '{"type": "person_recorded", "event_id": "x1", "offender_id": "A", "date": "2015-01-01",'
        ' "forenames": "John", "surname": "Smith", "date_of_birth": "1980-02-03"}\n'
        '{"type": "person_recorded", "event_id": "x2", "offender_id": "B", "date": "2015-01-01",'
        ' "forenames": "Petra", "surname": "Lund", "date_of_birth": "1975-11-30"}\n'
    )
    assert main(["ingest", str(extra), "--source", "extra"]) == 0


def test_link_records_every_record_in_exactly_one_person_and_a_rerun_changes_nothing(
    store: Path, extracts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = links(capsys)
    assert all(len(records) == 1 for records in before.values())  # nothing linked yet
    first = link(capsys)
    assert first["decisions_recorded"] == first["records"] == len(before)
    assert len(first["at_other_thresholds"]) == 2
    persons = links(capsys)
    records = [r for rs in persons.values() for r in rs]
    assert sorted(records) == sorted(truth(extracts))
    real = truth(extracts)
    wrong = [p for p, rs in persons.items() if len({real[r] for r in rs}) > 1]
    assert len(wrong) <= 1
    assert len(persons) <= len(set(real.values())) + 3
    again = link(capsys)
    assert again["decisions_recorded"] == 0
    assert links(capsys) == persons
    assert Path("model.json").exists()


def test_never_join_splits_a_person_and_as_of_shows_them_together_before(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link(capsys)
    persons = links(capsys)
    person, records = next((p, rs) for p, rs in sorted(persons.items()) if len(rs) >= 3)
    moment = dt.datetime.now(dt.UTC).isoformat()
    assert main(["link", "--never-join", records[0], records[1], "--reason", "not him"]) == 0
    link(capsys)
    after = links(capsys)
    owner = {r: p for p, rs in after.items() for r in rs}
    assert owner[records[0]] != owner[records[1]]
    assert links(capsys, "--as-of", moment)[person] == records
    capsys.readouterr()
    assert main(["links", "--changes", "--since", moment, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["changes"]
    assert {"kind": "split", "person_id": person} in [
        {k: c[k] for k in ("kind", "person_id")} for c in found
    ]
    kept = [p for p in (owner[records[0]], owner[records[1]]) if p == person]
    assert kept  # the larger part keeps the person's id, the other part gets a new one


def test_joins_file_joins_two_people_and_bad_lines_are_named(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ingest_two_strangers(tmp_path)
    a, b = "extra:A", "extra:B"
    link(capsys)
    owner = {r: p for p, rs in links(capsys).items() for r in rs}
    assert owner[a] != owner[b]
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(f"a,b,decision,reason\n{a},{b},join,same person per custody photo\n")
    assert main(["link", "--joins", str(reviews)]) == 0
    link(capsys)
    owner = {r: p for p, rs in links(capsys).items() for r in rs}
    assert owner[a] == owner[b]
    reviews.write_text(f"a,b,decision,reason\n{a},{b},maybe,unsure\n")
    capsys.readouterr()
    assert main(["link", "--joins", str(reviews)]) == 2
    assert "line 2: decision must be join or never" in capsys.readouterr().err


def test_a_join_of_two_different_valid_pncs_is_refused(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    police = sorted(r for rs in links(capsys).values() for r in rs if r.startswith("police:"))
    capsys.readouterr()
    assert main(["link", "--join", police[0], police[1], "--reason", "sure"]) == 2
    assert "different valid PNC IDs" in capsys.readouterr().err
    assert main(["link", "--join", police[0], "police:NOBODY", "--reason", "x"]) == 2


def test_explain_shows_each_comparisons_part(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link(capsys)
    records = next(rs for rs in links(capsys).values() if len(rs) >= 2)
    capsys.readouterr()
    assert (
        main(["link", "--explain", records[0], records[1], "--model", "model.json", "--json"]) == 0
    )
    shown = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in shown["comparisons"]]
    assert names == ["forename", "surname", "dob", "sex", "postcode", "pnc", "cro"]
    total = shown["prior"] + sum(c["weight"] for c in shown["comparisons"])
    assert total == pytest.approx(shown["match_weight"])


def test_erasure_restriction_and_pseudonyms_reach_link_decisions(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link(capsys)
    persons = links(capsys)
    records = next(rs for rs in persons.values() if len(rs) >= 3)
    gone, hidden, kept = records[0], records[1], records[2]
    assert main(["link", "--never-join", gone, kept, "--reason", "review 7"]) == 0
    assert main(["keygen", "k.key"]) == 0
    assert main(["erase", gone, "--reason", "court order", "--key-file", "k.key"]) == 0
    own_id = gone.partition(":")[2]
    data = b"".join(p.read_bytes() for p in tmp_path.glob("journeys.db*"))
    assert own_id.encode() not in data
    assert main(["restrict", hidden, "--reason", "disputed"]) == 0
    listed = [r for rs in links(capsys).values() for r in rs]
    assert gone not in listed
    assert hidden not in listed
    assert kept in listed
    capsys.readouterr()
    assert main(["export", "ex", "--format", "jsonl", "--pseudonymise", "--key-file", "k.key"]) == 0
    lines = [json.loads(x) for x in (tmp_path / "ex" / "events.jsonl").read_text().splitlines()]
    linked = [x for x in lines if x["type"] == "record_linked"]
    reviewed = [x for x in lines if x["type"] == "link_reviewed"]
    assert linked
    assert not any(x["person_id"].startswith("P0") for x in linked)
    assert all(x["reason"] == "withheld" for x in reviewed)
    by_person: dict[str, int] = {}
    for x in linked:
        by_person[x["person_id"]] = by_person.get(x["person_id"], 0) + 1
    assert max(by_person.values()) >= 2  # one person's records still share one pseudonym
    assert not any(kept.partition(":")[2] in json.dumps(x) for x in linked + reviewed)


def test_a_join_holds_at_once_and_keeps_the_older_persons_id(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ingest_two_strangers(tmp_path)
    link(capsys)
    before = links(capsys)
    owner = {r: p for p, rs in before.items() for r in rs}
    older, newer = sorted((owner["extra:A"], owner["extra:B"]))
    assert main(["link", "--join", "extra:A", "extra:B", "--reason", "same fingerprints"]) == 0
    assert "2 records now in 1 person" in capsys.readouterr().out
    after = links(capsys)  # no run in between: the join holds already
    assert after[older] == ["extra:A", "extra:B"]
    assert newer not in after
    assert {p: rs for p, rs in after.items() if p != older} == {
        p: rs for p, rs in before.items() if p not in (older, newer)
    }


def test_the_truth_as_joins_makes_exactly_the_true_persons_without_a_model(
    store: Path, extracts: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = truth(extracts)
    first: dict[str, str] = {}
    rows = ["a,b,decision,reason"]
    for record, person in sorted(real.items()):
        if person in first:
            rows.append(f"{first[person]},{record},join,the synthetic truth")
        else:
            first[person] = record
    reviews = tmp_path / "truth_joins.csv"
    reviews.write_text("\n".join(rows) + "\n")
    assert main(["link", "--joins", str(reviews)]) == 0
    persons = links(capsys)
    assert sorted(sorted(rs) for rs in persons.values()) == sorted(
        sorted(r for r in real if real[r] == person) for person in set(real.values())
    )


def test_links_lists_a_record_without_an_identity_record_and_as_of_only_records_then(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = dt.datetime.now(dt.UTC).isoformat()
    arrests = tmp_path / "arrests.jsonl"
    arrests.write_text(
        '{"type": "arrest", "event_id": "a1", "offender_id": "Q9", "date": "2016-03-01",'
        ' "arrest_id": "ar1"}\n'
    )
    assert main(["ingest", str(arrests), "--source", "custody"]) == 0
    now = links(capsys)
    assert ["custody:Q9"] in now.values()  # a person of its own, though nothing names them
    then = links(capsys, "--as-of", before)
    assert ["custody:Q9"] not in then.values()
    assert len(then) == len(now) - 1
