"""How long `erase` takes on a store of about a million events, and what it used to take.

    python bench/bench_erase.py --store BIG.db    # a copy of BIG.db is used; BIG.db is untouched
    python bench/bench_erase.py                   # builds one: synth 19,200 offenders, ingest
    python bench/bench_erase.py --quick           # a smoke test

Each erasure is the whole command in a fresh process (interpreter start-up included),
on a copy of the store, for offenders spread over the id range; as many more are timed
inside the process, the ``store.erase`` call alone. It reports whether the
file had to be rebuilt (a stale copy of an id was found after the secure delete).
Then, for comparison, what erasure did before: ``VACUUM`` of the whole file, then a
checkpoint that truncates the write-ahead log.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from measure import OUT, events_file, machine, run_command, run_step, save

# One erasure timed inside the process: the call alone, without start-up and opening.
IN_PROCESS = """
import json, sys, time
from offender_journey.keys import load_key
from offender_journey.store import SQLiteStore
with SQLiteStore(sys.argv[1]) as store:
    began = time.perf_counter()
    report = store.erase(sys.argv[2], reason="bench", key=load_key(sys.argv[3]))
    print(json.dumps({"erase_seconds": time.perf_counter() - began, "rebuilt": report.rebuilt}))
"""


def cli(*args: str) -> dict[str, Any]:
    return run_command([sys.executable, "-m", "offender_journey", *args])


def build(n_offenders: int, path: Path) -> None:
    source = events_file(n_offenders, seed=7)
    cli("ingest", str(source), "--store", str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", help="a store to copy (left untouched)")
    parser.add_argument("--offenders", type=int, default=19_200)
    parser.add_argument("--erasures", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.offenders, args.erasures = 200, 2
    OUT.mkdir(exist_ok=True)
    work = OUT / "erase.db"
    for stale in OUT.glob("erase.db*"):
        stale.unlink()
    if args.store:
        shutil.copyfile(args.store, work)
    else:
        build(args.offenders, work)
    key = OUT / "erase.key"
    key.unlink(missing_ok=True)
    cli("keygen", str(key))
    with sqlite3.connect(work) as db:
        (events,) = db.execute("SELECT COUNT(*) FROM events").fetchone()
        offenders = [row[0] for row in db.execute("SELECT DISTINCT offender_id FROM events")]
    step = max(len(offenders) // args.erasures, 1)
    chosen = offenders[step // 2 :: step][: args.erasures]
    inside = []
    for offender_id in offenders[step // 4 :: step][: args.erasures]:
        done = run_step(IN_PROCESS, str(work), offender_id, str(key))
        inside.append(done["result"])
        print(f"store.erase({offender_id!r}) alone: {done['result']['erase_seconds']:.2f} s, "
              f"rebuilt: {done['result']['rebuilt']}")  # fmt: skip
    runs = []
    for offender_id in chosen:
        done = cli("erase", offender_id, "--reason", "bench", "--key-file", str(key),
                   "--store", str(work), "--json")  # fmt: skip
        report = json.loads(done["stdout"])
        runs.append({"seconds": done["seconds"], "events": report["events"],
                     "rebuilt": report["rebuilt"]})  # fmt: skip
        print(f"erase {offender_id}: {done['seconds']:.2f} s, {report['events']} events, "
              f"rebuilt: {report['rebuilt']}")  # fmt: skip
    db = sqlite3.connect(work, isolation_level=None)
    began = time.perf_counter()
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    vacuum = time.perf_counter() - began
    db.close()
    print(f"VACUUM + checkpoint (what erase did before): {vacuum:.2f} s")
    save(
        "erase",
        {
            "machine": machine(),
            "events": events,
            "bytes": work.stat().st_size,
            "erasures": runs,
            "in_process": inside,
            "vacuum_seconds": vacuum,
        },
    )
    for stale in OUT.glob("erase.db*"):
        stale.unlink()


if __name__ == "__main__":
    main()
