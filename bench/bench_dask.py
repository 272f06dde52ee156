"""The Dask engine on this machine: 1 and 2 workers over Parquet partitions, 1M and 5M events.

    python bench/bench_dask.py            # about 1,000,000 and 5,000,000 events
    python bench/bench_dask.py --quick    # a smoke test in seconds
    python bench/bench_dask.py --tasks refresh   # only refresh --engine dask

Two tasks are timed: ``metrics`` (``engines.dask.compute_parquet``, the four default
views) and ``refresh`` (``engines.dask.refresh_parquet``: every fact table derived and
written as Parquet partitions).

Input is generated once into ``bench/out/`` (synthetic JSON Lines, logged as a store
would log them into ``--partitions`` Parquet files in the export layout); none of
that is timed. Each run is a fresh process that starts a
``LocalCluster`` (single-threaded worker processes), then times
the task alone (cluster start-up is reported apart), and reads every worker's peak
RSS and CPU seconds and the load average around the run. The numbers (or the rows
written) of every run must be identical; a mismatch is reported loudly. Scaling
efficiency is the speed-up from 1 to 2 workers divided by 2 (the goal: a speed-up
of 1.8 or more). CPU seconds per event, summed over workers, is what the capacity
plan in docs/scale.md builds on: unlike wall time it hardly moves when other work
shares the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from measure import OUT, events_file, machine, run_step, save

RUN = """
import json, os, shutil, sys, time
from distributed import Client, LocalCluster
from offender_journey.engines import dask as engine

def usage():
    import resource
    used = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_mib": used.ru_maxrss / 1024, "cpu_seconds": used.ru_utime + used.ru_stime}

if __name__ == "__main__":
    directory, workers, task = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    out = directory + ".facts"
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                     dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        ready = time.perf_counter()
        before = client.run(usage)
        if task == "metrics":
            report = engine.compute_parquet(directory, scheduler=client).to_json()
        else:
            report = engine.refresh_parquet(directory, out, scheduler=client).rows
            shutil.rmtree(out)
        seconds = time.perf_counter() - ready
        after = client.run(usage)
    cpu = sum(after[w]["cpu_seconds"] - before[w]["cpu_seconds"] for w in after)
    print(json.dumps({
        "startup_seconds": ready - started,
        "seconds": seconds,
        "worker_peak_mib": [after[w]["peak_mib"] for w in sorted(after)],
        "worker_cpu_seconds": cpu,
        "load": [load, os.getloadavg()[0]],
        "report": report,
    }))
"""


def parquet_log(source: Path, directory: Path, partitions: int) -> int:
    """A synthetic JSON Lines file as a store would log it, in the partitioned layout.

    Synthetic files come offender by offender in stream order, every event with its
    ``recorded_at``: each line is kept as the payload, exactly as an import stores it.
    Returns the number of events.
    """
    from offender_journey.codec import Codec, loads
    from offender_journey.io.parquet import write_events
    from offender_journey.store.base import to_micros

    codec = Codec()

    def rows() -> Any:
        versions: dict[str, int] = {}
        with open(source, encoding="utf-8") as lines:
            for line in lines:
                raw = loads(line)
                event = codec.decode(raw)
                offender = event.offender_id
                versions[offender] = version = versions.get(offender, 0) + 1
                assert event.recorded_at is not None
                yield (
                    offender,
                    version,
                    event.event_id,
                    event.TYPE,
                    event.date.isoformat(),
                    to_micros(event.recorded_at),
                    True,
                    line.rstrip("\n"),
                )

    partial = directory.with_suffix(".partial")
    events = write_events(rows(), partial / "events", partitions)
    partial.rename(directory)
    (directory / "events.count").write_text(str(events))
    return events


def prepare(offenders: int, partitions: int) -> tuple[Path, int]:
    directory = OUT / f"dask_{offenders}_p{partitions}"
    if not directory.exists():
        parquet_log(events_file(offenders), directory, partitions)
    return directory, int((directory / "events.count").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small input, for a smoke test")
    parser.add_argument(
        "--offenders",
        type=int,
        nargs="+",
        default=[18_500, 92_500],
        help="synthetic offenders per size (default: about 1M and 5M events)",
    )
    parser.add_argument("--partitions", type=int, default=16, help="Parquet files (default 16)")
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=["metrics", "refresh"],
        default=["metrics", "refresh"],
        help="what to time (default both)",
    )
    args = parser.parse_args()
    sizes = [200] if args.quick else args.offenders
    runs: list[dict[str, Any]] = []
    problems = []
    for offenders in sizes:
        directory, events = prepare(offenders, args.partitions)
        for task in args.tasks:
            reports = []
            for workers in (1, 2):
                measured = run_step(RUN, str(directory), str(workers), task)["result"]
                reports.append(measured.pop("report"))
                runs.append({"task": task, "events": events, "workers": workers, **measured})
                print(json.dumps(runs[-1]), file=sys.stderr)
            if reports[0] != reports[1]:
                problems.append(f"{task}, {events:,} events: 1 and 2 workers differ")
    name = "dask_quick" if args.quick else "dask_" + "_".join(map(str, sizes))
    save(name, {"machine": machine(), "runs": runs})
    print(f"machine: {json.dumps(machine())}; {args.partitions} partitions\n")
    print(
        "| task | events | workers | load | start-up s | compute s | speed-up | efficiency "
        "| peak MiB per worker | CPU µs per event |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---|---:|")
    for run in runs:
        one = next(
            r
            for r in runs
            if (r["task"], r["events"], r["workers"]) == (run["task"], run["events"], 1)
        )
        speedup = one["seconds"] / run["seconds"]
        peaks = ", ".join(f"{p:.0f}" for p in run["worker_peak_mib"])
        load = " to ".join(f"{x:.1f}" for x in run["load"])
        print(
            f"| {run['task']} | {run['events']:,} | {run['workers']} | {load} "
            f"| {run['startup_seconds']:.1f} | {run['seconds']:.1f} | {speedup:.2f}x "
            f"| {speedup / run['workers']:.0%} | {peaks} "
            f"| {1e6 * run['worker_cpu_seconds'] / run['events']:.0f} |"
        )
    if problems:
        print("\nMISMATCH:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("\nEvery run gave the same numbers.")


if __name__ == "__main__":
    main()
