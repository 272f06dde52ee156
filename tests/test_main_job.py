"""The README's main job, run as a user runs it: four agencies' extracts -> one store ->
linked persons -> headline numbers; and the single-source path beneath it."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from offender_journey.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_readmes_main_job_counts_the_agencies_persons(tmp_path: Path) -> None:
    """The README's first command, as written after its install step, on a fresh directory."""
    readme = (ROOT / "README.md").read_text()
    main_job = re.findall(r"^```bash\n(.*?)\n```", readme, re.MULTILINE | re.DOTALL)[0]
    script = main_job.split("pip install -e '.[all]' && ", 1)[1]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with open(tmp_path / "truth.csv", encoding="utf-8", newline="") as handle:
        people = {row["person"] for row in csv.DictReader(handle)}
    counted = re.search(r"^(\d+) persons, \d+ events in effect", done.stdout, re.MULTILINE)
    assert counted is not None, done.stdout[:2000]
    assert len(people) <= int(counted.group(1)) <= len(people) + 3
    # The courts' convictions meet the police's charges: far from 0 % once linked.
    rate = re.search(r"charges convicted \(([\d.]+) %\)", done.stdout)
    assert rate is not None
    assert 15 < float(rate.group(1)) < 45


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
