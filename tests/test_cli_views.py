"""The reoffending, history, risk, IOM, cost and warrants commands, as a user runs them."""

import json
from pathlib import Path

import pytest

from offender_journey import synth
from offender_journey.cli import main
from offender_journey.store import SQLiteStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "journeys.db"
    with SQLiteStore(path) as s:
        s.append(synth.generate(25, seed=4, preset="prolific"))
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("command", "keys"),
    [
        (
            ["reoffending", "--from", "2012-01-01", "--to", "2012-03-31"],
            {
                "cohort",
                "reoffenders",
                "reoffences",
                "binary_rate",
                "frequency",
                "by_age",
                "by_index",
            },
        ),
        (
            ["history", "--from", "2014-01-01", "--to", "2014-12-31"],
            {"sanctioned", "offenders_by_previous_convictions", "cautions_by_previous_convictions"},
        ),
        (["iom", "--on", "2014-06-30"], {"size", "considered", "selected", "unscored"}),
        (
            ["cost", "--from", "2014-01-01", "--to", "2014-12-31"],
            {"charged", "proven", "unpriced_share", "top_10_percent_share", "lorenz"},
        ),
        (["warrants", "--to", "2014-12-31"], {"outstanding", "execution", "recall_to_return"}),
    ],
)
def test_view_commands_json_and_text(
    store: str, capsys: pytest.CaptureFixture[str], command: list[str], keys: set[str]
) -> None:
    out = run_json(capsys, *command, "--store", store)
    assert keys <= set(out)
    if command[0] == "cost":  # its own "offenders": those with an offence in the window
        assert 0 < out["offenders"] <= 25
    else:
        assert out["offenders"] == 25
    assert main([*command, "--store", store]) == 0
    assert "25 offenders" in capsys.readouterr().out


def test_metrics_includes_reoffending_and_all_views(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_json(
        capsys, "metrics", "--store", store, "--from", "2012-01-01", "--to", "2012-12-31"
    )
    assert {"conversion", "days_by_sentencing_occasion", "reoffending", "quality"} <= set(out)
    assert out["reoffending"]["cohort"] > 0
    every = run_json(capsys, "metrics", "--store", store, "--all", "--jobs", "2")
    assert {"history_bands", "iom", "cost", "warrants"} <= set(every)
    some = run_json(capsys, "metrics", "--store", store, "--views", "conversion")
    assert set(some) >= {"offenders", "events", "conversion"}
    assert "reoffending" not in some
    assert main(["metrics", "--store", store, "--views", "nope"]) == 2
    assert "unknown view" in capsys.readouterr().err


def test_iom_rule_options_and_cost_overrides(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = run_json(
        capsys,
        "iom",
        "--store",
        store,
        "--on",
        "2014-06-30",
        "--threshold",
        "0.99",
        "--lower-threshold",
        "0.98",
        "--computed-only",
    )
    default = run_json(capsys, "iom", "--store", store, "--on", "2014-06-30")
    assert strict["size"] <= default["size"]
    with pytest.raises(SystemExit) as refused:  # checked with the arguments, like any value
        main(["iom", "--store", store, "--categories", "piracy"])
    assert refused.value.code == 2
    costs = tmp_path / "costs.csv"
    costs.write_text("category,unit_cost_gbp\nshoplifting,100\n")
    base = run_json(capsys, "cost", "--store", store)
    more = run_json(capsys, "cost", "--store", store, "--costs", str(costs))
    assert more["charged"] > base["charged"]
    assert more["unpriced_share"] < base["unpriced_share"]
    with pytest.raises(SystemExit) as refused:
        main(["warrants", "--store", store, "--targets", "A=x"])
    assert refused.value.code == 2


def test_risk_for_one_offender(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "risk", "S4-O000001", "--store", store, "--on", "2015-01-01")
    assert out["ogrs3"]["band"] in {"low", "medium", "high", "very high"}
    assert out["previous_convictions"] > 0
    assert main(["risk", "S4-O000001", "--store", store, "--on", "2015-01-01"]) == 0
    assert "OGRS3:" in capsys.readouterr().out
    assert main(["risk", "nobody", "--store", store]) == 2
