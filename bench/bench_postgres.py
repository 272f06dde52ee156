"""PostgreSQL: import rate with COPY, metrics from the fact tables, and a concurrency soak.

    python bench/bench_postgres.py import               # ~100,000 events into a fresh store
    python bench/bench_postgres.py metrics              # metrics on PostgreSQL beside SQLite
    python bench/bench_postgres.py soak                 # 8 writers x 500 appends + a follower
    python bench/bench_postgres.py soak --writers 4 --events 200 --json   # what a test runs

Each starts a throw-away server (``TemporaryServer``: fsync off, a temporary directory)
unless given ``--url``. The soak: writer processes append one event at a time to a few
shared streams with ``expected_versions`` (so they collide and must retry), while a
follower in this process reads every position as it commits and keeps the fact tables
current. It reports events written, conflicts surfaced, events lost, positions the
follower skipped, and the follower's lag (append to seen).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from measure import OUT, count_lines, events_file, machine, save

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def server_url(url: str | None) -> Iterator[str]:
    """``url``, or a throw-away server's for the duration."""
    if url:
        yield url
        return
    from offender_journey.store.postgres_server import TemporaryServer

    with TemporaryServer() as server:
        yield server.url


def fresh_schema(url: str, name: str) -> str:
    """A URL whose search path is a new, empty schema ``name`` (dropped first if there)."""
    from urllib.parse import quote

    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")  # type: ignore[arg-type]
        conn.execute(f"CREATE SCHEMA {name}")  # type: ignore[arg-type]
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={name}')}"


# --- import --------------------------------------------------------------------------------


def bench_import(url: str, offenders: int) -> dict[str, Any]:
    from offender_journey.codec import Codec
    from offender_journey.io import import_jsonl
    from offender_journey.store.base import record_of
    from offender_journey.store.postgres import PostgresStore

    path = events_file(offenders)
    events = count_lines(path)
    codec = Codec()
    lines = path.read_bytes().splitlines()
    records = [record_of(codec.decode_line(line), line.decode(), 0) for line in lines]
    results: dict[str, Any] = {"events": events}

    with PostgresStore(fresh_schema(url, "bench_records"), codec) as store:
        start = time.perf_counter()
        for i in range(0, len(records), 5000):
            store.append_records(records[i : i + 5000])
        seconds = time.perf_counter() - start
        results["append_records_copy"] = {"seconds": seconds, "events_per_s": events / seconds}
        start = time.perf_counter()
        for i in range(0, len(records), 5000):
            store.append_records(records[i : i + 5000])
        seconds = time.perf_counter() - start
        results["re_append_all_duplicates"] = {
            "seconds": seconds,
            "events_per_s": events / seconds,
        }
    with PostgresStore(fresh_schema(url, "bench_import"), codec) as store:
        start = time.perf_counter()
        report = import_jsonl(path, store)
        seconds = time.perf_counter() - start
        assert report.stored == events, report
        results["import_jsonl"] = {"seconds": seconds, "events_per_s": events / seconds}
    # The same two steps into SQLite, in the same run: a reference on the same machine load.
    from offender_journey.store import SQLiteStore

    for name, step in (("sqlite_append_records", "records"), ("sqlite_import_jsonl", "jsonl")):
        target = OUT / "import_pg_beside.db"
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{target}{suffix}")
        with SQLiteStore(target, codec) as lite:
            start = time.perf_counter()
            if step == "records":
                for i in range(0, len(records), 5000):
                    lite.append_records(records[i : i + 5000])
            else:
                import_jsonl(path, lite)
            seconds = time.perf_counter() - start
        results[name] = {"seconds": seconds, "events_per_s": events / seconds}
    return results


# --- metrics -------------------------------------------------------------------------------


def bench_metrics(url: str, offenders: int) -> dict[str, Any]:
    from offender_journey.io import import_jsonl
    from offender_journey.metrics import compute_store
    from offender_journey.store import SQLiteStore
    from offender_journey.store.postgres import PostgresStore

    path = events_file(offenders)
    sqlite = OUT / "metrics_pg_beside.db"
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{sqlite}{suffix}")
    postgres = fresh_schema(url, "bench_metrics")
    with SQLiteStore(sqlite) as lite:
        import_jsonl(path, lite)
    with PostgresStore(postgres) as store:
        import_jsonl(path, store)
    results: dict[str, Any] = {"events": count_lines(path)}
    for name, target in (("sqlite", str(sqlite)), ("postgresql", postgres)):
        timings = {}
        for step in ("first (builds the fact tables)", "again (tables current)"):
            start = time.perf_counter()
            report = compute_store(target)
            timings[step] = time.perf_counter() - start
        results[name] = {"seconds": timings, "offenders": report.offenders}
    return results


# --- soak ----------------------------------------------------------------------------------


def writer(url: str, number: int, events: int, streams: int) -> None:
    """One writer process: append ``events`` arrests, each to a random shared stream."""
    from offender_journey.errors import ConcurrencyError
    from offender_journey.events import Arrest
    from offender_journey.store.postgres import PostgresStore

    rng = random.Random(number)
    conflicts = 0
    written = []
    with PostgresStore(url, max_connections=1) as store:
        for i in range(events):
            stream = f"S{rng.randrange(streams)}"
            event = Arrest(
                event_id=f"w{number}-{i}",
                offender_id=stream,
                date=dt.date(2014, 1, 1) + dt.timedelta(days=i % 365),
                arrest_id=f"w{number}-{i}",
            )
            while True:
                expected = store.version(stream)
                try:
                    store.append([event], expected_versions={stream: expected})
                except ConcurrencyError:
                    conflicts += 1  # someone appended to the stream in between: try again
                    continue
                break
            written.append(event.event_id)
    print(json.dumps({"written": written, "conflicts": conflicts}))


def soak(url: str, writers: int, events: int, streams: int) -> dict[str, Any]:
    from offender_journey.facts import refresh_facts
    from offender_journey.store.postgres import PostgresStore

    target = fresh_schema(url, "bench_soak")
    store = PostgresStore(target)
    seen: list[int] = []
    lags: list[float] = []
    refreshes = 0
    stop = threading.Event()

    def follow() -> None:
        nonlocal refreshes
        done = 0
        for position, event in store.follow(after=0, stop=stop):
            assert event.recorded_at is not None
            lags.append((dt.datetime.now(dt.UTC) - event.recorded_at).total_seconds())
            seen.append(position)
            if position > done:
                done = refresh_facts(store).position
                refreshes += 1

    follower = threading.Thread(target=follow)
    follower.start()
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "writer", target, str(n), str(events), str(streams)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(writers)
    ]
    outputs = [json.loads(proc.communicate()[0]) for proc in procs]
    if any(proc.returncode for proc in procs):
        stop.set()
        raise RuntimeError("a writer failed")
    writing = time.perf_counter() - started
    head = store.head()
    deadline = time.monotonic() + 120
    while (not seen or seen[-1] < head) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    follower.join()
    written = {event_id for out in outputs for event_id in out["written"]}
    stored = {e.event_id for _, e in store.read_after(0, limit=10**9)}
    checkpoint = refresh_facts(store).start
    store.close()
    skipped = sum(b - a - 1 for a, b in itertools.pairwise([0, *seen]) if b > a + 1)
    return {
        "writers": writers,
        "appends_per_writer": events,
        "streams": streams,
        "events_written": len(written),
        "events_stored": len(stored),
        "conflicts_surfaced": sum(out["conflicts"] for out in outputs),
        "events_lost": len(written - stored),
        "positions_seen": len(seen),
        "positions_skipped": skipped,
        "positions_out_of_order": sum(1 for a, b in itertools.pairwise(seen) if b <= a),
        "head": head,
        "facts_checkpoint": checkpoint,
        "refreshes": refreshes,
        "writing_seconds": writing,
        "appends_per_s": len(written) / writing,
        "lag_median_ms": 1000 * statistics.median(lags) if lags else None,
        "lag_max_ms": 1000 * max(lags) if lags else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["import", "metrics", "soak", "writer"])
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--url", help="an existing database (default: a throw-away server)")
    parser.add_argument("--offenders", type=int, default=2000, help="import/metrics cohort")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--events", type=int, default=500, help="appends per writer")
    parser.add_argument("--streams", type=int, default=20, help="streams the writers share")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    if args.what == "writer":
        url, number, events, streams = args.args
        writer(url, int(number), int(events), int(streams))
        return
    with server_url(args.url) as url:
        if args.what == "import":
            result = bench_import(url, args.offenders)
        elif args.what == "metrics":
            result = bench_metrics(url, args.offenders)
        else:
            result = soak(url, args.writers, args.events, args.streams)
    if args.json:
        print(json.dumps(result))
        return
    save(f"postgres_{args.what}", {"machine": machine(), **result})
    print(json.dumps({"machine": machine(), **result}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
