"""Long reads show a progress bar with a total on a terminal, and nothing on a pipe.

Each command runs in a child process whose standard error is a pseudo-terminal (or a
pipe), on a copy of one synthetic store whose fact tables are behind the log; its
standard output goes to a file and must be the same either way.
"""

import fcntl
import json
import os
import shutil
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.cli._common import progress
from offender_journey.synth import write_jsonl

OFFENDERS = 40

# The child: the command line, optionally without tqdm (the progress extra) installed.
CHILD = """
import sys
if sys.argv[1] == "without-tqdm":
    sys.modules["tqdm"] = None  # importing it fails, as where it is not installed
from offender_journey.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def stale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 40 offenders loaded in bulk: its fact tables are not derived yet."""
    root = tmp_path_factory.mktemp("progress")
    write_jsonl(root / "c.jsonl", OFFENDERS, seed=3)
    store = root / "j.db"
    assert main(["ingest", str(root / "c.jsonl"), "--store", str(store), "--no-refresh"]) == 0
    return store


def run(
    stale: Path, folder: Path, argv: list[str], *, terminal: bool, tqdm: bool = True
) -> tuple[bytes, bytes]:
    """Run ``offender-journey argv`` in ``folder`` on a copy of the store: (stdout, stderr)."""
    folder.mkdir()
    shutil.copy(stale, folder / "j.db")
    command = [sys.executable, "-c", CHILD, "with-tqdm" if tqdm else "without-tqdm", *argv]
    with open(folder / "stdout", "wb") as out:
        if not terminal:
            done = subprocess.run(
                command, cwd=folder, stdout=out, stderr=subprocess.PIPE, timeout=300
            )
            assert done.returncode == 0, done.stderr
            return (folder / "stdout").read_bytes(), done.stderr
        reader, writer = os.openpty()
        # A terminal of 24 lines of 100 columns (a new pseudo-terminal has 0 columns).
        fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        child = subprocess.Popen(command, cwd=folder, stdout=out, stderr=writer)
        os.close(writer)
        err = b""
        while True:
            try:
                chunk = os.read(reader, 65536)
            except OSError:  # the child has closed its end
                break
            if not chunk:
                break
            err += chunk
        os.close(reader)
        assert child.wait(timeout=300) == 0, err
    return (folder / "stdout").read_bytes(), err


COMMANDS = {
    "metrics": ["metrics", "--store", "j.db", "--json"],
    "metrics --jobs 2": ["metrics", "--store", "j.db", "--json", "--all", "--jobs", "2"],
    "quality": ["quality", "--store", "j.db", "--json"],
    "reoffending": ["reoffending", "--store", "j.db", "--json", "--jobs", "1"],
    "refresh": ["refresh", "--store", "j.db", "--json", "--jobs", "2"],
    "export": ["export", "out", "--store", "j.db", "--json"],
}


def same_output(out: bytes) -> object:
    """Standard output, less what is meant to differ between two runs (time taken)."""
    data = json.loads(out)
    if isinstance(data, dict):
        data.pop("seconds", None)
    return data


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_bar_with_a_total_on_a_terminal_and_none_on_a_pipe(
    stale: Path, tmp_path: Path, name: str
) -> None:
    argv = COMMANDS[name]
    out, bar = run(stale, tmp_path / "terminal", argv, terminal=True)
    piped, nothing = run(stale, tmp_path / "pipe", argv, terminal=False)
    shown = bar.decode("utf-8", "replace")
    assert f"/{OFFENDERS} [" in shown  # the total, up front
    assert f"0/{OFFENDERS} [00:00<" in shown  # elapsed, then the time left
    assert "offenders/s" in shown
    assert nothing == b""
    if name == "refresh":
        assert same_output(out) == same_output(piped)
    else:
        assert out == piped  # byte for byte
    if name == "metrics":  # the store's tables are brought up to date, then read
        assert shown.index("refreshing facts") < shown.index("reading facts")


def test_ingest_json_shows_its_bars_on_a_terminal_like_every_command(
    stale: Path, tmp_path: Path
) -> None:
    argv = ["ingest", str(stale.parent / "c.jsonl"), "--store", "j.db", "--json"]
    out, bar = run(stale, tmp_path / "terminal", argv, terminal=True)
    piped, nothing = run(stale, tmp_path / "pipe", argv, terminal=False)
    shown = bar.decode("utf-8", "replace")
    assert "lines/s" in shown  # the import
    assert f"0/{OFFENDERS} [00:00<" in shown  # then the refresh, with its total
    assert nothing == b""
    assert out == piped


def test_without_tqdm_no_bar_and_no_error(stale: Path, tmp_path: Path) -> None:
    argv = COMMANDS["metrics"]
    out, err = run(stale, tmp_path / "terminal", argv, terminal=True, tqdm=False)
    with_bar, _ = run(stale, tmp_path / "with-tqdm", argv, terminal=True)
    assert err == b""
    assert out == with_bar


def test_a_bar_runs_no_thread_beside_the_command() -> None:
    # Commands fork their worker processes while the bar shows; a fork while another
    # thread runs may deadlock the child (Python 3.12 and later warn of it).
    before = set(threading.enumerate())
    with progress(enabled=True) as bar:
        assert bar is not None
        bar.update(1)
        assert set(threading.enumerate()) == before
