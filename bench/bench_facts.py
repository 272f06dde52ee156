"""What keeping the facts as tables gives: repeat `metrics`, ingest with refresh, a 1 % delta.

    python bench/bench_facts.py            # about 1,000,000 events
    python bench/bench_facts.py --offenders 4625   # about 250,000
    python bench/bench_facts.py --quick    # a smoke test
    python bench/bench_facts.py --store s.db --before OLD/src   # refresh and re-fold, A/B

Every step is a whole command in a fresh process (interpreter start-up included), on
the same synthetic file, in the same run:

- ``ingest --no-refresh`` then ``refresh``;
- ``metrics`` (default views) on the up-to-date store, answered from the tables, three
  times, against the fold of every stream that answered before (``--jobs 1``), whose
  numbers must be the same;
- a full re-fold: ``metrics --as-of`` a past day, ``--jobs 1`` (every stream folded);
- 1 % more events (the next offenders of the same generator) imported with refresh into
  the up-to-date store, then ``metrics``.

``--store S.db`` instead measures ``refresh`` (of every offender, from the events alone)
and the re-fold on copies of an existing store (never modified), and with ``--before
SRC`` also another version's ``src``, alternating, so a loaded machine weighs on both
alike. Events/s are given against wall time and against CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path
from typing import Any

from measure import OUT, count_lines, events_file, machine, run_command, run_step, save

FOLD = """
import json, sys
from offender_journey.metrics import _fold_store, resolve_views
from offender_journey.history import Window
report = _fold_store(sys.argv[1], window=Window(), as_of=None, views=resolve_views(None), jobs=1)
print(json.dumps(report.to_json()))
"""


#: Events per CPU second the issue asks of each step, on one core (``ingest`` with its
#: tables for the refresh; 3x the first wave, at least 250,000, for the re-fold).
TARGETS = {"refresh": 100_000, "refold": 250_000}


def cli(*args: str) -> dict[str, Any]:
    return run_command([sys.executable, "-m", "offender_journey", *args])


def fresh(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return str(path)


def rates(step: dict[str, Any], events: int) -> str:
    """``seconds, events/s (wall), events per CPU second, peak``."""
    return (
        f"{step['seconds']:.2f} s = {events / step['seconds']:,.0f} ev/s wall, "
        f"{events / step['cpu_seconds']:,.0f} ev/s CPU, {step['peak_mib']:.0f} MiB"
    )


def events_only(source: str, target: Path) -> str:
    """A copy of a store without its fact tables (as an ``ingest --no-refresh`` leaves it)."""
    from offender_journey.facts.schema import TABLES

    OUT.mkdir(exist_ok=True)
    fresh(target)
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
    db = sqlite3.connect(target)
    for table in [*(t.name for t in TABLES), "facts_checkpoint"]:
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.commit()
    db.close()
    return str(target)


def fold_store(args: argparse.Namespace) -> None:
    """Refresh and re-fold on copies of ``--store``: this version, and ``--before`` if given."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    versions = [("after", here)] + ([("before", str(args.before))] if args.before else [])
    with sqlite3.connect(f"file:{args.store}?mode=ro", uri=True) as db:
        events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    out: dict[str, Any] = {"machine": machine(), "events": events, "as_of": args.as_of}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in versions}
    for _ in range(args.rounds):
        for name, src in versions if _ % 2 == 0 else versions[::-1]:
            env = {"PYTHONPATH": src}
            store = events_only(args.store, OUT / "fold_copy.db")
            refresh = run_command(
                [
                    sys.executable,
                    *("-m", "offender_journey", "refresh", "--store", store, "--jobs", "1"),
                ],
                env=env,
            )
            refold = run_command(
                [
                    sys.executable,
                    *("-m", "offender_journey", "metrics", "--store", store),
                    *("--as-of", args.as_of, "--jobs", "1", "--json"),
                ],
                env=env,
            )
            runs[name].append({"refresh": refresh, "refold": refold})
            print(f"{name:6} refresh {rates(refresh, events)}")
            print(f"{name:6} re-fold {rates(refold, events)}")
    fresh(OUT / "fold_copy.db")
    results = {
        name: [json.loads(r["refold"].pop("stdout")) for r in rs] for name, rs in runs.items()
    }
    for rs in runs.values():
        for r in rs:
            r["refresh"].pop("stdout", None)
    out["runs"] = runs
    out["same_numbers"] = all(r == results["after"][0] for rs in results.values() for r in rs)
    print(f"{events:,} events, re-fold as of {args.as_of}; same numbers: {out['same_numbers']}")
    if args.before:
        ratios: dict[str, float] = {}
        for step in ("refresh", "refold"):
            for clock in ("seconds", "cpu_seconds"):
                after = statistics.median(r[step][clock] for r in runs["after"])
                before = statistics.median(r[step][clock] for r in runs["before"])
                print(
                    f"  {step:8} {clock:12} before {before:7.2f}  after {after:7.2f}  "
                    f"{before / after:.2f}x"
                )
            cpu = {n: statistics.median(r[step]["cpu_seconds"] for r in runs[n]) for n in runs}
            peak = {n: max(r[step]["peak_mib"] for r in runs[n]) for n in runs}
            ratios[step] = cpu["before"] / cpu["after"]
            print(
                f"  {step:8} events per CPU second: before {events / cpu['before']:,.0f}, "
                f"after {events / cpu['after']:,.0f} ({ratios[step]:.2f}x; target "
                f"{TARGETS[step]:,} on one core); peak MiB before {peak['before']:.0f}, "
                f"after {peak['after']:.0f}"
            )
        out["cpu_ratios"] = ratios
    print(f"saved to {save('fold_store', out)}")
    if not out["same_numbers"]:
        sys.exit("the versions disagree")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--offenders", type=int, default=18_500, help="size of the cohort")
    parser.add_argument("--as-of", default="2016-06-30", help="the re-fold's past as_of")
    parser.add_argument("--store", help="measure refresh and re-fold on copies of this store")
    parser.add_argument("--before", type=Path, help="another version's src, run alongside")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --store comparison")
    args = parser.parse_args()
    if args.store:
        fold_store(args)
        return
    offenders = 300 if args.quick else args.offenders
    source = events_file(offenders)
    events = count_lines(source)
    out: dict[str, Any] = {"machine": machine(), "events": events}

    store = fresh(OUT / f"facts_{offenders}.db")
    # One process each: the figures are per core, as the targets are.
    out["ingest_no_refresh"] = cli(
        "ingest", str(source), "--store", store, "--no-refresh", "--jobs", "1"
    )
    out["refresh"] = cli("refresh", "--store", store, "--jobs", "1")
    repeats = [cli("metrics", "--store", store, "--json", "--jobs", "1") for _ in range(3)]
    out["metrics_from_tables"] = repeats
    out["metrics_fold"] = run_step(FOLD, store)
    out["metrics_refold"] = cli(
        "metrics", "--store", store, "--as-of", args.as_of, "--jobs", "1", "--json"
    )
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
    out["delta_ingest"] = cli("ingest", str(tail), "--store", store, "--jobs", "1")
    out["delta_metrics"] = cli("metrics", "--store", store, "--json", "--jobs", "1")

    def s(step: dict[str, Any]) -> str:
        return f"{step['seconds']:.2f} s, {step['peak_mib']:.0f} MiB"

    median = statistics.median(r["seconds"] for r in repeats)
    first = out["ingest_no_refresh"]["seconds"] + out["refresh"]["seconds"]
    delta_total = out["delta_ingest"]["seconds"] + out["delta_metrics"]["seconds"]
    print(f"{events:,} events")
    print(f"ingest --no-refresh        {s(out['ingest_no_refresh'])}")
    print(f"refresh (1 process)        {rates(out['refresh'], events)}")
    print(f"re-fold, as of {args.as_of} {rates(out['metrics_refold'], events)}")
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
    for name in ("ingest_no_refresh", "refresh", "metrics_fold", "metrics_refold", "delta_ingest"):
        out[name].pop("stdout", None)
    print(f"saved to {save(f'facts_{offenders}', out)}")
    if not out["same_numbers"]:
        sys.exit("the tables and the fold disagree")


if __name__ == "__main__":
    main()
