"""`offender-journey metrics` over a SQLite store, beside polars, DuckDB and pandas.

    python bench/bench_metrics.py            # >= 1,000,000 events
    python bench/bench_metrics.py --quick    # a smoke test in seconds

Both sides are measured in the same run, from the same synthetic JSON Lines file: the
store is built from it once (not timed), then ``offender-journey metrics --json`` is
timed with one process and with every core, and the peers of ``peers.py`` (polars, DuckDB
and pandas computing conversion and days by sentencing occasion from the JSON Lines file
itself) are timed too. Every side's numbers are compared; a mismatch is reported loudly.
Peak memory is the largest process's RSS high-water mark.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small files, for a smoke test")
    parser.add_argument(
        "--offenders",
        type=int,
        default=18_500,
        help="synthetic offenders in the large file (default: about 1M events)",
    )
    args = parser.parse_args()
    sizes = [100, 400] if args.quick else [args.offenders // 4, args.offenders]
    cli = [os.path.join(os.path.dirname(sys.executable), "offender-journey")]
    views = "conversion,days_by_sentencing_occasion"
    measured = []
    for n in sizes:
        source = events_file(n)
        store = str(OUT / f"metrics_{n}.db")
        if not os.path.exists(store):
            run_step(BUILD, str(source), store)
        events = count_lines(source)
        command = [*cli, "metrics", "--json", "--store", store, "--views", views]
        one = run_command([*command, "--jobs", "1"])
        every = run_command([*command, "--jobs", str(os.cpu_count() or 1)])
        default = run_command([*cli, "metrics", "--json", "--store", store, "--jobs", "1"])
        ours = json.loads(one["stdout"])
        peers = {name: run_step(code, str(source)) for name, code in PEERS.items()}
        problems = [p for name, r in peers.items() for p in same_numbers(ours, r["result"], name)]
        if json.loads(every["stdout"]) != ours:
            problems.append("--jobs N gave different numbers from --jobs 1")
        measured.append(
            {
                "events": events,
                "metrics_1_process": {"seconds": one["seconds"], "peak_mib": one["peak_mib"]},
                "metrics_all_cores": {"seconds": every["seconds"], "peak_mib": every["peak_mib"]},
                "metrics_default_views_1_process": {
                    "seconds": default["seconds"],
                    "peak_mib": default["peak_mib"],
                },
                **{
                    name: {"seconds": r["seconds"], "peak_mib": r["peak_mib"]}
                    for name, r in peers.items()
                },
                "mismatches": problems,
            }
        )
    results = {"machine": machine(), "runs": measured}
    save("metrics" + ("_quick" if args.quick else ""), results)
    print(f"machine: {json.dumps(machine())}\n")
    print("| events | side | seconds | peak MiB | polars / this (time) | pandas / this (time) |")
    print("|---:|---|---:|---:|---:|---:|")
    for run in measured:
        for side in (
            *PEERS,
            "metrics_1_process",
            "metrics_all_cores",
            "metrics_default_views_1_process",
        ):
            row = run[side]
            polars = run["polars"]["seconds"] / row["seconds"]
            pandas = run["pandas"]["seconds"] / row["seconds"]
            print(
                f"| {run['events']:,} | {side} | {row['seconds']:.2f} | {row['peak_mib']:.0f} | "
                f"{polars:.2f}x | {pandas:.2f}x |"
            )
    for run in measured:
        if run["mismatches"]:
            print(f"\nMISMATCH at {run['events']:,} events:\n  " + "\n  ".join(run["mismatches"]))
            sys.exit(1)
    print("\nEvery side agrees on every number.")


if __name__ == "__main__":
    main()
