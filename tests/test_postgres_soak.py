"""A small run of the concurrency soak in bench/: writer processes and a follower at once."""

import json
import os
import subprocess
import sys
from pathlib import Path

from offender_journey.store.postgres_server import TemporaryServer

ROOT = Path(__file__).resolve().parents[1]


def test_writers_and_a_follower_lose_and_skip_nothing(postgres_server: TemporaryServer) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_postgres.py"),
            "soak",
            "--url",
            postgres_server.url,
            "--writers",
            "4",
            "--events",
            "100",
            "--streams",
            "6",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["events_written"] == result["events_stored"] == result["head"] == 400
    assert result["events_lost"] == 0
    assert result["positions_skipped"] == 0
    assert result["positions_out_of_order"] == 0
    assert result["positions_seen"] == 400
    assert result["facts_checkpoint"] == 400
    assert result["conflicts_surfaced"] >= 0  # counted, each one retried by its writer
