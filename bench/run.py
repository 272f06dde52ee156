"""Every speed benchmark of the issue's targets, one after the other, in one command.

    python bench/run.py            # about 1,000,000 events each (tens of minutes)
    python bench/run.py --quick    # a smoke test in a minute or two

Runs, in order: the import (``bench_import.py --commands``: ``ingest --no-refresh`` and a
full ``ingest``), a repeated ``metrics`` beside polars, DuckDB and pandas
(``bench_metrics.py``), the whole command's start-up and a repeated ``metrics`` in wall
and CPU seconds (``bench_startup.py``; its ``--before REF`` adds an earlier commit), the
refresh and a full re-fold (``bench_facts.py``), and an erasure (``bench_erase.py``).
Each prints its own table of seconds, events/s, peak memory and the ratios against the
peers measured in the same run; this script prints them in turn and stops at the first
benchmark that fails, or whose numbers disagree with a peer's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

BENCHMARKS = (
    ("import", ["bench_import.py", "--commands"]),
    ("repeat metrics against polars, DuckDB and pandas", ["bench_metrics.py"]),
    ("start-up and a repeated metrics, the whole command", ["bench_startup.py"]),
    ("refresh and full re-fold", ["bench_facts.py"]),
    ("erasure", ["bench_erase.py"]),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke test")
    args = parser.parse_args()
    for title, command in BENCHMARKS:
        print(f"\n## {title}\n", flush=True)
        started = time.perf_counter()
        extra = ["--quick"] if args.quick else []
        done = subprocess.run([sys.executable, *command, *extra], cwd=HERE, check=False)
        print(f"\n({title}: {time.perf_counter() - started:.0f} s)", flush=True)
        if done.returncode:
            print(f"{command[0]} failed with exit code {done.returncode}", file=sys.stderr)
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
