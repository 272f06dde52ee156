"""Shared benchmark plumbing: cached input files, and one measured step per fresh process.

Each step runs as its own child process so that its peak memory (RSS high-water mark)
is its own; the parent reads the child's wall time and ``ru_maxrss``, and the memory of
all the processes it starts together (``measured_run.py``).
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parents[1]


def events_file(n_offenders: int, seed: int = 1) -> Path:
    """A synthetic JSON Lines file (default preset), written once and reused."""
    from offender_journey import synth

    OUT.mkdir(exist_ok=True)
    path = OUT / f"events_{n_offenders}_{seed}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        synth.write_jsonl(partial, n_offenders, seed=seed)
        partial.rename(path)
    return path


def in_date_order(path: Path) -> Path:
    """The events of ``path`` with its lines sorted by their ``date`` (stably): every
    offender's events interleaved, as a source system often writes an extract, where
    ``synth`` writes each offender's together. Written once into ``bench/out`` (never
    beside a file of yours), and reused."""
    OUT.mkdir(exist_ok=True)
    out = OUT / f"{path.stem}_by_date.jsonl"
    if not out.exists():
        with open(path, "rb") as handle:
            lines = [line if line.endswith(b"\n") else line + b"\n" for line in handle]
        lines.sort(key=lambda line: json.loads(line)["date"])
        partial = out.with_suffix(".partial")
        partial.write_bytes(b"".join(lines))
        partial.rename(out)
    return out


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def run_step(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` (Python) in a fresh interpreter: seconds, peak MiB, and its last JSON line."""
    measured = run_command([sys.executable, "-c", code, *args], env=env)
    lines = measured["stdout"].strip().splitlines()
    try:
        measured["result"] = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        measured["result"] = None
    return measured


#: The environment commands run in: this one, with Python's compiled modules kept.
_CACHING_BYTECODE = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_command(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command in a fresh process tree: seconds (wall and CPU), peak MiB of its
    largest process and of all its processes together, stdout (see ``measured_run.py``).

    Python keeps the modules it compiles, as an installed package's are (``pip install``
    compiles them): a machine that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise make
    each command compile the library's modules again, some 50 ms of every start.
    """
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("measured_run.py")), *command],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**_CACHING_BYTECODE, **(env or {})},
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise RuntimeError(f"{command} failed:\n{done.stderr[-3000:]}")
    return result


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import orjson

        orjson_version = orjson.__version__
    except ImportError:
        orjson_version = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "orjson": orjson_version,
        "platform": platform.platform(),
    }


def save(name: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path
