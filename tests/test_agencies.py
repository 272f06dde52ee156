"""Synthetic agencies: each extract under its own ids, faulty identities, and the truth."""

import csv
import json
import stat
from collections import Counter
from pathlib import Path

import pytest

from offender_journey.agencies import AGENCIES, ERROR_LEVELS, build, write_agencies
from offender_journey.cli import main
from offender_journey.linkage.identifiers import canonical_pnc

ALLOWED = {
    "police": {
        "offender_profile",
        "arrest",
        "charge",
        "caution",
        "bail_granted",
        "bail_ended",
        "warrant_issued",
        "warrant_executed",
        "warrant_withdrawn",
    },
    "courts": {
        "court_appearance",
        "conviction",
        "charge_disposed",
        "sentence",
        "bail_granted",
        "bail_ended",
    },
    "probation": {
        "sentence",
        "released_on_licence",
        "licence_recalled",
        "licence_ended",
        "risk_assessed",
    },
    "prison": {
        "remanded_in_custody",
        "remand_ended",
        "sentence",
        "released_on_licence",
        "returned_to_custody",
    },
}


def test_same_seed_same_population_and_each_agency_holds_only_what_it_records() -> None:
    first = build(40, seed=5, errors="high")
    assert first == build(40, seed=5, errors="high")
    assert first != build(40, seed=6, errors="high")
    for record in first.records:
        events = record.events
        assert events[0]["type"] == "person_recorded"
        assert {e["offender_id"] for e in events} == {record.offender_id}
        assert {e["source"] for e in events} == {record.source}
        kinds = {e["type"] for e in events[1:]} - {"event_retracted"}
        assert kinds <= ALLOWED[record.source], record.source


def test_ids_are_the_agencys_own_and_the_truth_covers_every_record() -> None:
    population = build(300, seed=1, errors="medium")
    keys = [(r.source, r.offender_id) for r in population.records]
    assert len(set(keys)) == len(keys)
    truth = population.truth()
    assert set(truth) == set(keys)
    assert not any(r.offender_id == r.person for r in population.records)
    assert all(
        r.identity.crn == r.offender_id for r in population.records if r.source == "probation"
    )
    assert all(
        len(r.offender_id) == 7 and r.offender_id[1:5].isdigit()
        for r in population.records
        if r.source == "prison"
    )
    # One person is seen by several agencies, under different ids.
    per_person = Counter(truth.values())
    assert max(per_person.values()) >= 3


def test_shared_references_name_the_same_charge_across_agencies() -> None:
    population = build(200, seed=2, errors="low")
    charges = {
        e["charge_id"]
        for r in population.records
        if r.source == "police"
        for e in r.events
        if e["type"] == "charge"
    }
    convicted = {
        e["charge_id"]
        for r in population.records
        if r.source == "courts"
        for e in r.events
        if e["type"] == "conviction"
    }
    assert convicted
    assert convicted <= charges


def test_faults_grow_with_the_error_level() -> None:
    def faults(level: str) -> tuple[int, int]:
        population = build(400, seed=3, errors=level)
        missing = sum(r.identity.pnc_id is None for r in population.records)
        invalid = sum(
            r.identity.pnc_id is not None and canonical_pnc(r.identity.pnc_id) is None
            for r in population.records
        )
        return missing, invalid

    low, high = faults("low"), faults("high")
    assert low[0] < high[0]
    assert low[1] < high[1]
    assert set(ERROR_LEVELS) == {"low", "medium", "high"}


def test_valid_pnc_ids_are_valid_and_the_police_always_hold_one() -> None:
    population = build(150, seed=4, errors="low")
    police = [r for r in population.records if r.source == "police"]
    assert police
    assert all(r.identity.pnc_id for r in police)
    valid = [r for r in population.records if r.identity.pnc_id]
    assert sum(canonical_pnc(r.identity.pnc_id) is not None for r in valid) > 0.97 * len(valid)


def test_synth_sources_writes_private_extracts_and_the_truth(tmp_path: Path) -> None:
    out, truth = tmp_path / "extracts", tmp_path / "truth.csv"
    code = main(
        [
            "synth",
            str(out),
            "--offenders",
            "30",
            "--sources",
            "police,courts",
            "--errors",
            "low",
            "--truth",
            str(truth),
            "--seed",
            "9",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["courts.jsonl", "police.jsonl"]
    for path in (*out.iterdir(), truth):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.DictReader(truth.read_text().splitlines()))
    assert {r["source"] for r in rows} == {"police", "courts"}
    seen = {
        (json.loads(line)["source"], json.loads(line)["offender_id"])
        for name in ("police", "courts")
        for line in (out / f"{name}.jsonl").read_text().splitlines()
    }
    assert seen == {(r["source"], r["offender_id"]) for r in rows}


def test_synth_sources_refuses_unknown_agencies_and_truth_alone(tmp_path: Path) -> None:
    assert main(["synth", str(tmp_path / "x"), "--sources", "police,mi5"]) == 2
    assert main(["synth", str(tmp_path / "y.jsonl"), "--truth", str(tmp_path / "t.csv")]) == 2
    assert AGENCIES == ("police", "courts", "probation", "prison")


def test_write_agencies_returns_event_counts(tmp_path: Path) -> None:
    population = build(10, seed=0)
    counts = write_agencies(population, tmp_path / "d", tmp_path / "t.csv")
    for source, count in counts.items():
        assert len((tmp_path / "d" / f"{source}.jsonl").read_text().splitlines()) == count


@pytest.mark.parametrize("level", ["low", "medium", "high"])
def test_every_record_names_someone(level: str) -> None:
    for record in build(30, seed=8, errors=level).records:
        identity = record.identity
        assert identity.surname or identity.forenames or identity.pnc_id
