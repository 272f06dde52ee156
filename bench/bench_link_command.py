"""The `link` command on a partnership's store: four agencies' extracts, every event kept.

    python bench/bench_link_command.py                          # 306,000 offenders: ~1M records
    python bench/bench_link_command.py --offenders 3000         # a smoke test
    python bench/bench_link_command.py --store FILE.db          # a store made before

``bench_linkage.py`` times the linkage run on identity rows read from a file. This times
what a partnership runs: the whole ``offender-journey link`` command, interpreter start-up
included, on a store that holds every event of four synthetic agencies (arrests, charges,
hearings, sentences … and the identity records), as ``synth --sources`` writes them and
``ingest --source`` stores them (not timed). Reported, each in a fresh process: reading
the link state alone (``read_state``: every identity record and link decision, and the
list of records), the first ``link`` (every record gets a decision), and a second
``link`` on the same store (the model reused with ``--model``; no decision changes):
wall and CPU seconds, peak memory, and the load average before each. The first run
records its decisions in the store: to time a first run again, remove the store.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from measure import OUT, machine, run_command, run_step, save

SOURCES = ("police", "courts", "probation", "prison")

READ_STATE = r"""
import json, sys
from offender_journey.store import open_store
from offender_journey.linkage.decisions import read_state
with open_store(sys.argv[1]) as store:
    state = read_state(store)
print(json.dumps({"records": len(state.records), "identities": len(state.identities),
                  "linked": len(state.persons)}))
"""


def build_store(offenders: int, folder: Path) -> Path:
    """Four agencies' extracts for ``offenders`` people, ingested into one store, once."""
    store = folder / "journeys.db"
    if store.exists():
        return store
    folder.mkdir(parents=True, exist_ok=True)
    tool = [sys.executable, "-m", "offender_journey"]
    extracts = folder / "ag"
    if not (extracts / "prison.jsonl").exists():
        subprocess.run(
            [*tool, "synth", str(extracts), "--sources", ",".join(SOURCES), "--errors",
             "medium", "--offenders", str(offenders), "--seed", "1", "--truth",
             str(folder / "truth.csv")],
            check=True,
        )  # fmt: skip
    partial = folder / "journeys.partial.db"
    for source in SOURCES:
        subprocess.run(
            [*tool, "ingest", str(extracts / f"{source}.jsonl"), "--source", source,
             "--store", str(partial), "--no-refresh", "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    partial.rename(store)
    return store


def _timed(command: list[str]) -> dict[str, Any]:
    load = os.getloadavg()[0]
    measured = run_command(command)
    if measured["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{measured['stdout']}")
    return {**measured, "load_before": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offenders", type=int, default=306_000)
    parser.add_argument("--store", type=Path, help="a store made before (its events are kept)")
    args = parser.parse_args()
    folder = OUT / f"link_command_{args.offenders}"
    store = args.store or build_store(args.offenders, folder)
    model = folder / "model.json"
    model.unlink(missing_ok=True)
    tool = [sys.executable, "-m", "offender_journey"]
    with contextlib.closing(sqlite3.connect(store)) as db:
        events = int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    load = os.getloadavg()[0]
    state = run_step(READ_STATE, str(store))
    if state["result"]["linked"]:
        raise SystemExit(f"{store} holds link decisions already: remove it to time a first run")
    rows = {"read_state": {**state, "load_before": load}}
    link = [*tool, "link", "--store", str(store), "--json", "--model", str(model)]
    rows["link, first run"] = _timed(link)
    rows["link, again"] = _timed(link)
    counts = state["result"]
    print(f"store: {events:,} events, {counts['records']:,} source records, "
          f"{counts['identities']:,} identity records")  # fmt: skip
    for name, row in rows.items():
        print(
            f"{name:<16} {row['seconds']:7.1f} s  CPU {row['cpu_seconds']:6.1f} s  "
            f"{row['peak_mib']:6.0f} MiB  load {row['load_before']:.1f}"
        )
    for name in ("link, first run", "link, again"):
        summary = json.loads(rows[name]["stdout"])
        print(f"{name}: {summary['persons']:,} persons, "
              f"{summary['decisions_recorded']:,} decisions recorded")  # fmt: skip
    results = {
        name: {k: v for k, v in row.items() if k not in ("stdout", "result")}
        for name, row in rows.items()
    }
    out = {"machine": machine(), "events": events, **counts, "runs": results}
    print(save(f"link_command_{args.offenders}", out), file=sys.stderr)


if __name__ == "__main__":
    main()
