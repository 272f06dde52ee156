"""Run one command and print, as one JSON line, what it cost: the measuring half of
:func:`measure.run_command`, run as a process of its own so that only the command is its child.

    python bench/measured_run.py COMMAND [ARG ...]

- ``seconds``, ``cpu_seconds``: wall time, and CPU time of the command and every process
  it started (user and system);
- ``peak_mib``: the peak resident memory of its largest process (``ru_maxrss``);
- ``summed_mib``: the peak, over the run, of the memory of all its processes together: the
  sum of their proportional set sizes (a page shared by two processes counts half in
  each), read from ``/proc`` every 0.1 s. This is what the command costs a machine or a
  container; ``None`` where there is no ``/proc``. Being sampled, it may miss a peak
  briefer than that, which ``peak_mib`` does not.
"""

from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

#: Seconds between two looks at the processes' memory.
EVERY = 0.1


def _tree(pid: int) -> list[int]:
    """``pid`` and every process it started, and theirs, still running."""
    found, todo = [], [pid]
    while todo:
        process = todo.pop()
        found.append(process)
        try:
            for task in os.listdir(f"/proc/{process}/task"):
                with open(f"/proc/{process}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:  # it ended meanwhile
            continue
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:  # it ended meanwhile
        pass
    return 0


def _until_ended(process: subprocess.Popen[str]) -> Iterator[None]:
    """Once every :data:`EVERY` seconds while ``process`` runs; returns as soon as it ends.

    Woken by Linux's process file descriptor the moment it ends, so looking at its memory
    does not round its time up. Where that is refused (an old kernel, a container's
    seccomp profile), ``Popen.wait`` with a timeout, which notices the end within 50 ms.
    """
    try:
        ended = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        while True:
            try:
                process.wait(timeout=EVERY)
                return
            except subprocess.TimeoutExpired:
                yield
    try:
        while not select.select([ended], [], [], EVERY)[0]:
            yield
    finally:
        os.close(ended)


def main(command: list[str]) -> None:
    began = time.perf_counter()
    # Into files, not pipes: a pipe not read while it runs would stop a command that says much.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        summed = 0 if os.path.exists(f"/proc/{process.pid}/smaps_rollup") else None
        if summed is not None:
            for _ in _until_ended(process):
                summed = max(summed, sum(_pss_kib(pid) for pid in _tree(process.pid)))
        process.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    seconds = time.perf_counter() - began
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write(stderr)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": use.ru_utime + use.ru_stime,
                "peak_mib": use.ru_maxrss / 1024,
                "summed_mib": None if summed is None else summed / 1024,
                "code": process.returncode,
                "stdout": stdout,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
