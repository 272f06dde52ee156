"""The first answer from a new file, and the same question again, beside polars, DuckDB and pandas.

    python bench/bench_metrics.py                      # synth --offenders 19200 --seed 7: 1M
    python bench/bench_metrics.py --quick              # a smoke test in seconds
    python bench/bench_metrics.py --jsonl FILE         # your own file
    python bench/bench_metrics.py --no-pandas          # leave pandas out
    python bench/bench_metrics.py --by-date            # the same events in date order
    python bench/bench_metrics.py --peers-before REF   # also the peers of an earlier commit

Every side is measured in the same run, back to back, from the same JSON Lines file, as
a whole process (interpreter start-up included): wall seconds, CPU seconds (user +
system, the process and its children) and peak memory. The library's side is what an
analyst with a new extract runs: ``ingest`` into a new store (the events and the fact
tables; as many processes as it chooses for the machine, ``--jobs 1`` and ``--jobs 2``
also measured), then ``metrics --json --views conversion,days_by_sentencing_occasion``, the first
answer; then the same ``metrics`` again, and with the default views (the question
repeated, medians of ``--repeat`` runs). The peers of ``peers.py`` compute those two
views from the file, each time. Every side's numbers must equal the library's to the last
digit; a difference is printed and the exit code is 1. Each ratio is a peer's time over
the side's, printed as how many times faster or slower the side is. The load average
(other work on the machine) is recorded before and after.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from measure import (
    OUT,
    ROOT,
    count_lines,
    events_file,
    in_date_order,
    machine,
    run_command,
    run_step,
    save,
)
from peers import PEERS, VIEWS, same_numbers

KEEP = ("seconds", "cpu_seconds", "peak_mib", "summed_mib")

#: The day of the full re-fold: far enough back that the fact tables cannot answer.
REFOLD_AS_OF = "2016-06-30"


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time (its CPU time and memory with it), and the stdout of the first."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    middle = ordered[len(ordered) // 2]
    return {**{k: middle[k] for k in KEEP}, "stdout": runs[0]["stdout"]}


def _repeat(command: list[str], times: int) -> dict[str, Any]:
    return _median([run_command(command) for _ in range(times)])


def _peers_before(ref: str) -> dict[str, Any]:
    """The ``peers`` module of commit ``ref`` (its peers and its own agreement check)."""
    text = subprocess.run(
        ["git", "show", f"{ref}:bench/peers.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "peers_before.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("peers_before", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"peers": module.PEERS, "same_numbers": module.same_numbers}


def measure(
    source: Path, cli: list[str], times: int, pandas: bool, before: dict[str, Any] | None
) -> dict[str, Any]:
    """Every side over one file, back to back."""
    events = count_lines(source)
    store = fresh(str(OUT / f"metrics_{source.stem}.db"))
    load_before = os.getloadavg()
    ask = [*cli, "metrics", "--json", "--store", store]
    # What an analyst runs: the command as it comes (its processes chosen for the machine).
    ingest = run_command([*cli, "ingest", str(source), "--store", store])
    first = run_command([*ask, "--views", ",".join(VIEWS)])
    # The same in one process and in two; then the import and the refresh apart, each
    # refresh on a copy of the same store of events; and a full re-fold (every stream,
    # one process).
    one = fresh(store + ".1")
    ingest_one = run_command([*cli, "ingest", str(source), "--store", one, "--jobs", "1"])
    two = fresh(store + ".2")
    ingest_two = run_command([*cli, "ingest", str(source), "--store", two, "--jobs", "2"])
    bare = fresh(store + ".bare")
    no_refresh = run_command(
        [*cli, "ingest", str(source), "--store", bare, "--no-refresh", "--jobs", "1"]
    )
    refreshes = {}
    for jobs in (1, 2):
        copy = fresh(f"{bare}.{jobs}")
        shutil.copyfile(bare, copy)
        refreshes[jobs] = run_command([*cli, "refresh", "--store", copy, "--jobs", str(jobs)])
        fresh(copy)
    fresh(bare)
    fresh(one)
    fresh(two)
    refold = run_command([*ask, "--as-of", REFOLD_AS_OF, "--jobs", "1"])
    sides: dict[str, dict[str, Any]] = {
        "ingest (events and fact tables; processes chosen for the machine)": ingest,
        "metrics, first after ingest": first,
        "first answer: ingest + metrics": {k: ingest[k] + first[k] for k in KEEP[:2]}
        | {k: _most(ingest[k], first[k]) for k in KEEP[2:]},
        "metrics again, the two views": _repeat([*ask, "--views", ",".join(VIEWS)], times),
        "metrics again, default views": _repeat(ask, times),
        "ingest --jobs 1 (events and fact tables)": ingest_one,
        "ingest --jobs 2 (events and fact tables)": ingest_two,
        "ingest --no-refresh --jobs 1 (events only)": no_refresh,
        "refresh --jobs 1 (every offender)": refreshes[1],
        "refresh --jobs 2 (every offender)": refreshes[2],
        f"full re-fold: metrics --as-of {REFOLD_AS_OF} --jobs 1": refold,
    }
    peers = {
        name: _median([run_step(code, str(source)) for _ in range(times)])
        for name, code in PEERS.items()
        if pandas or name != "pandas"
    }
    earlier = {}
    if before is not None:
        earlier = {
            f"{name} (before)": _median([run_step(code, str(source)) for _ in range(times)])
            for name, code in before["peers"].items()
            if pandas or name != "pandas"
        }
    load_after = os.getloadavg()

    ours = json.loads(sides["metrics again, the two views"]["stdout"])
    problems = []
    if json.loads(first["stdout"]) != ours:
        problems.append("the first metrics and a repeat gave different numbers")
    for name, row in peers.items():
        problems += same_numbers(ours, _last_json(row["stdout"]), name)
    for name, row in earlier.items():
        assert before is not None
        problems += before["same_numbers"](ours, _last_json(row["stdout"]), name)
    return {
        "events": events,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "sides": {name: {k: row[k] for k in KEEP} for name, row in {**sides, **peers}.items()},
        "peers_before": {name: {k: row[k] for k in KEEP} for name, row in earlier.items()},
        "mismatches": problems,
    }


def fresh(path: str) -> str:
    """``path``, with any SQLite store there (and its write-ahead log) removed."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return path


def _most(*peaks: float | None) -> float | None:
    """The largest of peaks of memory, ``None`` if any was not measured."""
    return None if None in peaks else max(peaks)  # type: ignore[type-var]


def _mib(peak: float | None) -> str:
    return "n/a" if peak is None else f"{peak:.0f}"


def _last_json(stdout: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def _against(peer: float, this: float) -> str:
    """A peer's time over this side's, said as this side being faster or slower."""
    ratio = peer / this
    return f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"


def report(run: dict[str, Any]) -> None:
    """The run's table, every ratio against polars and DuckDB in wall and CPU time."""
    polars, duckdb = run["sides"]["polars"], run["sides"]["duckdb"]
    print(
        f"\n{run['events']:,} events; load average (1, 5, 15 min) before "
        f"{', '.join(f'{x:.1f}' for x in run['load_average_before'])}, after "
        f"{', '.join(f'{x:.1f}' for x in run['load_average_after'])}\n"
    )
    print(
        "| side | wall s | CPU s | peak MiB: largest process | peak MiB: all processes "
        "| against polars: wall, CPU | against DuckDB: wall, CPU |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for side, row in {**run["sides"], **run["peers_before"]}.items():
        print(
            f"| {side} | {row['seconds']:.2f} | {row['cpu_seconds']:.2f} | "
            f"{row['peak_mib']:.0f} | {_mib(row['summed_mib'])} | "
            f"{_against(polars['seconds'], row['seconds'])}, "
            f"{_against(polars['cpu_seconds'], row['cpu_seconds'])} | "
            f"{_against(duckdb['seconds'], row['seconds'])}, "
            f"{_against(duckdb['cpu_seconds'], row['cpu_seconds'])} |"
        )


def targets(run: dict[str, Any]) -> None:
    """The issue's targets, each measured in this run, and whether it is met."""
    sides, events = run["sides"], run["events"]
    ingest, first = (
        sides["ingest --jobs 1 (events and fact tables)"],
        sides["first answer: ingest + metrics"],
    )
    duckdb = sides["duckdb"]
    refold = next(row for side, row in sides.items() if side.startswith("full re-fold"))
    again = sides["metrics again, default views"]
    ours = {side: row for side, row in sides.items() if side not in PEERS}
    biggest = max(ours, key=lambda side: ours[side]["peak_mib"])
    summed = [row["summed_mib"] for row in ours.values()]
    most = None if None in summed else max(ours, key=lambda side: ours[side]["summed_mib"])
    rows = [
        (
            "`ingest` with the fact tables: >= 100,000 events per CPU second (`--jobs 1`)",
            f"{events / ingest['cpu_seconds']:,.0f} events per CPU second "
            f"({ingest['cpu_seconds']:.1f} CPU s, {ingest['seconds']:.1f} s)",
            events / ingest["cpu_seconds"] >= 100_000,
        ),
        (
            "first answer (`ingest` + `metrics`) within 5x of DuckDB from the file",
            f"{first['seconds'] / duckdb['seconds']:.1f}x DuckDB's wall time, "
            f"{first['cpu_seconds'] / duckdb['cpu_seconds']:.1f}x its CPU time",
            first["seconds"] <= 5 * duckdb["seconds"],
        ),
        (
            "full re-fold, one process: >= 250,000 events per CPU second",
            f"{events / refold['cpu_seconds']:,.0f} events per CPU second "
            f"({refold['cpu_seconds']:.1f} CPU s)",
            events / refold["cpu_seconds"] >= 250_000,
        ),
        (
            "repeated `metrics` <= 0.3 s",
            f"{again['seconds']:.2f} s ({again['cpu_seconds']:.2f} CPU s), default views",
            again["seconds"] <= 0.3,
        ),
        (
            "memory <= 150 MB (MiB here) for every command, each process",
            f"largest: {ours[biggest]['peak_mib']:.0f} MiB ({biggest})",
            all(row["peak_mib"] <= 150 for row in ours.values()),
        ),
        (
            "memory <= 150 MB (MiB here) for every command, all its processes together",
            "not measured (no /proc)"
            if most is None
            else f"largest: {ours[most]['summed_mib']:.0f} MiB ({most})",
            most is not None and all(row["summed_mib"] <= 150 for row in ours.values()),
        ),
    ]
    for name, one, two in (
        (
            "`ingest --jobs 2`",
            "ingest --jobs 1 (events and fact tables)",
            "ingest --jobs 2 (events and fact tables)",
        ),
        (
            "`refresh --jobs 2`",
            "refresh --jobs 1 (every offender)",
            "refresh --jobs 2 (every offender)",
        ),
    ):
        speedup = sides[one]["seconds"] / sides[two]["seconds"]
        rows.append(
            (
                f"{name} >= 1.7x on two cores (wall time)",
                f"{speedup:.2f}x ({sides[one]['seconds']:.1f} s to {sides[two]['seconds']:.1f} s; "
                f"CPU {sides[one]['cpu_seconds']:.1f} s to {sides[two]['cpu_seconds']:.1f} s)",
                speedup >= 1.7,
            )
        )
    print("\n| target | measured in this run | met? |\n|---|---|---|")
    for target, measured, met in rows:
        print(f"| {target} | {measured} | {'yes' if met else '**no**'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small files, for a smoke test")
    parser.add_argument(
        "--offenders", type=int, default=19_200, help="synthetic offenders (default: 1M events)"
    )
    parser.add_argument("--seed", type=int, default=7, help="the synthetic file's seed")
    parser.add_argument("--jsonl", type=Path, help="measure on this file instead of synthetic ones")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median; default 3)")
    parser.add_argument("--no-pandas", action="store_true", help="leave pandas out")
    parser.add_argument(
        "--by-date",
        action="store_true",
        help="the file's events in date order (every offender's interleaved, as many "
        "extracts are), instead of as written",
    )
    parser.add_argument(
        "--peers-before", metavar="REF", help="also measure the peers of this git commit"
    )
    args = parser.parse_args()
    cli = [os.path.join(os.path.dirname(sys.executable), "offender-journey")]
    if args.jsonl:
        inputs = [args.jsonl.resolve()]
    else:
        sizes = [100, 400] if args.quick else [args.offenders]
        inputs = [events_file(n, seed=args.seed) for n in sizes]
    if args.by_date:
        inputs = [in_date_order(path) for path in inputs]
    before = _peers_before(args.peers_before) if args.peers_before else None
    OUT.mkdir(exist_ok=True)
    measured = [measure(source, cli, args.repeat, not args.no_pandas, before) for source in inputs]
    name = "metrics" + ("_quick" if args.quick else "") + ("_by_date" if args.by_date else "")
    save(name, {"machine": machine(), "runs": measured})
    print(f"machine: {json.dumps(machine())}")
    for run in measured:
        report(run)
        targets(run)
    failed = False
    for run in measured:
        if run["mismatches"]:
            print(f"\nMISMATCH at {run['events']:,} events:\n  " + "\n  ".join(run["mismatches"]))
            failed = True
    if failed:
        sys.exit(1)
    print("\nEvery side's numbers equal the library's, to the last digit.")


if __name__ == "__main__":
    main()
