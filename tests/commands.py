"""Driving the command line as a real process, for tests that signal it or watch it work."""

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The command line's entry point, run by a fresh interpreter on the source tree.
RUN = "import sys; from offender_journey.cli import main; sys.exit(main(sys.argv[1:]))"


def command(
    *args: str, cwd: Path, stdin: int | None = None, own_group: bool = False
) -> subprocess.Popen[bytes]:
    """``offender-journey ARGS`` started in ``cwd``, its output captured; ``own_group``
    puts it in a process group of its own, as a terminal's command is (for Ctrl-C to all)."""
    return subprocess.Popen(
        [sys.executable, "-c", RUN, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=own_group,
    )


def stored_events(store: Path) -> int:
    """Events in a SQLite store so far (0 while it cannot be read yet)."""
    try:
        with sqlite3.connect(store) as db:
            return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    except sqlite3.Error:
        return 0


def wait_for(condition: Callable[[], object], seconds: float = 60, every: float = 0.05) -> None:
    """Poll ``condition`` every ``every`` seconds until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def finish_after_ctrl_c(process: subprocess.Popen[bytes], rest: bytes) -> tuple[bytes, bytes]:
    """A command's output once it has been sent Ctrl-C: ``rest`` of its input is given it
    (the batch in hand, if it has not stopped already), and it is waited for."""
    assert process.stdin is not None
    time.sleep(0.5)
    try:
        process.stdin.write(rest)
        process.stdin.flush()
    except BrokenPipeError:
        pass
    return process.communicate(timeout=120)
