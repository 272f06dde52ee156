"""Every speed benchmark of the issue's targets, one after the other, in one command.

    python bench/run.py            # about 1,000,000 events each (tens of minutes)
    python bench/run.py --quick    # a smoke test in a minute or two
    python bench/run.py --store S.db --before OLD/src   # also refresh and re-fold, A/B

Runs, in order: the import (``bench_import.py --commands``: ``ingest --no-refresh`` and a
full ``ingest``); the first answer from a new file (``ingest`` + ``metrics``) and the same
question again, beside polars, DuckDB and pandas reading the file, with ``ingest --jobs 2``,
the refresh in one and two processes and a full re-fold (``bench_metrics.py``, which prints
every ratio against them and whether each target of the speed work is met), then the
same with the file's events in date order (``--by-date``: every offender's interleaved, as
many extracts are, which costs the import most); the whole
command's start-up and a repeated ``metrics`` in wall and CPU seconds (``bench_startup.py``;
its ``--before REF`` adds an earlier commit); the refresh and a full re-fold
(``bench_facts.py``); instructions per event of each step, counted with cachegrind
(``bench_instructions.py``); what storing the events and facts in SQLite and reading them
back cost alone, the floor under any fold (``bench_floor.py``); an erasure
(``bench_erase.py``); and one person's facts and timeline at doubling sizes
(``bench_one_person.py``). With ``--store``, refresh and re-fold of copies of that store,
beside ``--before``'s version (``bench_facts.py --store``). Each prints its own table of
seconds, events/s, peak memory and the ratios against the peers measured in the same run;
this script prints them in turn and stops at the first benchmark that fails, or whose
numbers disagree with a peer's.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

BENCHMARKS = (
    ("import", ["bench_import.py", "--commands"]),
    ("first answer and repeated metrics against polars, DuckDB and pandas", ["bench_metrics.py"]),
    (
        "the same with the events in date order, every offender's interleaved",
        ["bench_metrics.py", "--by-date", "--no-pandas"],
    ),
    ("start-up and a repeated metrics, the whole command", ["bench_startup.py"]),
    ("refresh and full re-fold", ["bench_facts.py"]),
    ("instructions per event: read, fold, write, ingest (cachegrind)", ["bench_instructions.py"]),
    ("the floor: what storing and reading alone cost an event", ["bench_floor.py"]),
    ("erasure", ["bench_erase.py"]),
    ("one person with very many events: growth of every fold", ["bench_one_person.py"]),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke test")
    parser.add_argument(
        "--store",
        help="also measure refresh and re-fold on copies of this store (never modified)",
    )
    parser.add_argument(
        "--before", help="with --store: another version's src, measured alongside (A/B)"
    )
    args = parser.parse_args()
    benchmarks = list(BENCHMARKS)
    if args.store:
        ab = ["--store", args.store] + (["--before", args.before] if args.before else [])
        benchmarks.append(("refresh and re-fold of an existing store", ["bench_facts.py", *ab]))
    for title, command in benchmarks:
        print(f"\n## {title}\n", flush=True)
        if command[0] == "bench_instructions.py" and shutil.which("valgrind") is None:
            print("(skipped: valgrind is not installed)", flush=True)
            continue
        started = time.perf_counter()
        extra = ["--quick"] if args.quick and "--store" not in command else []
        done = subprocess.run([sys.executable, *command, *extra], cwd=HERE, check=False)
        print(f"\n({title}: {time.perf_counter() - started:.0f} s)", flush=True)
        if done.returncode:
            print(f"{command[0]} failed with exit code {done.returncode}", file=sys.stderr)
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
