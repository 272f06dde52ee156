"""A throw-away PostgreSQL server whose process was killed outright does not run on forever.

Real processes: the process that started a server is killed with SIGKILL, which leaves the
server running with what was stored; the next server started stops it and deletes it.
"""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from offender_journey.store.postgres_server import TemporaryServer
from test_workers import alive, wait_until

SERVER = """
import time
from offender_journey.store.postgres_server import TemporaryServer
from test_workers import alive, wait_until

print(TemporaryServer().start().url, flush=True)
time.sleep(600)
"""


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory of this test's own, which servers run as ``postgres`` may enter
    (pytest's own directories are their owner's only)."""
    directory = Path(tempfile.mkdtemp(prefix="servers-"))
    directory.chmod(directory.stat().st_mode | stat.S_IXOTH)
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    yield directory
    shutil.rmtree(directory)


def test_the_next_server_stops_and_deletes_one_whose_process_was_killed(scratch: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SERVER],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as command:
        assert command.stdout is not None
        url = command.stdout.readline().strip()
        command.send_signal(signal.SIGKILL)
        command.wait()
    [left] = scratch.iterdir()
    assert left.name.startswith(f"offender-journey-pg.{command.pid}.")
    server = int((left / "data" / "postmaster.pid").read_text().split()[0])
    with psycopg.connect(url, connect_timeout=10) as conn:  # it runs on, with what it holds
        conn.execute("CREATE TABLE kept (id TEXT)")
    with TemporaryServer():
        assert wait_until(lambda: not alive(server), 10)
        assert not left.exists()
        assert len(list(scratch.iterdir())) == 1  # the new server's
