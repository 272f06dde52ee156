"""Worker processes end with the command that started them, even one killed outright.

Real processes: a command is killed with SIGKILL (as the out-of-memory killer does), and
its workers must be gone within seconds, leaving no file of theirs behind. Killed with its
workers, a refresh leaves its directory of files: the next refresh in several processes
removes it, and leaves alone that of a refresh still at work. Memory freed before workers
fork goes back to the system, so that they do not each end up with a copy of it.
"""

import contextlib
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.synth import write_jsonl
from offender_journey.workers import WATCH_EVERY

#: How long a worker may outlive its command: its next look, and some slack for a busy machine.
GONE_WITHIN = 10 * WATCH_EVERY + 10


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has ended: only its parent's note of it is left)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def children(pid: int) -> list[int]:
    """The processes ``pid`` started, multiprocessing's resource tracker aside."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == pid and b"resource_tracker" not in command:
            found.append(int(entry))
    return found


WORKER = """
import multiprocessing, pathlib, sys, time
from offender_journey.workers import end_with_parent

def work(marker):
    end_with_parent(lambda: pathlib.Path(marker).write_text("cleaned up"))
    time.sleep(600)

if __name__ == "__main__":
    for method in ("fork", "spawn"):
        worker = multiprocessing.get_context(method).Process(target=work, args=(sys.argv[1] + method,))
        worker.start()
        print(worker.pid, flush=True)
    time.sleep(600)
"""


def test_a_worker_cleans_up_and_ends_once_its_command_is_killed(tmp_path: Path) -> None:
    (tmp_path / "command.py").write_text(WORKER)
    marker = tmp_path / "marker-"
    with subprocess.Popen(
        [sys.executable, "command.py", str(marker)], cwd=tmp_path, stdout=subprocess.PIPE
    ) as command:
        assert command.stdout is not None
        workers = [int(command.stdout.readline()) for _ in range(2)]
        time.sleep(2 * WATCH_EVERY)  # both are watching
        assert all(alive(pid) for pid in workers)  # they wait while the command runs
        command.send_signal(signal.SIGKILL)
        command.wait()
    assert wait_until(lambda: not any(alive(pid) for pid in workers), GONE_WITHIN)
    for method in ("fork", "spawn"):
        assert (tmp_path / f"marker-{method}").read_text() == "cleaned up"


#: A command that stops half-way: its progress bar hangs once the first share is done.
HALF_WAY = """
import sys, time
from offender_journey.facts import refresh_facts
from offender_journey.metrics import compute_store
from offender_journey.store import SQLiteStore
from offender_journey.synth import generate

class Stuck:
    def set_description(self, desc): pass
    def reset(self, total=None): pass
    def update(self, n=1):
        print("half-way", flush=True)
        time.sleep(600)

if __name__ == "__main__":
    with SQLiteStore(sys.argv[1]) as store:
        store.append(list(generate(40, seed=11)))
"""
REFRESH = HALF_WAY + "        refresh_facts(store, jobs=2, progress=Stuck())\n"
FOLD = HALF_WAY + (
    "        refresh_facts(store)  # in this process: the tables are up to date\n"
    "    # Far in the past: the tables cannot answer, every stream is folded, in two processes.\n"
    "    compute_store(sys.argv[1], as_of='2000-01-01T00:00:00+00:00', jobs=2, progress=Stuck())\n"
)


@contextlib.contextmanager
def half_way(tmp_path: Path, script: str) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Run ``script`` until it stops half-way: the command, and the directory its temporary
    files go to. The command is killed outright at the end, if it still runs."""
    (tmp_path / "command.py").write_text(script)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with subprocess.Popen(
        [sys.executable, "command.py", "j.db"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(scratch)},
    ) as command:
        try:
            assert command.stdout is not None
            assert command.stdout.readline() == b"half-way\n"
            yield command, scratch
        finally:
            command.send_signal(signal.SIGKILL)
            command.wait()


def killed_half_way(tmp_path: Path, script: str) -> tuple[list[int], list[Path], Path]:
    """Run ``script`` until it stops half-way and kill it outright: the workers it had, their
    files of facts, and the directory its temporary files go to."""
    with half_way(tmp_path, script) as (command, scratch):
        workers = children(command.pid)
        files = list(scratch.glob("offender-journey-refresh.*/part-*.db"))
    return workers, files, scratch


def test_a_refresh_killed_outright_leaves_no_worker_and_no_file(tmp_path: Path) -> None:
    workers, files, scratch = killed_half_way(tmp_path, REFRESH)
    assert len(workers) == 1  # two processes: the command and one worker
    assert len(files) == 1  # the worker's file of facts
    assert wait_until(lambda: not any(alive(pid) for pid in workers), GONE_WITHIN)
    assert list(scratch.iterdir()) == []  # its file and the directory removed


def test_a_fold_killed_outright_leaves_no_worker(tmp_path: Path) -> None:
    workers, _, _ = killed_half_way(tmp_path, FOLD)
    assert len(workers) == 1  # two processes: the command, which folds a share too, and one
    assert wait_until(lambda: not any(alive(pid) for pid in workers), GONE_WITHIN)


def parallel_refresh(tmp_path: Path, name: str) -> None:
    """A new store of ``name``, its facts refreshed by ``refresh --jobs 2`` (in this process)."""
    write_jsonl(tmp_path / f"{name}.jsonl", 40, seed=3)
    store = str(tmp_path / f"{name}.db")
    assert main(["ingest", str(tmp_path / f"{name}.jsonl"), "--store", store, "--no-refresh"]) == 0
    assert main(["refresh", "--jobs", "2", "--store", store]) == 0


def test_the_next_parallel_refresh_removes_what_a_refresh_killed_with_its_workers_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with half_way(tmp_path, REFRESH) as (command, scratch):
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # this test's refreshes too
        (older_release := scratch / "offender-journey-refresh-abcd1234").mkdir()
        [running] = scratch.glob(f"offender-journey-refresh.{command.pid}.*")
        assert running.stat().st_mode & 0o777 == 0o700
        assert len(list(running.glob("part-*.db"))) == 1  # its worker's file of facts
        parallel_refresh(tmp_path, "meanwhile")
        assert running.exists()  # its command still runs: left alone
        for worker in children(command.pid):  # killed too: nobody is left to clean up
            os.kill(worker, signal.SIGKILL)
    time.sleep(2 * WATCH_EVERY)  # what a worker would have taken to clean up
    assert len(list(running.glob("part-*.db"))) == 1
    parallel_refresh(tmp_path, "next")
    assert sorted(scratch.iterdir()) == [older_release]  # an older release's may be at work


_FREED_THEN_RELEASED = """
import gc
import sys
from offender_journey.workers import memory_shared_with_workers

def resident():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

# 64 MiB in blocks of 2 KiB (from the C allocator's heap, as SQLite's pages are), then all
# freed but the last: the heap cannot shrink from its top, so the memory stays with us.
blocks = [bytes(2048) for _ in range(32 * 1024)]
kept = blocks[-1]
before = resident()
del blocks
freed = resident()
with memory_shared_with_workers():
    released, frozen = resident(), gc.get_freeze_count()
print(before, freed, released, frozen, gc.get_freeze_count())
"""


@pytest.mark.skipif(
    not os.path.exists("/proc/self/status") or platform.libc_ver()[0] != "glibc",
    reason="reads /proc; GNU libc's allocator is the one that keeps freed memory",
)
def test_memory_is_kept_shared_with_forked_workers() -> None:
    # Memory freed but kept would be shared by a worker forked now, then copied by each
    # process that reuses it: both would hold what one freed. Objects the cycle collector
    # looked through would be copied too.
    done = subprocess.run(
        [sys.executable, "-c", _FREED_THEN_RELEASED], capture_output=True, text=True, check=True
    )
    before, freed, released, frozen, after = (int(n) for n in done.stdout.split())
    assert freed > before - 16 * 1024  # freed, but most of it still held by the process
    assert released < before - 48 * 1024  # handed back: at least 48 of the 64 MiB (in KiB)
    assert frozen > 0  # the objects alive are left out of collection while workers run...
    assert after == 0  # ...and collected as usual again once they are done


_BESIDE_A_THREAD = """
import datetime as dt
import gc
import sqlite3
import sys
import threading

from offender_journey.metrics import compute_store
from offender_journey.store import SQLiteStore
from offender_journey.synth import generate
from offender_journey.workers import start_method


def let_connections_go():
    # Another thread of the program (a service's, a notebook's), letting SQLite
    # connections go as it runs: SQLite closes them without holding Python's lock.
    while True:
        for _ in range(50):
            connection = sqlite3.connect(":memory:")
            connection.execute("CREATE TABLE t (x)")
            connection.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(200)])
            held = [connection]
            held.append(held)  # a cycle: freed by the collector, in this thread
        gc.collect(0)


if __name__ == "__main__":
    with SQLiteStore(sys.argv[1]) as store:
        store.append(list(generate(40, seed=3)))
    print(start_method().get_start_method(), flush=True)  # alone: as the commands are
    threading.Thread(target=let_connections_go, daemon=True).start()
    print(start_method().get_start_method(), flush=True)
    past = dt.datetime(2016, 6, 30, tzinfo=dt.UTC)
    first = compute_store(sys.argv[1], as_of=past, jobs=1).to_json()
    for _ in range(int(sys.argv[2])):  # each folds in a worker started anew
        assert compute_store(sys.argv[1], as_of=past, jobs=2).to_json() == first
    print("done", flush=True)
"""


def test_workers_start_safely_beside_another_thread_using_sqlite(tmp_path: Path) -> None:
    """A program with threads of its own (a service, a notebook) can share a fold out: its
    workers start as fresh interpreters, so none inherits SQLite's allocator lock held by
    another thread at the fork and waits for it forever. A program with no other thread,
    as the commands are, forks its workers (they share its memory)."""
    (tmp_path / "beside.py").write_text(_BESIDE_A_THREAD)
    command = [sys.executable, "beside.py", str(tmp_path / "s.db"), "30"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=240, check=True)
    alone = "fork" if sys.platform == "linux" else multiprocessing.get_all_start_methods()[0]
    assert done.stdout.decode().split() == [alone, "spawn", "done"]
