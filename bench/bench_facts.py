"""What keeping the facts as tables gives: repeat `metrics`, ingest with refresh, a 1 % delta.

    python bench/bench_facts.py            # about 1,000,000 events
    python bench/bench_facts.py --offenders 4625   # about 250,000
    python bench/bench_facts.py --quick    # a smoke test

Every step is a whole command in a fresh process (interpreter start-up included), on
the same synthetic file, in the same run:

- ``ingest --no-refresh`` then ``refresh``;
- ``metrics`` (default views) on the up-to-date store, answered from the tables, three
  times, against the fold of every stream that answered before (``--jobs 1``), whose
  numbers must be the same;
- 1 % more events (the next offenders of the same generator) imported with refresh into
  the up-to-date store, then ``metrics``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from measure import OUT, count_lines, events_file, machine, run_command, run_step, save

FOLD = """
import json, sys
from offender_journey.metrics import _fold_store, resolve_views
from offender_journey.projections import Window
report = _fold_store(sys.argv[1], window=Window(), as_of=None, views=resolve_views(None), jobs=1)
print(json.dumps(report.to_json()))
"""


def cli(*args: str) -> dict[str, Any]:
    return run_command([sys.executable, "-m", "offender_journey", *args])


def fresh(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--offenders", type=int, default=18_500, help="size of the cohort")
    args = parser.parse_args()
    offenders = 300 if args.quick else args.offenders
    source = events_file(offenders)
    events = count_lines(source)
    out: dict[str, Any] = {"machine": machine(), "events": events}

    store = fresh(OUT / f"facts_{offenders}.db")
    out["ingest_no_refresh"] = cli("ingest", str(source), "--store", store, "--no-refresh")
    out["refresh"] = cli("refresh", "--store", store)
    repeats = [cli("metrics", "--store", store, "--json", "--jobs", "1") for _ in range(3)]
    out["metrics_from_tables"] = repeats
    out["metrics_fold"] = run_step(FOLD, store)
    tables = json.loads(repeats[0]["stdout"])
    folded = out["metrics_fold"]["result"]
    out["same_numbers"] = tables == folded

    # 1 % more events: the next offenders of the same generator, into the up-to-date store.
    extra = max(1, offenders // 100)
    bigger = events_file(offenders + extra)
    known = {json.loads(line)["offender_id"] for line in source.read_bytes().splitlines()}
    lines = [
        line
        for line in bigger.read_bytes().splitlines(keepends=True)
        if json.loads(line)["offender_id"] not in known
    ]
    tail = OUT / "facts_delta.jsonl"
    tail.write_bytes(b"".join(lines))
    os.chmod(tail, 0o600)
    out["delta_events"] = len(lines)
    out["delta_ingest"] = cli("ingest", str(tail), "--store", store)
    out["delta_metrics"] = cli("metrics", "--store", store, "--json", "--jobs", "1")

    def s(step: dict[str, Any]) -> str:
        return f"{step['seconds']:.2f} s, {step['peak_mib']:.0f} MiB"

    median = statistics.median(r["seconds"] for r in repeats)
    first = out["ingest_no_refresh"]["seconds"] + out["refresh"]["seconds"]
    delta_total = out["delta_ingest"]["seconds"] + out["delta_metrics"]["seconds"]
    print(f"{events:,} events")
    print(f"ingest --no-refresh        {s(out['ingest_no_refresh'])}")
    print(f"refresh (1 process)        {s(out['refresh'])}")
    print(f"  ingest + refresh         {first:.2f} s = {events / first:,.0f} events/s")
    print(f"metrics from the tables    median {median:.2f} s ({s(repeats[0])})")
    print(f"metrics, fold (before)     {s(out['metrics_fold'])}")
    print(f"  fold / tables            {out['metrics_fold']['seconds'] / median:.1f}x")
    print(f"  same numbers             {out['same_numbers']}")
    print(
        f"{out['delta_events']:,} more events: ingest {s(out['delta_ingest'])}, "
        f"then metrics {s(out['delta_metrics'])}: {delta_total:.2f} s = "
        f"{100 * delta_total / first:.1f} % of the first import"
    )
    for name in ("ingest_no_refresh", "refresh", "metrics_fold", "delta_ingest"):
        out[name].pop("stdout", None)
    print(f"saved to {save(f'facts_{offenders}', out)}")
    if not out["same_numbers"]:
        sys.exit("the tables and the fold disagree")


if __name__ == "__main__":
    main()
