"""The committed corpus of bad lines: one line per kind of mistake, each accounted for.

``tests/corpus/bad_lines/MANIFEST.tsv`` says, line by line, what each line of
``bad_lines.jsonl`` is and which field and reason its rejection must name.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fold_check import every_view_runs

from offender_journey.cli import main
from offender_journey.io import import_jsonl
from offender_journey.store import SQLiteStore

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "bad_lines"


def manifest() -> list[dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_the_corpus_holds_at_least_forty_kinds_of_bad_line() -> None:
    rows = manifest()
    bad = [row for row in rows if row["outcome"] == "rejected"]
    assert len({row["what the line is"] for row in bad}) == len(bad) >= 40
    lines = (CORPUS / "bad_lines.jsonl").read_bytes().split(b"\n")[:-1]
    assert len(lines) == len(rows)


@pytest.mark.parametrize("with_orjson", [True, False], ids=["orjson", "stdlib"])
def test_every_line_of_the_corpus_is_accounted_for_with_field_and_reason(
    with_orjson: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not with_orjson:
        monkeypatch.setattr("offender_journey.codec.orjson", None)
    rows = manifest()
    store = SQLiteStore(":memory:")
    report = import_jsonl(CORPUS / "bad_lines.jsonl", store)
    stored = [int(r["line"]) for r in rows if r["outcome"] == "stored"]
    assert (report.stored, report.duplicates) == (len(stored), 0)
    assert report.rejected == len(rows) - len(stored)
    by_line = {rejection.line: rejection for rejection in report.rejections}
    for row in rows:
        if row["outcome"] == "stored":
            assert int(row["line"]) not in by_line, row
            continue
        rejection = by_line[int(row["line"])]
        fields = [p.field for p in rejection.problems]
        reasons = " ".join(p.reason for p in rejection.problems)
        # An empty field in the manifest: the line as a whole (bad JSON, not UTF-8, ...).
        assert not row["field"] or row["field"] in fields, (row, rejection)
        assert all(p.reason for p in rejection.problems), row
        assert row["reason contains"] in reasons, (row, rejection)
        assert len(str(rejection)) < 600, row
    every_view_runs(store)


def test_ingest_reports_the_corpus_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rejects = tmp_path / "rejects.tsv"
    code = main(
        [
            "ingest",
            str(CORPUS / "bad_lines.jsonl"),
            "--store",
            str(tmp_path / "j.db"),
            "--json",
            "--rejects",
            str(rejects),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    report = json.loads(captured.out)
    rows = manifest()
    assert report["stored"] + report["rejected"] == len(rows)
    original = (CORPUS / "bad_lines.jsonl").read_bytes().split(b"\n")
    written = [line.split(b"\t", 2) for line in rejects.read_bytes().split(b"\n")[:-1]]
    # Conflicts are found when their batch is stored, so they may come later in the file.
    assert {int(number): text for number, _, text in written} == {
        int(r["line"]): original[int(r["line"]) - 1] for r in rows if r["outcome"] == "rejected"
    }
