"""Import throughput into SQLite, beside two baselines measured on the same file in the same run.

    python bench/bench_import.py            # >= 1,000,000 events (takes a few minutes)
    python bench/bench_import.py --big      # >= 3,000,000 events
    python bench/bench_import.py --quick    # a smoke test in seconds
    python bench/bench_import.py --commands --file x.jsonl   # only the two ingest commands
    python bench/bench_import.py --file x.jsonl --before /path/to/old/src  # before/after

Baselines: (1) parsing the lines only, with the standard library's json and with orjson;
(2) a plain sqlite3 ``executemany`` of the raw lines into a one-column table (WAL, one
transaction). Then ``import_jsonl`` into a fresh ``SQLiteStore``, with orjson and with the
standard-library fallback, and the peak memory of imports of two file sizes. Last, the
commands themselves, each a fresh process (start-up included): ``offender-journey ingest
--no-refresh`` (events stored) and ``offender-journey ingest`` (events stored, then the
fact tables built), with events per second of wall time and of CPU time, and peak memory.

``--file`` measures a given JSON Lines file instead of the synthetic one (data you did not
shape, e.g. ``offender-journey synth x.jsonl --preset prolific``); ``--before SRC`` runs
``ingest --no-refresh`` (and, with ``--full``, the whole ``ingest``) of it with another
version of the library (its ``src`` directory) and with this one, in the same run,
alternating the two ``--rounds`` times, and reports the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from measure import OUT, count_lines, events_file, machine, run_command, run_step, save

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
    parser.add_argument("--big", action="store_true", help="about 3,000,000 synthetic events")
    parser.add_argument(
        "--commands", action="store_true", help="only the two ingest commands, no baselines"
    )
    parser.add_argument(
        "--full", action="store_true", help="--before: compare the whole ingest too"
    )
    args = parser.parse_args()
    if args.big:
        args.offenders = 3 * args.offenders
    if args.before:
        compare(args.file or events_file(400 if args.quick else args.offenders), args)
        return
    if args.commands:
        path = args.file or events_file(400 if args.quick else args.offenders)
        rows = commands(path)
        save("import_commands" + ("_quick" if args.quick else ""), {"machine": machine(), **rows})
        print_commands(rows)
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
    results["commands"] = commands(big)
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
    print_commands(results["commands"])


def ingest(path: Path, store: Path, *options: str, src: str | None = None) -> dict[str, Any]:
    """One ``offender-journey ingest`` of ``path`` into a fresh store, in a fresh process."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    command = [sys.executable, "-m", "offender_journey", "ingest", str(path)]
    one = () if "--jobs" in options else ("--jobs", "1")  # one process: figures per core
    step = run_command(
        [*command, "--store", str(store), "--json", *one, *options],
        env={"PYTHONPATH": src} if src else None,
    )
    report = json.loads(step["stdout"])
    return {
        "stored": report["stored"],
        "seconds": step["seconds"],
        "cpu_seconds": step["cpu_seconds"],
        "peak_mib": step["peak_mib"],
    }


def commands(path: Path) -> dict[str, Any]:
    """The two ingest commands on ``path``: events/s (wall and CPU) and peak memory."""
    OUT.mkdir(exist_ok=True)
    events = count_lines(path)
    runs = {
        "ingest --no-refresh": ingest(path, OUT / "ingest.db", "--no-refresh"),
        "ingest (with the fact tables)": ingest(path, OUT / "ingest.db"),
    }
    for run in runs.values():
        assert run["stored"] == events, run
        run["events_per_s"] = events / run["seconds"]
        run["events_per_cpu_s"] = events / run["cpu_seconds"]
    return {"file": str(path), "events": events, "runs": runs}


def print_commands(results: dict[str, Any]) -> None:
    print(f"\n{results['events']:,} events from {results['file']}, whole commands:\n")
    print("| command | seconds | events/s | events per CPU second | peak MiB |")
    print("|---|---:|---:|---:|---:|")
    for name, run in results["runs"].items():
        print(
            f"| `{name}` | {run['seconds']:.1f} | {run['events_per_s']:,.0f} |"
            f" {run['events_per_cpu_s']:,.0f} | {run['peak_mib']:.0f} |"
        )


def compare(path: Path, args: argparse.Namespace) -> None:
    """This version against ``--before``, alternating, on one file: events/s, wall and CPU."""
    events = count_lines(path)
    OUT.mkdir(exist_ok=True)
    store = OUT / "import_compare.db"
    here = str(Path(__file__).resolve().parents[1] / "src")
    steps = [("ingest --no-refresh", ("--no-refresh",))]
    if args.full:
        steps.append(("ingest (with the fact tables)", ()))
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        step: {"before": [], "after": []} for step, _ in steps
    }
    for _ in range(args.rounds):
        for step, options in steps:
            for name, src in (("before", str(args.before)), ("after", here)):
                runs[step][name].append(ingest(path, store, *options, src=src))
    summary = {
        step: {
            name: {
                "events_per_s": events / statistics.median(r["seconds"] for r in results),
                "events_per_cpu_s": events / statistics.median(r["cpu_seconds"] for r in results),
                "peak_mib": max(r["peak_mib"] for r in results),
            }
            for name, results in by_version.items()
        }
        for step, by_version in runs.items()
    }
    ratios = {
        step: {
            "wall": rows["after"]["events_per_s"] / rows["before"]["events_per_s"],
            "cpu": rows["after"]["events_per_cpu_s"] / rows["before"]["events_per_cpu_s"],
        }
        for step, rows in summary.items()
    }
    save(
        "import_compare",
        {
            "machine": machine(),
            "file": str(path),
            "events": events,
            "runs": runs,
            "summary": summary,
            "after_vs_before": ratios,
        },
    )
    print(f"{events:,} events from {path}; medians of {args.rounds}; whole commands\n")
    print("| command | version | events/s (wall) | events per CPU second | peak MiB |")
    print("|---|---|---:|---:|---:|")
    for step, rows in summary.items():
        for name, row in rows.items():
            print(
                f"| `{step}` | {name} | {row['events_per_s']:,.0f} |"
                f" {row['events_per_cpu_s']:,.0f} | {row['peak_mib']:.0f} |"
            )
    print("\nafter/before: " + json.dumps(ratios))


if __name__ == "__main__":
    sys.exit(main())
