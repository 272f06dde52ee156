"""A linkage run: hard rules hold against any score, and person ids stay put."""

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offender_journey.linkage.identifiers import check_letter
from offender_journey.linkage.link import run
from offender_journey.linkage.model import MODEL_FORMAT, ModelError

SOURCES = ("police", "courts", "probation", "prison")
FAULTS = ("none", "typo", "swapped", "nickname", "transposed", "no_postcode", "old_postcode")
SLOW = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def pnc(year: int, serial: int) -> str:
    digits = f"{year % 100:02d}{serial:07d}"
    return f"{year}/{serial:07d}{check_letter(int(digits))}"


def record(source: str, own_id: str, fault: str, **person: Any) -> dict[str, Any]:
    row = {"source": source, "offender_id": own_id, **person}
    if fault == "typo":
        row["surname"] = row["surname"][:2] + row["surname"][3:]
    elif fault == "swapped":
        row["forenames"], row["surname"] = row["surname"], row["forenames"]
    elif fault == "nickname":
        row["forenames"] = "Bob"
    elif fault == "transposed":
        born = row["date_of_birth"]
        row["date_of_birth"] = born.replace(day=born.month, month=born.day)
    elif fault == "no_postcode":
        row["postcode"] = None
    elif fault == "old_postcode":
        row["postcode"] = "N7 0QQ"
    return row


ROBERT = {
    "forenames": "Robert",
    "surname": "Quennell",
    "date_of_birth": dt.date(1987, 3, 11),
    "sex": "male",
    "postcode": "SE15 2AB",
}


@SLOW
@given(
    placements=st.lists(
        st.tuples(st.sampled_from(SOURCES), st.sampled_from(FAULTS)), min_size=2, max_size=5
    ),
    serial=st.integers(1, 9_999_999),
)
def test_records_sharing_a_valid_pnc_link_back_to_one_person(
    background: list[dict[str, Any]], model_file: Path, placements: Any, serial: int
) -> None:
    shared = pnc(2009, serial)
    mine = [
        record(source, f"X{i}", fault, **ROBERT, pnc_id=shared)
        for i, (source, fault) in enumerate(placements)
    ]
    rows = background + mine
    result = run(rows, [], model=model_file)
    assert len({result.persons[f"{r['source']}:{r['offender_id']}"] for r in mine}) == 1


@SLOW
@given(serials=st.lists(st.integers(1, 9_999_999), min_size=2, max_size=3, unique=True))
def test_different_valid_pncs_never_share_a_person_however_alike(
    background: list[dict[str, Any]], model_file: Path, serials: list[int]
) -> None:
    twins = [
        record(SOURCES[i % 4], f"T{i}", "none", **ROBERT, pnc_id=pnc(2011, s))
        for i, s in enumerate(serials)
    ]
    # A record with no PNC that matches every twin: chaining through it must not join them.
    bridge = record("courts", "BRIDGE", "none", **ROBERT, pnc_id=None)
    result = run([*background, *twins, bridge], [], model=model_file)
    persons = [result.persons[f"{r['source']}:{r['offender_id']}"] for r in twins]
    assert len(set(persons)) == len(twins)


@SLOW
@given(pair=st.tuples(st.sampled_from(SOURCES), st.sampled_from(FAULTS)))
def test_never_join_holds_against_any_weight(
    background: list[dict[str, Any]], model_file: Path, pair: tuple[str, str]
) -> None:
    shared = pnc(2012, 4242)
    a = record("police", "N1", "none", **ROBERT, pnc_id=shared)
    b = record(pair[0], "N2", pair[1], **ROBERT, pnc_id=shared)
    keys = ("police:N1", f"{pair[0]}:N2")
    joined = run([*background, a, b], [], model=model_file)
    assert joined.persons[keys[0]] == joined.persons[keys[1]]
    apart = run([*background, a, b], [], model=model_file, nevers=[keys])
    assert apart.persons[keys[0]] != apart.persons[keys[1]]


def test_a_rerun_changes_no_person_id_and_joins_are_kept(
    background: list[dict[str, Any]], model_file: Path
) -> None:
    first = run(background, ["police:NO-IDENTITY"], model=model_file)
    again = run(
        background,
        ["police:NO-IDENTITY"],
        model=model_file,
        previous=first.persons,
        first_new=1 + len(set(first.persons.values())),
    )
    assert again.persons == first.persons
    lonely = first.persons["police:NO-IDENTITY"]
    assert list(first.persons.values()).count(lonely) == 1
    no_pnc = sorted(f"{r['source']}:{r['offender_id']}" for r in background if not r["pnc_id"])
    some = (no_pnc[0], next(k for k in no_pnc if first.persons[k] != first.persons[no_pnc[0]]))
    joined = run(background, [], model=model_file, joins=[some])
    assert joined.persons[some[0]] == joined.persons[some[1]]


def test_the_saved_model_is_versioned_json(model_file: Path) -> None:
    saved = json.loads(model_file.read_text())
    assert {k: saved[k] for k in MODEL_FORMAT} == MODEL_FORMAT
    assert len(saved["model_version"]) == 12
    assert saved["splink"]["comparisons"]


def test_too_few_identities_link_by_identifiers_and_joins_alone() -> None:
    shared = pnc(2014, 77)
    rows = [
        record("police", "S1", "none", **ROBERT, pnc_id=shared),
        record("courts", "S2", "typo", **ROBERT, pnc_id=shared),
        record("prison", "S3", "none", **ROBERT, pnc_id=None),
    ]
    result = run(rows, ["courts:LONE"], joins=[("prison:S3", "courts:LONE")])
    assert result.model is None
    assert result.model_version == "none"
    persons = result.persons
    assert persons["police:S1"] == persons["courts:S2"] != persons["prison:S3"]
    assert persons["prison:S3"] == persons["courts:LONE"]
    assert result.rules["police:S1"] == "pnc"
    assert result.rules["courts:LONE"] == "manual"


def test_without_splink_the_message_names_the_extra(
    background: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "splink", None)  # as if the extra were not installed
    with pytest.raises(ModelError, match=r"offender-journey\[link\]"):
        run(background, [])
