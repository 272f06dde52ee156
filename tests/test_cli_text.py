"""What a newcomer reads at the terminal: tables drawn one way, plurals, short summaries."""

from __future__ import annotations

import json

import pytest

from offender_journey import synth
from offender_journey.builder import JourneyBuilder
from offender_journey.cli import main
from offender_journey.metrics import timeline
from offender_journey.store import SQLiteStore
from offender_journey.tables import Column, Table


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("text") / "journeys.db"
    with SQLiteStore(path) as s:
        s.append(synth.generate(12, seed=5, preset="prolific"))
    return str(path)


def test_numbers_are_right_aligned_and_shares_read_as_percentages() -> None:
    table = Table(
        "T",
        (Column("group"), Column("n", "int"), Column("rate", "float", "binary rate", "share")),
        (("all", 120, 0.25), ("a", 7, None)),
    )
    assert table.to_text(title=False).splitlines() == [
        "group    n  binary rate",
        "all    120       25.0 %",
        "a        7            -",
    ]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("offender-journey 0.")


def test_the_default_store_is_the_stores_own() -> None:
    from offender_journey import store
    from offender_journey.cli import _common

    assert _common.DEFAULT_STORE == store.DEFAULT_STORE


def test_offenders_lists_ids_counts_and_dates(store: str, capsys) -> None:
    assert main(["offenders", "--store", store, "--prefix", "S5-O00000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["offender_id", "events", "first", "last"]
    assert len(lines) == 1 + 10 + 1
    assert lines[-1] == "10 offenders"
    assert main(["offenders", "--store", store, "--prefix", "S5-O000011", "--json"]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert only["offender_id"] == "S5-O000011"
    assert only["events"] > 0
    assert only["first_date"] <= only["last_date"]


def test_one_offender_is_singular(tmp_path, capsys) -> None:
    path = tmp_path / "one.db"
    j = JourneyBuilder("O1")
    j.arrest("2013-01-01")
    with SQLiteStore(path) as s:
        s.append(j.events)
    assert main(["metrics", "--store", str(path)]) == 0
    assert capsys.readouterr().out.startswith("1 offender, 1 event in effect;")
    assert main(["offenders", "--store", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 offender"


def test_iom_listing_is_behind_a_flag(store: str, capsys) -> None:
    args = ["iom", "--store", store, "--on", "2014-01-01"]
    assert main(args) == 0
    short = capsys.readouterr().out
    assert "selected:" in short
    assert "iom --list" in short
    assert main([*args, "--list"]) == 0
    listed = capsys.readouterr().out
    assert "reason" in listed
    assert len(listed.splitlines()) > len(short.splitlines())
    assert main(["metrics", "--store", store, "--all", "--as-of", "2020-01-01"]) == 0
    everything = capsys.readouterr().out
    assert "S5-O000000  " not in everything  # no per-person lines in the summary


def test_quality_explains_each_kind(tmp_path, capsys) -> None:
    path = tmp_path / "odd.db"
    j = JourneyBuilder("O1")
    c = j.charge("2013-02-01", "shoplifting")
    j.convict("2013-01-01", c)  # before its charge
    with SQLiteStore(path) as s:
        s.append(j.events)
    assert main(["quality", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "What each kind means:" in out
    assert "  Conviction before charge: " in out  # words in text; JSON keeps the code


def test_metrics_says_what_n_counts_and_what_resolved_rate_means(store: str, capsys) -> None:
    assert main(["metrics", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "Convictions\ntimed: convicted charges sentenced on that occasion" in out
    assert "(convicted among the charges decided)" in out


def test_cost_headline_says_what_was_priced(store: str, capsys) -> None:
    assert main(["cost", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "priced offences only: " in out
    assert "% of offences" in out.splitlines()[1]


def test_timeline_counts_flags_by_kind() -> None:
    j = JourneyBuilder("O1")
    first = j.charge("2013-01-10", "shoplifting")
    j.bail("2013-01-10", first)
    j.charge("2013-02-01", "shoplifting", offence_date="2013-01-20")
    text = str(timeline(j.events))
    assert "flagged offences by kind: on bail 1" in text
    assert timeline(j.events).flag_counts == {"on_bail": 1}
