"""The benchmark's peers compute exactly what `metrics` prints, on the cases that are easy to get wrong.

The speed comparison in docs/performance.md is only fair if polars, DuckDB and pandas
answer the same question: every peer of ``bench/peers.py`` must print the library's two
views to the last digit, from a file whose lines exercise each rule of the definitions.
"""

import importlib.util
import io
import json
import math
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from offender_journey import synth
from offender_journey.cli import main

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load_peers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("peers", BENCH / "peers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers = _load_peers()


def _event(type_: str, n: int, date: str, recorded_at: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "event_id": f"EDGE-1-e{n}",
        "offender_id": "EDGE-1",
        "date": date,
        "recorded_at": recorded_at,
        **fields,
    }


def _charge(n: int, charge_id: str, offence_date: str, recorded_at: str) -> dict[str, Any]:
    offence = {"category": "shoplifting", "code": "SHOP26"}
    return _event(
        "charge",
        n,
        "2015-01-11",
        recorded_at,
        charge_id=charge_id,
        arrest_id="a1",
        case_id="k1",
        offence=offence,
        offence_date=offence_date,
    )


def _retraction(n: int, target: int, recorded_at: str) -> dict[str, Any]:
    return _event(
        "event_retracted",
        n,
        recorded_at[:10],
        recorded_at,
        target_event_id=f"EDGE-1-e{target}",
        reason="keyed in error",
    )


def _sentence(n: int, date: str, *charges: str) -> dict[str, Any]:
    return _event(
        "sentence",
        n,
        date,
        f"{date}T15:00:00+00:00",
        sentence_id=f"s{n}",
        charge_ids=list(charges),
        disposal="community_order",
        length_days=365,
    )


def _outcome(type_: str, n: int, charge_id: str, date: str, recorded_at: str) -> dict[str, Any]:
    extra = {"plea": "guilty"} if type_ == "conviction" else {"outcome": "acquitted"}
    return _event(type_, n, date, recorded_at, charge_id=charge_id, **extra)


#: One offender whose lines need every rule: file order is not transaction order.
EDGE = [
    _event("arrest", 1, "2015-01-10", "2015-01-10T12:00:00+00:00", arrest_id="a1"),
    # c1 re-sent: the second line is earlier as an instant (08:30 UTC), so the first counts.
    _charge(2, "c1", "2015-01-05", "2015-01-11T09:00:00+00:00"),
    _charge(3, "c1", "2015-01-08", "2015-01-11T09:30:00+01:00"),
    # a1 re-sent at the same instant: the later line counts (arrest day 2015-01-09).
    _event("arrest", 4, "2015-01-09", "2015-01-10T12:00:00+00:00", arrest_id="a1"),
    # Two outcomes of one date: the one recorded later is final, whatever the line order.
    _outcome("conviction", 5, "c1", "2015-03-01", "2015-03-01T10:00:00+00:00"),
    _outcome("charge_disposed", 6, "c1", "2015-03-01", "2015-03-01T09:00:00+00:00"),
    # c1 listed twice on one occasion (two sentences of one date, one listing it twice).
    _sentence(7, "2015-03-10", "c1", "c1"),
    _sentence(8, "2015-03-10", "c1"),
    # c2: offence after the arrest, a negative duration left out of its own measure only.
    _charge(9, "c2", "2015-01-20", "2015-01-21T09:00:00+00:00"),
    _outcome("conviction", 10, "c2", "2015-02-01", "2015-02-01T17:00:00+00:00"),
    _sentence(11, "2015-06-01", "c2"),
    # c3: convicted, then quashed later: not convicted, not measured.
    _charge(12, "c3", "2015-01-01", "2015-01-11T10:00:00+00:00"),
    _outcome("conviction", 13, "c3", "2015-04-01", "2015-04-01T17:00:00+00:00"),
    _outcome("charge_disposed", 14, "c3", "2015-05-01", "2015-05-01T17:00:00+00:00"),
    _sentence(15, "2015-06-01", "c3"),
    # c4: its conviction retracted by a chain of three; the first retraction is in force.
    _charge(16, "c4", "2015-01-02", "2015-01-11T11:00:00+00:00"),
    _outcome("conviction", 17, "c4", "2015-06-20", "2015-06-20T17:00:00+00:00"),
    _sentence(18, "2015-07-01", "c4"),
    _retraction(19, 17, "2015-07-02T09:00:00+00:00"),
    _retraction(20, 19, "2015-07-03T09:00:00+00:00"),
    _retraction(21, 20, "2015-07-04T09:00:00+00:00"),
    # c5: its conviction retracted, the retraction retracted: convicted.
    _charge(22, "c5", "2015-01-03", "2015-01-11T12:00:00+00:00"),
    _outcome("conviction", 23, "c5", "2015-08-01", "2015-08-01T17:00:00+00:00"),
    _sentence(24, "2015-08-02", "c5"),
    _retraction(25, 23, "2015-08-03T09:00:00+00:00"),
    _retraction(26, 25, "2015-08-04T09:00:00+00:00"),
    # c6: its conviction is recorded in the future, so unseen: pending.
    _charge(27, "c6", "2015-01-04", "2015-01-11T13:00:00+00:00"),
    _outcome("conviction", 28, "c6", "2015-09-01", "2099-01-01T09:00:00+00:00"),
    # s24 re-sent with a corrected date and not retracted: only the later record counts.
    _event(
        "sentence",
        29,
        "2015-09-01",
        "2015-09-02T15:00:00+00:00",
        sentence_id="s24",
        charge_ids=["c5"],
        disposal="community_order",
        length_days=365,
    ),
]


def _metrics(events: Path) -> dict[str, Any]:
    """What `metrics --json` prints for the peers' two views, after `ingest` of ``events``."""
    store = str(events.with_suffix(".db"))
    with redirect_stdout(io.StringIO()):
        assert main(["ingest", str(events), "--store", store]) == 0
    with redirect_stdout(io.StringIO()) as out:
        assert main(["metrics", "--store", store, "--json", "--views", ",".join(peers.VIEWS)]) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic journeys, then the edge offender's lines."""
    path = tmp_path_factory.mktemp("peers") / "events.jsonl"
    synth.write_jsonl(path, 60, seed=7)
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(json.dumps(event) + "\n" for event in EDGE)
    return path


@pytest.fixture(scope="module")
def ours(events: Path) -> dict[str, Any]:
    return _metrics(events)


def test_the_edge_offender_counts_as_the_rules_say(tmp_path: Path) -> None:
    """So that agreeing on the file means agreeing on every rule the edge lines exercise."""
    path = tmp_path / "edge.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in EDGE))
    result = _metrics(path)
    # c1, c2, c5 convicted; c3 quashed; c4's conviction retracted; c6's not yet recorded.
    assert result["conversion"] == {
        "charges": 6,
        "convicted": 3,
        "not_convicted": 1,
        "pending": 2,
        "rate": 0.5,
        "resolved_rate": 0.75,
    }

    def row(k: int, n: int, a2c: float, o_n: int, o2a: float | None) -> dict[str, Any]:
        return {
            "occasion": k,
            "n": n,
            "arrest_to_conviction": {"mean": a2c, "median": a2c},
            "offence_to_arrest": {"mean": o2a, "median": o2a},
            "n_offence_to_arrest": o_n,
        }

    # Arrest day 2015-01-09 (the re-sent arrest), c1's offence 2015-01-05 (its first record);
    # occasion 3 (c4, retracted conviction) has no value; c2's offence follows its arrest.
    # s24 re-sent to 2015-09-01: still occasion 4, and no fifth occasion from its first record.
    assert result["days_by_sentencing_occasion"] == [
        row(1, 1, 51.0, 1, 4.0),
        row(2, 1, 23.0, 0, None),
        row(4, 1, 204.0, 1, 6.0),
    ]


@pytest.mark.parametrize("peer", list(peers.PEERS))
def test_a_peer_prints_the_library_numbers_to_the_last_digit(
    peer: str, events: Path, ours: dict[str, Any]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", peers.PEERS[peer], str(events)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    assert peers.same_numbers(ours, theirs, peer) == []


def test_the_check_tells_a_difference_in_the_last_digit(ours: dict[str, Any]) -> None:
    theirs = json.loads(json.dumps(ours))
    row = theirs["days_by_sentencing_occasion"][0]
    mean = row["arrest_to_conviction"]["mean"]
    row["arrest_to_conviction"]["mean"] = math.nextafter(mean, math.inf)
    theirs["conversion"]["pending"] += 1
    problems = peers.same_numbers(ours, theirs, "peer")
    assert len(problems) == 2
    assert problems[0].startswith("conversion.pending")
    assert problems[1].startswith("occasion 1")
