"""What the storage alone costs an event: the floor under `ingest` and a re-fold.

    python bench/bench_floor.py                           # about 1,000,000 events
    python bench/bench_floor.py --jsonl FILE --store STORE.db

``STORE.db`` holds ``FILE``'s events and their fact tables (``ingest FILE --store
STORE.db``; made when missing). Each step below is only the work no design of the folds
can avoid while the events and the facts are kept in SQLite and handled in Python, timed
in CPU seconds in this process with everything it needs prepared beforehand (not timed):

- **parse**: ``orjson.loads`` of every line of the file, nothing checked;
- **store events**: the stored events' rows inserted into a new store's ``events`` table
  (its own keys and indexes), one transaction;
- **read back**: every stored event's columns fetched in stream order, and its JSON parsed;
- **read columns**, two layouts the events could be kept in instead, so that no JSON is
  parsed on reading (each built from the store beforehand, not timed; only the rows are
  fetched, in stream order, nothing converted): **one wide table** of every field of every
  event type as a column of its own, and **a table per type** holding only that type's
  fields;
- **write facts**: every fact row inserted into empty fact tables, indexes built after,
  one transaction.

``ingest`` with the fact tables needs at least parse + store events + read back + write
facts; a full re-fold at least read back. Divided by the events, each is set beside the
time per event a target leaves. The two column layouts show what a fold over stored columns
would read at the least, against reading back the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from measure import OUT, count_lines, events_file, machine, save

from offender_journey.facts.schema import SQLITE, TABLES, create_statements, index_statements
from offender_journey.store.sqlite import _COLUMNS_UTF8, _FETCH, SQLiteStore

#: What a read of streams selects (the store's own columns: payloads as UTF-8 bytes).
READ = f"SELECT {_COLUMNS_UTF8} FROM events ORDER BY offender_id, version"


def cpu(step: Any, *args: Any) -> float:
    began = time.process_time()
    step(*args)
    return time.process_time() - began


def parse(path: Path) -> None:
    loads = orjson.loads
    with open(path, "rb") as handle:
        for line in handle:
            loads(line)


def store_events(rows: list[tuple[Any, ...]], columns: list[str], target: Path) -> None:
    store = SQLiteStore(target)
    db = store.connection
    marks = ", ".join("?" * len(columns))
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO events ({', '.join(columns)}) VALUES ({marks})", rows)
    db.execute("COMMIT")
    store.close()


def read_back(db: sqlite3.Connection) -> None:
    loads = orjson.loads
    cursor = db.execute(READ)
    while rows := cursor.fetchmany(_FETCH):
        for row in rows:
            loads(row[2])


def column_layouts(source: sqlite3.Connection, target: Path) -> list[str]:
    """Every stored event's fields as columns, in a wide table and in a table per type.

    A nested object's fields become columns of their own (``offence_code``); a list is
    kept as its JSON text. Values stay as the JSON gave them (dates as text). Each table is
    clustered by stream, as ``events`` is. Returns the per-type tables' names.
    """
    columns: dict[str, dict[str, None]] = {}  # type -> its fields, in the order met
    rows: list[tuple[str, int, dict[str, Any]]] = []
    for offender_id, version, payload in source.execute(
        "SELECT offender_id, version, payload FROM events ORDER BY offender_id, version"
    ):
        flat: dict[str, Any] = {}
        for key, value in orjson.loads(payload).items():
            if key == "offender_id":  # the key column
                continue
            if isinstance(value, dict):
                flat.update((f"{key}_{inner}", v) for inner, v in value.items())
            else:
                flat[key] = orjson.dumps(value).decode() if isinstance(value, list) else value
        columns.setdefault(flat["type"], {}).update(dict.fromkeys(flat))
        rows.append((offender_id, version, flat))
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("BEGIN")
    tables = {"wide": list(dict.fromkeys(f for fields in columns.values() for f in fields))}
    tables.update((f"type_{kind}", list(fields)) for kind, fields in columns.items())
    for table, fields in tables.items():
        names = ", ".join(f'"{f}"' for f in fields)
        db.execute(
            f'CREATE TABLE "{table}" (offender_id, version, {names},'
            " PRIMARY KEY (offender_id, version)) WITHOUT ROWID"
        )
    for table, fields in tables.items():
        kind = table.removeprefix("type_")
        marks = ", ".join("?" * (len(fields) + 2))
        db.executemany(
            f'INSERT INTO "{table}" VALUES ({marks})',
            (
                (offender_id, version, *map(flat.get, fields))
                for offender_id, version, flat in rows
                if table == "wide" or flat["type"] == kind
            ),
        )
    db.execute("COMMIT")
    db.close()
    return [table for table in tables if table != "wide"]


def read_columns(db: sqlite3.Connection, tables: list[str]) -> None:
    for table in tables:
        cursor = db.execute(f'SELECT * FROM "{table}" ORDER BY offender_id, version')
        while cursor.fetchmany(_FETCH):
            pass


def write_facts(facts: dict[str, list[tuple[Any, ...]]], target: Path) -> None:
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    for statement in create_statements(SQLITE, indexes=False):
        db.execute(statement)
    for table in TABLES:
        rows = facts[table.name]
        if rows:
            marks = ", ".join("?" * len(table.names))
            db.executemany(f"INSERT INTO {table.name} VALUES ({marks})", rows)
    for statement in index_statements():
        db.execute(statement)
    db.execute("COMMIT")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jsonl", help="events file (default: synth, 19,200 offenders, seed 7)")
    parser.add_argument("--store", help="a store of its events and facts (made when missing)")
    parser.add_argument("--quick", action="store_true", help="about 10,000 events")
    args = parser.parse_args()
    jsonl = Path(args.jsonl) if args.jsonl else events_file(192 if args.quick else 19200, seed=7)
    store = Path(args.store) if args.store else OUT / f"{jsonl.stem}_facts.db"
    if not store.exists():
        command = [sys.executable, "-m", "offender_journey", "ingest", str(jsonl)]
        subprocess.run([*command, "--store", str(store)], env=dict(os.environ), check=True)
    events = count_lines(jsonl)
    source = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    seconds: dict[str, float] = {"parse": cpu(parse, jsonl)}
    with tempfile.TemporaryDirectory() as tmp:
        columns = [row[1] for row in source.execute("PRAGMA table_info(events)")]
        rows = source.execute(f"SELECT {', '.join(columns)} FROM events").fetchall()
        seconds["store events"] = cpu(store_events, rows, columns, Path(tmp) / "events.db")
        del rows
        seconds["read back"] = cpu(read_back, source)
        per_type = column_layouts(source, Path(tmp) / "columns.db")
        layouts = sqlite3.connect(Path(tmp) / "columns.db")
        seconds["read columns: one wide table"] = cpu(read_columns, layouts, ["wide"])
        seconds["read columns: a table per type"] = cpu(read_columns, layouts, per_type)
        layouts.close()
        facts = {t.name: source.execute(f"SELECT * FROM {t.name}").fetchall() for t in TABLES}
        rows_written = sum(len(v) for v in facts.values())
        seconds["write facts"] = cpu(write_facts, facts, Path(tmp) / "facts.db")
        del facts
    per_event = {name: s / events * 1e6 for name, s in seconds.items()}
    floor = ("parse", "store events", "read back", "write facts")
    ingest = sum(per_event[name] for name in floor)
    print(f"{events:,} events, {rows_written:,} fact rows")
    for name, s in seconds.items():
        print(f"{name:>30}: {s:6.2f} CPU s, {per_event[name]:5.2f} µs an event")
    print(f"ingest floor: {ingest:5.2f} µs an event (the target leaves 10.0: 100,000 a CPU s)")
    print(
        f"re-fold floor: {per_event['read back']:5.2f} µs an event "
        "(the target leaves 4.0: 250,000 a CPU s)"
    )
    result = {"events": events, "fact_rows": rows_written, "cpu_seconds": seconds}
    save("floor", {"machine": machine(), **result})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
