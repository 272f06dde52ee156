"""A repeated `offender-journey metrics` over a SQLite store, beside polars, DuckDB and pandas.

    python bench/bench_metrics.py                      # >= 1,000,000 synthetic events
    python bench/bench_metrics.py --quick              # a smoke test in seconds
    python bench/bench_metrics.py --jsonl FILE         # your own file (the store is built once)
    python bench/bench_metrics.py --no-pandas          # leave out the slowest peer

Every side is measured in the same run, from the same JSON Lines file. The store is
built from it once (not timed); the first ``metrics`` then makes its fact tables (timed
apart); then the question an analyst repeats is timed, the whole command with
interpreter start-up: ``metrics --json`` with the default views, and with the two views
the peers compute (conversion and days by sentencing occasion). The peers of
``peers.py`` compute those two numbers from the JSON Lines file itself; every side's
numbers are compared, and a mismatch is reported loudly. Repeats are medians of
``--repeat`` runs; peak memory is the largest process's RSS high-water mark.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from measure import OUT, count_lines, events_file, machine, run_command, run_step, save
from peers import PEERS, same_numbers

BUILD = """
import os, sys
from offender_journey.io import import_jsonl
from offender_journey.store import SQLiteStore
path = sys.argv[2]
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
with SQLiteStore(path) as store:
    import_jsonl(sys.argv[1], store)
"""

TWO_VIEWS = "conversion,days_by_sentencing_occasion"


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time (its memory with it), and the stdout of the first."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    middle = ordered[len(ordered) // 2]
    return {
        "seconds": middle["seconds"],
        "peak_mib": middle["peak_mib"],
        "stdout": runs[0]["stdout"],
    }


def _repeat(command: list[str], times: int) -> dict[str, Any]:
    return _median([run_command(command) for _ in range(times)])


def measure(source: Path, store: str, cli: list[str], times: int, pandas: bool) -> dict[str, Any]:
    """Every side over one file."""
    if not os.path.exists(store):
        run_step(BUILD, str(source), store)
    events = count_lines(source)
    base = [*cli, "metrics", "--json", "--store", store]
    first = run_command(base)  # makes the fact tables if the store has none yet
    sides = {
        "help": _repeat([*cli, "--help"], times),
        "metrics_repeat_default_views": _repeat(base, times),
        "metrics_repeat_two_views": _repeat([*base, "--views", TWO_VIEWS], times),
    }
    ours = json.loads(sides["metrics_repeat_two_views"]["stdout"])
    peers = {
        name: _median(
            [run_step(code, str(source)) for _ in range(times if name != "pandas" else 1)]
        )
        for name, code in PEERS.items()
        if pandas or name != "pandas"
    }
    problems = []
    for name in peers:
        result = json.loads(peers[name]["stdout"].strip().splitlines()[-1])
        problems += same_numbers(ours, result, name)
    if json.loads(first["stdout"]) != json.loads(sides["metrics_repeat_default_views"]["stdout"]):
        problems.append("the first metrics and a repeat gave different numbers")
    keep = ("seconds", "peak_mib")
    return {
        "events": events,
        "metrics_first_makes_tables": {k: first[k] for k in keep},
        **{name: {k: row[k] for k in keep} for name, row in {**sides, **peers}.items()},
        "mismatches": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small files, for a smoke test")
    parser.add_argument(
        "--offenders",
        type=int,
        default=18_500,
        help="synthetic offenders in the large file (default: about 1M events)",
    )
    parser.add_argument("--jsonl", type=Path, help="measure on this file instead of synthetic ones")
    parser.add_argument("--store", help="the store built from --jsonl (default: under bench/out)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median; default 3)")
    parser.add_argument("--no-pandas", action="store_true", help="leave pandas out (it is slow)")
    args = parser.parse_args()
    cli = [os.path.join(os.path.dirname(sys.executable), "offender-journey")]
    if args.jsonl:
        store = args.store or str(OUT / f"metrics_{args.jsonl.stem}.db")
        OUT.mkdir(exist_ok=True)
        inputs = [(args.jsonl, store)]
    else:
        sizes = [100, 400] if args.quick else [args.offenders // 4, args.offenders]
        inputs = [(events_file(n), str(OUT / f"metrics_{n}.db")) for n in sizes]
    measured = [
        measure(source, store, cli, args.repeat, not args.no_pandas) for source, store in inputs
    ]
    results = {"machine": machine(), "runs": measured}
    save("metrics" + ("_quick" if args.quick else ""), results)
    print(f"machine: {json.dumps(machine())}\n")
    print("| events | side | seconds | peak MiB | polars / this | DuckDB / this |")
    print("|---:|---|---:|---:|---:|---:|")
    for run in measured:
        for side, row in run.items():
            if not isinstance(row, dict):
                continue
            polars = run["polars"]["seconds"] / row["seconds"]
            duckdb = run["duckdb"]["seconds"] / row["seconds"]
            print(
                f"| {run['events']:,} | {side} | {row['seconds']:.2f} | {row['peak_mib']:.0f} | "
                f"{polars:.2f}x | {duckdb:.2f}x |"
            )
    for run in measured:
        if run["mismatches"]:
            print(f"\nMISMATCH at {run['events']:,} events:\n  " + "\n  ".join(run["mismatches"]))
            sys.exit(1)
    print("\nEvery side agrees on every number.")


if __name__ == "__main__":
    main()
