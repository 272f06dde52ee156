"""Start-up and a repeated `metrics`, the whole command, optionally beside an earlier version.

    python bench/bench_startup.py                      # the store bench_metrics.py builds
    python bench/bench_startup.py --store FILE.db      # your own store (copies are timed)
    python bench/bench_startup.py --before main        # also an earlier commit, same run
    python bench/bench_startup.py --quick              # a smoke test in seconds

Times ``offender-journey --help`` and ``offender-journey metrics --json`` (default views,
fact tables up to date) as a user runs them: a fresh interpreter each time, start-up and
imports included. With ``--before REF``, the source of that commit is run beside this
tree's, the two alternating run by run so that both see the same load; each has its own
copy of the store, brought up to date by its own ``refresh`` first (untimed), and their
numbers are compared. Each figure is the median of ``--repeat`` runs: wall seconds, CPU seconds
(user + system, steadier than wall on a shared machine) and peak MiB.

Runs use a bytecode cache (as an installed package has); ``--no-bytecode`` compiles every
module on every run instead (as with ``PYTHONDONTWRITEBYTECODE`` set). The modules the
``metrics`` command loads are counted, with the third-party packages among them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from measure import OUT, ROOT, events_file, machine, run_command, run_step, save

BUILD = """
import sys
from offender_journey.io import import_jsonl
from offender_journey.store import SQLiteStore
with SQLiteStore(sys.argv[2], create=True) as store:
    import_jsonl(sys.argv[1], store)
"""

LOADED = """
import contextlib, io, json, runpy, sys
sys.argv = ["offender-journey", "metrics", "--json", "--store", sys.argv[1]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module("offender_journey", run_name="__main__")
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def _packages(modules: list[str]) -> list[str]:
    """The third-party packages among loaded modules (neither ours nor the standard library)."""
    tops = {m.split(".")[0] for m in modules if not m.startswith("_")}
    return sorted(tops - set(sys.stdlib_module_names) - {"offender_journey", "sitecustomize"})


def _source_of(ref: str, into: Path) -> Path:
    """The ``src`` folder of commit ``ref`` of this repository, extracted under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"],
        capture_output=True,
        check=True,
    ).stdout
    into.mkdir()
    path = into / "archive.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _store(args: argparse.Namespace) -> Path:
    """A store with up-to-date fact tables: the one given, else built once under bench/out."""
    if args.store:
        return Path(args.store)
    offenders = 400 if args.quick else args.offenders
    path = OUT / f"metrics_{offenders}.db"
    if not path.exists():  # the same store bench_metrics.py builds and refreshes
        run_step(BUILD, str(events_file(offenders)), str(path))
        run_command([sys.executable, "-m", "offender_journey", "refresh", "--store", str(path)])
    return path


def _median(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "peak_mib": statistics.median(r["peak_mib"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small store, for a smoke test")
    parser.add_argument("--offenders", type=int, default=18_500, help="synthetic store size")
    parser.add_argument("--store", help="a store whose fact tables are up to date")
    parser.add_argument("--before", metavar="REF", help="also time this commit's source")
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median)")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="compile every module on every run"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    try:
        sources = {"this tree": ROOT / "src"}
        if args.before:
            sources[f"before ({args.before})"] = _source_of(args.before, work / "before")
        env = {"PYTHONPYCACHEPREFIX": str(work / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
        if args.no_bytecode:
            env = {"PYTHONDONTWRITEBYTECODE": "1"}
        envs = {name: {**env, "PYTHONPATH": str(src)} for name, src in sources.items()}
        cli = [sys.executable, "-m", "offender_journey"]
        stores: dict[str, str] = {}
        for i, name in enumerate(sources):
            # Each version on its own copy, its tables brought up to date (and given the
            # indexes that version makes) by its own `refresh`, untimed.
            stores[name] = str(work / f"store{i}.db")
            shutil.copyfile(_store(args), stores[name])
            os.chmod(stores[name], 0o600)
            run_command([*cli, "refresh", "--store", stores[name]], env=envs[name])
        commands = {
            "--help": lambda name: ["--help"],
            "metrics --json": lambda name: ["metrics", "--json", "--store", stores[name]],
        }
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        answers: dict[str, Any] = {}
        for name in sources:  # a first run: bytecode cached
            first = run_command([*cli, *commands["metrics --json"](name)], env=envs[name])
            answer = json.loads(first["stdout"])
            answer.pop("as_of")
            answers[name] = answer
        for _ in range(args.repeat):  # alternating, so every side sees the same load
            for name in sources:
                for command, argv in commands.items():
                    runs.setdefault((name, command), []).append(
                        run_command([*cli, *argv(name)], env=envs[name])
                    )
        loaded = {
            name: json.loads(
                run_step(LOADED, stores[name], env=envs[name])["stdout"].strip().splitlines()[-1]
            )
            for name in sources
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = {f"{name}: {command}": _median(r) for (name, command), r in runs.items()}
    packages = {name: _packages(mods) for name, mods in loaded.items()}
    same = all(answer == next(iter(answers.values())) for answer in answers.values())
    results = {
        "machine": machine(),
        "bytecode_cache": not args.no_bytecode,
        "repeat": args.repeat,
        "timings": table,
        "modules_loaded": {name: len(mods) for name, mods in loaded.items()},
        "packages_loaded": packages,
        "same_numbers": same,
    }
    save("startup" + ("_quick" if args.quick else ""), results)
    print(f"machine: {json.dumps(machine())}")
    cache = "without" if args.no_bytecode else "with"
    print(f"medians of {args.repeat} runs, {cache} a bytecode cache\n")
    print("| source: command | wall s | CPU s | peak MiB |")
    print("|---|---:|---:|---:|")
    for side, row in table.items():
        print(
            f"| {side} | {row['seconds']:.3f} | {row['cpu_seconds']:.3f} | {row['peak_mib']:.0f} |"
        )
    print()
    for name, mods in loaded.items():
        print(f"{name}: {len(mods)} modules loaded; packages: {', '.join(packages[name])}")
    if not same:
        print("\nMISMATCH: the sources gave different numbers")
        sys.exit(1)
    if len(answers) > 1:
        print("\nBoth sources give the same numbers.")


if __name__ == "__main__":
    main()
