"""`offender-journey metrics` over a SQLite store, beside a pandas computation of the same numbers.

    python bench/bench_metrics.py            # >= 1,000,000 events
    python bench/bench_metrics.py --quick    # a smoke test in seconds

Both sides are measured in the same run, from the same synthetic JSON Lines file: the
store is built from it once (not timed), then ``offender-journey metrics --json`` is
timed with one process and with every core, and a pandas implementation of SPEC 3.1
(conversion) and 3.2 (days by sentencing occasion), reading the JSON Lines file itself,
is timed too. The numbers of both sides are compared; a mismatch is reported loudly.
Peak memory is the largest process's RSS high-water mark.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from measure import OUT, count_lines, events_file, machine, run_command, run_step, save

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

# The same two numbers, the pandas way: whole file in memory, vectorised where it can be.
PANDAS = r"""
import json, sys, time
import pandas as pd

start = time.perf_counter()
df = pd.read_json(sys.argv[1], lines=True, dtype=False)
df["position"] = range(len(df))

# Retractions in force (a retraction of a retraction cancels it), then drop both.
retractions = df[df["type"] == "event_retracted"]
targets = set(retractions["target_event_id"])
retracted_retractions = set(retractions["event_id"]) & targets
live = retractions[~retractions["event_id"].isin(retracted_retractions)]
gone = set(live["target_event_id"])
df = df[(df["type"] != "event_retracted") & ~df["event_id"].isin(gone)]
df = df.sort_values(["recorded_at", "position"], kind="stable")

charges = df[df["type"] == "charge"].drop_duplicates(["offender_id", "charge_id"], keep="last")
charges = charges[["offender_id", "charge_id", "arrest_id", "offence_date"]]
arrests = df[df["type"] == "arrest"].drop_duplicates(["offender_id", "arrest_id"], keep="last")
outcomes = df[df["type"].isin(["conviction", "charge_disposed"])].copy()
outcomes = outcomes.sort_values("date", kind="stable")
final = outcomes.drop_duplicates(["offender_id", "charge_id"], keep="last")
final = final[["offender_id", "charge_id", "type", "date"]].rename(
    columns={"type": "final", "date": "outcome_date"})

merged = charges.merge(final, on=["offender_id", "charge_id"], how="left")
convicted = int((merged["final"] == "conviction").sum())
not_convicted = int((merged["final"] == "charge_disposed").sum())
total = len(merged)
conversion = {
    "charges": total, "convicted": convicted, "not_convicted": not_convicted,
    "pending": total - convicted - not_convicted,
    "rate": convicted / total if total else None,
    "resolved_rate": convicted / (convicted + not_convicted) if convicted + not_convicted else None,
}

sentences = df[df["type"] == "sentence"][["offender_id", "date", "charge_ids"]]
occasions = sentences[["offender_id", "date"]].drop_duplicates()
occasions["occasion"] = occasions.groupby("offender_id")["date"].rank(method="dense").astype(int)
listed = sentences.explode("charge_ids").rename(columns={"charge_ids": "charge_id"})
listed = listed.merge(occasions, on=["offender_id", "date"]).drop_duplicates(
    ["offender_id", "occasion", "charge_id"])
convictions = final[final["final"] == "conviction"]
rows = (listed.merge(convictions, on=["offender_id", "charge_id"])
        .merge(charges, on=["offender_id", "charge_id"])
        .merge(arrests[["offender_id", "arrest_id", "date"]].rename(columns={"date": "arrest_day"}),
               on=["offender_id", "arrest_id"]))
day = lambda column: pd.to_datetime(rows[column])
rows["a2c"] = (day("outcome_date") - day("arrest_day")).dt.days
rows["o2a"] = (day("arrest_day") - day("offence_date")).dt.days
table = []
for occasion, group in rows.groupby("occasion"):
    a2c = group.loc[group["a2c"] >= 0, "a2c"]
    o2a = group.loc[group["o2a"] >= 0, "o2a"]
    if len(a2c) + len(o2a) == 0:
        continue
    measure = lambda s: {"mean": float(s.mean()) if len(s) else None,
                         "median": float(s.median()) if len(s) else None}
    table.append({"occasion": int(occasion), "n": int(len(a2c)),
                  "arrest_to_conviction": measure(a2c), "offence_to_arrest": measure(o2a)})
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "conversion": conversion,
                  "days_by_sentencing_occasion": table}))
"""


def same_numbers(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Differences between the two sides' numbers (empty when they agree)."""
    problems = []
    for key, value in theirs["conversion"].items():
        mine = ours["conversion"][key]
        if (value is None) != (mine is None) or (value is not None and abs(value - mine) > 1e-9):
            problems.append(f"conversion.{key}: ours {mine}, pandas {value}")
    rows = {r["occasion"]: r for r in ours["days_by_sentencing_occasion"]}
    for row in theirs["days_by_sentencing_occasion"]:
        mine = rows.get(row["occasion"])
        if mine is None:
            problems.append(f"occasion {row['occasion']} missing from ours")
            continue
        for measure in ("arrest_to_conviction", "offence_to_arrest"):
            for stat in ("mean", "median"):
                a, b = mine[measure][stat], row[measure][stat]
                if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-6):
                    problems.append(f"occasion {row['occasion']} {measure}.{stat}: {a} vs {b}")
        if mine["n"] != row["n"]:
            problems.append(f"occasion {row['occasion']} n: {mine['n']} vs {row['n']}")
    if len(rows) != len(theirs["days_by_sentencing_occasion"]):
        problems.append("different number of occasion rows")
    return problems


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
        pandas = run_step(PANDAS, str(source))
        ours = json.loads(one["stdout"])
        problems = same_numbers(ours, pandas["result"])
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
                "pandas": {"seconds": pandas["seconds"], "peak_mib": pandas["peak_mib"]},
                "mismatches": problems,
            }
        )
    results = {"machine": machine(), "runs": measured}
    save("metrics" + ("_quick" if args.quick else ""), results)
    print(f"machine: {json.dumps(machine())}\n")
    print("| events | side | seconds | peak MiB | pandas / this (time) | pandas / this (memory) |")
    print("|---:|---|---:|---:|---:|---:|")
    for run in measured:
        base = run["pandas"]
        for side in (
            "pandas",
            "metrics_1_process",
            "metrics_all_cores",
            "metrics_default_views_1_process",
        ):
            row = run[side]
            time_ratio = base["seconds"] / row["seconds"]
            memory_ratio = base["peak_mib"] / row["peak_mib"]
            print(
                f"| {run['events']:,} | {side} | {row['seconds']:.2f} | {row['peak_mib']:.0f} | "
                f"{time_ratio:.1f}x | {memory_ratio:.1f}x |"
            )
    for run in measured:
        if run["mismatches"]:
            print(f"\nMISMATCH at {run['events']:,} events:\n  " + "\n  ".join(run["mismatches"]))
            sys.exit(1)
    print("\nBoth sides agree on every number.")


if __name__ == "__main__":
    main()
