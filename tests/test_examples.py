"""Every example script runs and prints what it promises."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: Text each example must print (examples not listed must just exit 0).
EXPECTED = {
    "case_study.py": [
        "12 of 76 = 15.8 %",
        "court cases               16      44",
        "charges                   59      76",
        "bail grants               15",
        "on_bail",
        "suspended_sentence",
    ],
    "make_pictures.py": ["pictures written to "],
    "iom_panel_pack.py": [
        "IOM panel pack: 3 of 60 people selected on 2016-12-31",
        "S5-O000023: 2-year score 75 % (50-74 %) with burglary",
        "written to ",
    ],
    "iom_cohort.py": [
        "IOM cohort: ",
        "Reoffending (index events July-September 2014): cohort ",
        "top 10 % of the cohort: ",
    ],
}


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(script, tmp_path):
    # Scripts that write files get a temporary directory, so tests never touch docs/.
    extra = [str(tmp_path)] if script in ("make_pictures.py", "iom_panel_pack.py") else []
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for text in EXPECTED.get(script, []):
        assert text in done.stdout


def test_the_case_study_is_listed():
    assert (EXAMPLES / "case_study.py").exists()
