"""Instructions per event for each step of ingest and refresh, counted with cachegrind.

    python bench/bench_instructions.py                     # about 100,000 events
    python bench/bench_instructions.py --src OLD/src       # another version's code
    python bench/bench_instructions.py --jsonl FILE --store FILE.db

Counts do not depend on the machine's load, so two versions compare on a shared
machine. Each step is the difference of two runs of one version under ``valgrind
--tool=cachegrind`` (hash seed fixed), with and without the step, divided by the
events: start-up and opening the store cancel out.

- **read**: decoding every stored event into its event object (``read_all``);
- **fold**: building each offender's history and deriving every fact table;
- **write**: writing those rows into fact tables that keep their indexes up to date, in one
  transaction (what a later refresh does);
- **refresh**: the whole first refresh of the store, as ``refresh`` runs it (reading,
  folding, and writing into empty tables whose indexes are built once the rows are in);
- **ingest**: parsing, checking and storing every line (``import_jsonl``, no facts).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import OUT, count_lines, events_file, machine, save

#: Each step's code; ``STEPS[name]`` runs everything up to and including that step.
COMMON = """
import sys, sqlite3
from offender_journey.store.sqlite import SQLiteStore
store = SQLiteStore(sys.argv[1], create=False)
"""
READ = "streams = [(o, list(events)) for o, events in store.read_all()]\n"
FOLD = """
from offender_journey.history import History
from offender_journey.facts.derive import derive
facts = [derive(History.build(o, events)) for o, events in streams]
"""
WRITE = """
from offender_journey.facts.refresh import ensure_tables, write_facts
out = sqlite3.connect(sys.argv[2], isolation_level=None)
cursor = out.cursor()
cursor.execute("BEGIN")
ensure_tables(cursor)
write_facts(cursor, [], facts, 0)
cursor.execute("COMMIT")
"""
REFRESH = """
from offender_journey.facts.refresh import refresh
refresh(store)
"""
IMPORT_BASE = """
import sys
from offender_journey.store.sqlite import SQLiteStore
from offender_journey.io.jsonl import import_jsonl
store = SQLiteStore(sys.argv[2])
"""
IMPORT = "report = import_jsonl(sys.argv[1], store)\nassert not report.rejected\n"

#: (step, code with the step, code without it, whether it writes an import).
STEPS = (
    ("read", COMMON + READ, COMMON, False),
    ("fold", COMMON + READ + FOLD, COMMON + READ, False),
    ("write", COMMON + READ + FOLD + WRITE, COMMON + READ + FOLD, False),
    ("refresh", COMMON + REFRESH, COMMON, False),
    ("ingest", IMPORT_BASE + IMPORT, IMPORT_BASE, True),
)


def instructions(code: str, args: list[str], src: str) -> int:
    """Instructions of one run of ``code`` (a fresh interpreter under cachegrind)."""
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=src)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={out}",
                sys.executable,
                "-c",
                code,
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"failed:\n{done.stderr[-3000:]}")
        found = re.search(r"^summary:\s+(\d+)", out.read_text(), re.MULTILINE)
        assert found is not None
        return int(found.group(1))


def count(src: str, jsonl: Path, store: Path, steps: list[str]) -> dict[str, float]:
    """Instructions per event of each step, for the code under ``src``."""
    events = count_lines(jsonl)
    per_event = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, with_step, without, imports in STEPS:
            if name not in steps:
                continue
            totals = []
            for code in (with_step, without):
                target = Path(tmp) / "out.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)
                args = [str(jsonl), str(target)] if imports else [str(store), str(target)]
                if not imports:  # every run reads its own copy, as the commands would
                    copy = Path(tmp) / "events.db"
                    shutil.copyfile(store, copy)
                    args[0] = str(copy)
                totals.append(instructions(code, args, src))
            per_event[name] = (totals[0] - totals[1]) / events
            print(f"{name:>7}: {per_event[name]:>9,.0f} instructions per event", flush=True)
    return per_event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    parser.add_argument("--jsonl", help="events file (default: synth, 1,920 offenders, seed 7)")
    parser.add_argument("--store", help="a store of the same events, without fact tables")
    parser.add_argument("--steps", default="read,fold,write,refresh,ingest")
    parser.add_argument("--quick", action="store_true", help="about 10,000 events")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    jsonl = Path(args.jsonl) if args.jsonl else events_file(192 if args.quick else 1920, seed=7)
    store = Path(args.store) if args.store else OUT / f"{jsonl.stem}.db"
    if not store.exists():
        env = dict(os.environ, PYTHONPATH=args.src)
        command = [sys.executable, "-m", "offender_journey", "ingest", str(jsonl)]
        subprocess.run([*command, "--store", str(store), "--no-refresh"], env=env, check=True)
    print(f"{count_lines(jsonl):,} events, code of {args.src}")
    result = count(args.src, jsonl, store, args.steps.split(","))
    save("instructions", {"machine": machine(), "src": args.src, "per_event": result})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
