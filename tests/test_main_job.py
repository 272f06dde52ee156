"""The README's main job, run as a user runs it: synthetic cohort -> store -> headline numbers."""

import json
from pathlib import Path

import pytest

from offender_journey.cli import main


def test_synth_ingest_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["synth", "cohort.jsonl", "--preset", "prolific", "--offenders", "8"]) == 0
    assert main(["ingest", "cohort.jsonl"]) == 0
    assert " stored, 0 already present, 0 rejected -> journeys.db" in capsys.readouterr().out
    assert main(["metrics"]) == 0
    text = capsys.readouterr().out
    assert "Charge-to-conviction conversion" in text
    assert "Days from arrest to conviction by sentencing occasion" in text
    assert main(["metrics", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["offenders"] == 8
    assert 0.1 < numbers["conversion"]["rate"] < 0.4
    assert numbers["days_by_sentencing_occasion"][0]["occasion"] == 1


def test_synth_to_stdout_and_unknown_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "-", "--offenders", "1", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(json.loads(line)["offender_id"] == "S3-O000000" for line in lines)
    assert main(["synth", "-", "--preset", "nope"]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err
