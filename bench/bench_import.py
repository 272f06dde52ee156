"""Import throughput into SQLite, beside two baselines measured on the same file in the same run.

    python bench/bench_import.py            # >= 1,000,000 events (takes a few minutes)
    python bench/bench_import.py --quick    # a smoke test in seconds
    python bench/bench_import.py --file x.jsonl --before /path/to/old/src  # before/after

Baselines: (1) parsing the lines only, with the standard library's json and with orjson;
(2) a plain sqlite3 ``executemany`` of the raw lines into a one-column table (WAL, one
transaction). Then ``import_jsonl`` into a fresh ``SQLiteStore``, with orjson and with the
standard-library fallback, and the peak memory of imports of two file sizes.

``--file`` measures a given JSON Lines file instead of the synthetic one (data you did not
shape, e.g. ``offender-journey synth x.jsonl --preset prolific``); ``--before SRC`` also
imports it with another version of the library (its ``src`` directory), in the same run,
alternating the two ``--rounds`` times, and reports the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from measure import OUT, count_lines, events_file, machine, run_step, save

PARSE = """
import json, sys, time
loads = json.loads
if sys.argv[2] == "orjson":
    import orjson
    loads = orjson.loads
start = time.perf_counter()
with open(sys.argv[1], "rb") as handle:
    n = sum(1 for line in handle if loads(line) is not None)
print(json.dumps({"n": n, "seconds": time.perf_counter() - start}))
"""

RAW_SQLITE = """
import json, os, sqlite3, sys, time
start = time.perf_counter()
path = sys.argv[2]
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE raw (line TEXT NOT NULL)")
db.execute("BEGIN")
with open(sys.argv[1], "rb") as handle:
    db.executemany("INSERT INTO raw VALUES (?)", ((line.decode(),) for line in handle))
db.execute("COMMIT")
n = db.execute("SELECT COUNT(*) FROM raw").fetchone()[0]
print(json.dumps({"n": n, "seconds": time.perf_counter() - start}))
"""

IMPORT = """
import json, os, sys, time
if sys.argv[3] == "stdlib":
    sys.modules["orjson"] = None  # the library falls back to the standard json module
from offender_journey.io import import_jsonl
from offender_journey.store import SQLiteStore
path = sys.argv[2]
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
start, cpu = time.perf_counter(), time.process_time()
with SQLiteStore(path) as store:
    report = import_jsonl(sys.argv[1], store)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({**report.to_json(), "seconds": seconds, "cpu_seconds": cpu}))
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
    parser.add_argument("--file", type=Path, help="measure this JSON Lines file instead")
    parser.add_argument("--before", type=Path, help="another version's src, imported alongside")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --before comparison")
    args = parser.parse_args()
    if args.before:
        compare(args.file or events_file(400 if args.quick else args.offenders), args)
        return
    big_n = 400 if args.quick else args.offenders
    small_n = big_n // 4
    big, small = events_file(big_n), events_file(small_n)
    if args.file:
        big = small = args.file
    events = count_lines(big)
    store = str(OUT / "import.db")
    rows = []

    def seconds(step: dict[str, Any]) -> float:
        """The child's own timing of the work (interpreter start-up excluded)."""
        return float(step["result"]["seconds"])

    def rate(step: dict[str, Any]) -> float:
        return events / seconds(step)

    parse_json = run_step(PARSE, str(big), "json")
    parse_orjson = run_step(PARSE, str(big), "orjson")
    raw = run_step(RAW_SQLITE, str(big), str(OUT / "raw.db"))
    fast = run_step(IMPORT, str(big), store, "orjson")
    slow = run_step(IMPORT, str(big), store, "stdlib")
    small_import = run_step(IMPORT, str(small), store, "orjson")
    assert fast["result"]["stored"] == events, fast["result"]  # type: ignore[index]
    assert slow["result"]["stored"] == events, slow["result"]  # type: ignore[index]
    for name, step in [
        ("baseline: parse lines (json)", parse_json),
        ("baseline: parse lines (orjson)", parse_orjson),
        ("baseline: sqlite3 executemany of raw lines", raw),
        ("import_jsonl -> SQLiteStore (orjson)", fast),
        ("import_jsonl -> SQLiteStore (stdlib json)", slow),
    ]:
        rows.append(
            {
                "step": name,
                "seconds": seconds(step),
                "events_per_s": rate(step),
                "peak_mib": step["peak_mib"],
            }
        )
    memory = [
        {"events": count_lines(small), "peak_mib": small_import["peak_mib"]},
        {"events": events, "peak_mib": fast["peak_mib"]},
    ]
    results = {
        "machine": machine(),
        "events": events,
        "steps": rows,
        "memory": memory,
        "ratios": {
            "import_vs_parse_orjson": rate(fast) / rate(parse_orjson),
            "import_vs_parse_json": rate(fast) / rate(parse_json),
            "import_vs_raw_sqlite": rate(fast) / rate(raw),
            "stdlib_import_vs_orjson_import": rate(slow) / rate(fast),
        },
    }
    save("import" + ("_quick" if args.quick else ""), results)
    print(f"{events:,} events; machine: {json.dumps(machine())}\n")
    print("| step | seconds | events/s | peak MiB |\n|---|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['step']} | {row['seconds']:.2f} | {row['events_per_s']:,.0f} | "
            f"{row['peak_mib']:.0f} |"
        )
    print("\n| file | events | peak MiB of the import |\n|---|---:|---:|")
    for size, row in zip(("small", "large"), memory, strict=True):
        print(f"| {size} | {row['events']:,} | {row['peak_mib']:.0f} |")
    print("\nratios: " + json.dumps({k: round(v, 3) for k, v in results["ratios"].items()}))


def compare(path: Path, args: argparse.Namespace) -> None:
    """This version against ``--before``, alternating, on one file: events/s, wall and CPU."""
    events = count_lines(path)
    OUT.mkdir(exist_ok=True)
    store = str(OUT / "import_compare.db")
    here = str(Path(__file__).resolve().parents[1] / "src")
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for name, src in (("before", str(args.before)), ("after", here)):
            step = run_step(IMPORT, str(path), store, "orjson", env={"PYTHONPATH": src})
            runs[name].append({**step["result"], "peak_mib": step["peak_mib"]})
    summary = {
        name: {
            "events_per_s": events / statistics.median(r["seconds"] for r in results),
            "events_per_cpu_s": events / statistics.median(r["cpu_seconds"] for r in results),
            "peak_mib": max(r["peak_mib"] for r in results),
        }
        for name, results in runs.items()
    }
    ratios = {
        "wall": summary["after"]["events_per_s"] / summary["before"]["events_per_s"],
        "cpu": summary["after"]["events_per_cpu_s"] / summary["before"]["events_per_cpu_s"],
    }
    save(
        "import_compare",
        {
            "machine": machine(),
            "events": events,
            "runs": runs,
            "summary": summary,
            "after_vs_before": ratios,
        },
    )
    print(f"{events:,} events from {path}; medians of {args.rounds}\n")
    print("| version | events/s (wall) | events per CPU second | peak MiB |\n|---|---:|---:|---:|")
    for name, row in summary.items():
        print(
            f"| {name} | {row['events_per_s']:,.0f} | {row['events_per_cpu_s']:,.0f} |"
            f" {row['peak_mib']:.0f} |"
        )
    print("\nafter/before: " + json.dumps({k: round(v, 3) for k, v in ratios.items()}))


if __name__ == "__main__":
    sys.exit(main())
