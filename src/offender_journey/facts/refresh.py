"""Keeping the fact tables up to date with the log, and reading them back.

The tables hold, for every offender, :func:`~offender_journey.facts.derive.derive`
of their whole stream, and ``facts_checkpoint`` holds the store position they
were derived up to. A refresh re-derives only the offenders with an event after
the checkpoint: their old rows are deleted, the new ones inserted and the
checkpoint moved, all in one transaction, so a crash at any point leaves tables
that agree with the log up to their checkpoint.

The writer and the readers work over any DB-API connection given a
:class:`~offender_journey.facts.schema.Dialect`; :func:`refresh` is the SQLite
store's driver (:func:`~offender_journey.facts.follow.refresh_facts` calls it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import StoreBusyError
from ..events import RecordLinked
from ..history import History
from ..persons import Rules, read_rules
from ..progress import Progress, counted
from ..store.base import as_of_micros, collect_young, paused_collection
from ..store.sqlite import SQLiteStore
from ..workers import end_with_parent, memory_shared_with_workers, start_method
from .aggregate import FactSource
from .linked import Unit, history_of, linked_persons
from .schema import (
    SCHEMA_VERSION,
    SQLITE,
    TABLE,
    TABLES,
    Dialect,
    OffenderFacts,
    UnreadableEventRow,
    create_statements,
    drop_index_statements,
    index_statements,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from ..events import Event
    from ..store.base import EventStore
__all__ = [
    "CHECKPOINT",
    "FactsStatus",
    "RefreshReport",
    "checkpoint",
    "drop_restricted",
    "ensure_tables",
    "StoredFacts",
    "auto_jobs",
    "facts_as_of",
    "iter_rows",
    "read_facts",
    "refresh",
    "status",
    "write_facts",
]

#: The ``facts_checkpoint`` row the fact tables' position is kept under.
CHECKPOINT = "facts"

# Offenders derived and written per batch (bounds memory; one transaction throughout).
_BATCH = 500

# Offender ids per look-up of stored facts (below SQLite's limit of bound parameters).
_CHUNK = 500


@attrs.frozen
class RefreshReport:
    """What one refresh did."""

    #: Offenders whose facts were re-derived.
    offenders: int
    #: The checkpoint before and after.
    start: int
    position: int
    seconds: float

    def __str__(self) -> str:
        if self.offenders == 0:
            return f"facts already up to date (position {self.position})"
        return (
            f"facts of {self.offenders} {'offender' if self.offenders == 1 else 'offenders'}"
            f" refreshed, positions {self.start + 1}"
            f"-{self.position}, in {self.seconds:.2f} s"
        )


@attrs.frozen
class FactsStatus:
    """Where the fact tables stand against the log."""

    checkpoint: int
    head: int

    @property
    def current(self) -> bool:
        """Whether every appended event is in the facts."""
        return self.checkpoint >= self.head


# --- SQL over any DB-API connection -------------------------------------------------------


def checkpoint(cursor: Any, dialect: Dialect = SQLITE) -> int:
    """The position the fact tables were derived up to (0: never, or from an older schema).

    On an engine where a failed statement aborts the transaction (PostgreSQL), call
    :func:`ensure_tables` first.
    """
    try:
        cursor.execute(
            "SELECT position, schema_version FROM facts_checkpoint "
            f"WHERE name = {dialect.placeholder}",
            (CHECKPOINT,),
        )
    except Exception as exc:  # the table does not exist yet
        if "facts_checkpoint" in str(exc):
            return 0
        raise
    row = cursor.fetchone()
    if row is None or int(row[1]) != SCHEMA_VERSION:
        return 0
    return int(row[0])


def ensure_tables(cursor: Any, dialect: Dialect = SQLITE) -> None:
    """Create the fact tables; drop and recreate them if made by another schema version."""
    for statement in create_statements(dialect):
        cursor.execute(statement)
    cursor.execute(
        f"SELECT schema_version FROM facts_checkpoint WHERE name = {dialect.placeholder}",
        (CHECKPOINT,),
    )
    row = cursor.fetchone()
    if row is not None and int(row[0]) != SCHEMA_VERSION:
        for table in TABLES:
            cursor.execute(f"DROP TABLE {table.name}")
        cursor.execute(
            f"DELETE FROM facts_checkpoint WHERE name = {dialect.placeholder}", (CHECKPOINT,)
        )
        for statement in create_statements(dialect):
            cursor.execute(statement)


def write_facts(
    cursor: Any,
    offender_ids: Sequence[str],
    facts: Iterable[OffenderFacts],
    position: int,
    dialect: Dialect = SQLITE,
    tables: Collection[str] | None = None,
) -> int:
    """Replace the facts of ``offender_ids`` by ``facts`` and move the checkpoint.

    Call it inside one transaction: the deletes, the inserts and the checkpoint are
    kept together or not at all. ``facts`` may hold fewer offenders than
    ``offender_ids`` (an offender whose events are all gone has none). Only the rows
    of ``tables`` are written (default all: a scratch database keeps only what its
    questions read). Returns the number of offenders written.
    """
    mark = dialect.placeholder
    keys = [(key,) for key in _stored(cursor, offender_ids, dialect)]
    if keys:
        for table in TABLES:
            cursor.executemany(f"DELETE FROM {table.name} WHERE offender_id = {mark}", keys)
    cursor.execute("SELECT 1 FROM unreadable_events LIMIT 1")
    if cursor.fetchone() is not None:  # a stream none of whose rows can be read has no
        text = dialect.to_db.get("text")  # offenders row: its unreadable rows go too
        cursor.executemany(
            f"DELETE FROM unreadable_events WHERE offender_id = {mark}",
            [(o if text is None else text(o),) for o in offender_ids],
        )
    inserts = [
        (
            f"INSERT INTO {t.name} ({', '.join(t.names)}) VALUES ({dialect.marks(len(t.names))})",
            dialect.writer(t),
        )
        for t in TABLES
        if tables is None or t.name in tables
    ]
    written = 0
    # The facts are derived as they are read (a read holds the cycle collector back); the
    # young generations are collected here, once each batch is written and let go, when
    # the least is alive to be scanned (at 1M events, 0.44 s of collecting to 0.05).
    with contextlib.closing(paused_collection(facts, every=None)) as source:
        while batch := list(itertools.islice(source, _BATCH)):
            for sql, convert in inserts:
                if rows := convert(batch):
                    cursor.executemany(sql, rows)
            written += len(batch)
            del batch, rows
            collect_young()
    cursor.execute(
        "INSERT INTO facts_checkpoint (name, position, schema_version) "
        f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT (name) DO UPDATE SET "
        "position = excluded.position, schema_version = excluded.schema_version",
        (CHECKPOINT, position, SCHEMA_VERSION),
    )
    return written


def _stored(cursor: Any, offender_ids: Sequence[str], dialect: Dialect) -> list[str]:
    """The offenders of ``offender_ids`` with facts stored (as stored): only theirs need deleting.

    Every offender with a row in any fact table has its ``offenders`` row, so a first
    refresh (or a batch of new offenders) deletes nothing. Asked in chunks of ids.
    """
    if not offender_ids:
        return []
    cursor.execute("SELECT 1 FROM offenders LIMIT 1")
    if cursor.fetchone() is None:
        return []
    text = dialect.to_db.get("text")
    found: list[str] = []
    for at in range(0, len(offender_ids), _CHUNK):
        chunk = offender_ids[at : at + _CHUNK]
        cursor.execute(
            f"SELECT offender_id FROM offenders WHERE offender_id IN ({dialect.marks(len(chunk))})",
            [o if text is None else text(o) for o in chunk],
        )
        found.extend(row[0] for row in cursor.fetchall())
    return found


def iter_rows(
    connection: Any,
    table: str,
    *,
    columns: Sequence[str] | None = None,
    dialect: Dialect = SQLITE,
) -> Iterator[tuple[Any, ...]]:
    """Every row of one fact table in key order, as Python values (dates as ``date``).

    ``connection`` is a DB-API connection or a store with a ``connection`` attribute.
    Rows are the table's row type (a named tuple); ``columns`` picks and orders the
    columns instead, as plain tuples. Memory: one fetch batch.
    """
    spec = TABLE[table]
    chosen = list(spec.names if columns is None else columns)
    convert = dialect.reader(spec, chosen)
    make = spec.row._make if columns is None else tuple  # type: ignore[attr-defined]

    def read(row: Sequence[Any]) -> tuple[Any, ...]:
        return make(convert(row))

    db = getattr(connection, "connection", connection)
    cursor = db.cursor()
    text = {c.name for c in spec.columns if c.type == "text"}
    order = ", ".join(f"{k}{dialect.collate if k in text else ''}" for k in spec.key)
    cursor.execute(f"SELECT {', '.join(chosen)} FROM {spec.name} ORDER BY {order}")
    while rows := cursor.fetchmany(4096):
        for row in rows:
            yield read(row)


def read_facts(
    connection: Any,
    tables: Iterable[str],
    *,
    skip: frozenset[str] = frozenset(),
    dialect: Dialect = SQLITE,
) -> Iterator[OffenderFacts]:
    """Every offender's stored facts (only ``tables``, always ``offenders``), by offender id.

    ``skip`` leaves out some offenders. One ordered scan per table, merged.
    """
    wanted = [t for t in dict.fromkeys(["offenders", *tables]) if t != "offenders"]
    streams = {
        name: itertools.groupby(iter_rows(connection, name, dialect=dialect), key=_first)
        for name in wanted
    }
    pending: dict[str, tuple[str, list[tuple[Any, ...]]] | None] = {}
    for name, groups in streams.items():
        head = next(groups, None)
        pending[name] = None if head is None else (head[0], list(head[1]))
    for row in iter_rows(connection, "offenders", dialect=dialect):
        offender_id = row[0]
        parts: dict[str, tuple[Any, ...]] = {"offenders": (row,)}
        for name in wanted:
            current = pending[name]
            while current is not None and current[0] < offender_id:
                nxt = next(streams[name], None)
                current = None if nxt is None else (nxt[0], list(nxt[1]))
            if current is not None and current[0] == offender_id:
                parts[name] = tuple(current[1])
                nxt = next(streams[name], None)
                current = None if nxt is None else (nxt[0], list(nxt[1]))
            pending[name] = current
        if offender_id not in skip:
            yield OffenderFacts(offender_id, **parts)


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


# --- the SQLite store's driver -------------------------------------------------------------


def status(store: SQLiteStore) -> FactsStatus:
    """The checkpoint and the head of the log (no writing)."""
    dialect: Dialect = getattr(store, "dialect", SQLITE)
    return FactsStatus(checkpoint(store.connection.cursor(), dialect), store.head())


def refresh(
    store: SQLiteStore, *, jobs: int = 1, progress: Progress | None = None
) -> RefreshReport:
    """Bring the store's fact tables up to date with its log, in one transaction.

    Restricted offenders get no rows, even when events about them arrived meanwhile.
    See :func:`_refresh` for what is re-derived.
    """
    if store.connection.in_transaction:
        jobs = 1  # workers' files could not be detached before the caller's transaction ends
    # A refresh reads streams and writes fact rows in offender order: the store's page
    # cache (SQLite's default, 2 MiB; only imports raise it) does as well as a larger one
    # (measured, at 1M events, whole and with a tenth of the offenders touched) and keeps
    # its memory down; SQLite also sorts a new index in chunks as large as the cache.
    try:
        with store.atomic():
            report = _refresh(store, jobs=jobs, progress=progress)
            if report.offenders:
                drop_restricted(store.connection.cursor())
    finally:
        _detach_parts(store.connection)
    return report


def drop_restricted(cursor: Any) -> None:
    """Remove any fact rows about people restricted now (a refresh may derive them)."""
    for table in TABLES:
        cursor.execute(
            f"DELETE FROM {table.name} WHERE offender_id IN "
            "(SELECT offender_id FROM restrictions WHERE lifted_at IS NULL)"
        )


def _refresh(
    store: SQLiteStore, *, jobs: int = 1, progress: Progress | None = None
) -> RefreshReport:
    """Bring the store's fact tables up to date with its log, in one transaction.

    Only offenders with an event after the checkpoint are re-derived. ``jobs > 1``
    derives in that many processes (over ranges of offender ids), this one among them,
    which writes; 0 (or less) starts as many as the new events are worth
    (:func:`auto_jobs`).
    ``progress`` is told the offenders to derive, then how many are done.

    Works for any store with the SQLite store's ``connection``, ``atomic()``,
    ``head()``, ``read_all``/``read_stream`` and an ``events`` table with a
    ``position`` column; a ``dialect`` attribute (default SQLite) says how to spell SQL.
    """
    began = time.perf_counter()
    dialect: Dialect = getattr(store, "dialect", SQLITE)
    with store.atomic():
        cursor = store.connection.cursor()
        ensure_tables(cursor, dialect)
        start = checkpoint(cursor, dialect)
        head = store.head()
        rules = read_rules(store)
        ruled = rules_changed(cursor, rules, dialect)
        if start >= head and not ruled:
            return RefreshReport(0, start, start, time.perf_counter() - began)
        if jobs < 1:  # automatic: as many processes as the new events are worth
            jobs = auto_jobs(head - start)
        # One read of the new events: each offender's latest, and whether a link decision
        # came. Through the position index when they are few, else in one scan of the table.
        mark = dialect.placeholder
        few = (head - start) * 8 < head and dialect is SQLITE
        by_position = "INDEXED BY events_by_position " if few else ""
        cursor.execute(
            "SELECT offender_id, MAX(position), "
            f"MAX(CASE WHEN type = {mark} THEN 1 ELSE 0 END) FROM events {by_position}"
            f"WHERE position > {mark} GROUP BY offender_id",
            (RecordLinked.TYPE, start),
        )
        latest: dict[str, int] = {}
        linked_since = False
        for offender_id, position, linked in cursor.fetchall():
            latest[offender_id] = int(position)
            linked_since = linked_since or linked == 1
        touched = sorted(latest)
        first_fill = _empty(cursor)
        if first_fill:  # indexes built once the rows are in: quicker than row by row
            for statement in drop_index_statements():
                cursor.execute(statement)
        if holds_links(cursor, start, dialect, linked_since=linked_since):
            groups = regroup(store, cursor, [*touched, *ruled], dialect)
            touched = sorted(groups)
            facts = derive_persons(store, cursor, groups, dialect, progress, rules)
            write_facts(cursor, touched, facts, head, dialect)
        elif jobs > 1 and len(touched) >= 2 * jobs and dialect is SQLITE:
            write_facts(cursor, touched, (), head, dialect)  # the old rows out first
            _derive_in_processes(store, cursor, touched, latest, head, jobs, progress)
        else:
            facts = _derive_streams(store, touched, latest, progress)
            write_facts(cursor, touched, facts, head, dialect)
        if first_fill:
            for statement in index_statements():
                cursor.execute(statement)
        keep_rules(cursor, rules, dialect)
    return RefreshReport(len(touched), start, head, time.perf_counter() - began)


def _empty(cursor: Any) -> bool:
    """Whether every fact table is empty: the store's first refresh, or a new layout's."""
    for table in TABLES:
        cursor.execute(f"SELECT 1 FROM {table.name} LIMIT 1")
        if cursor.fetchone() is not None:
            return False
    return True


#: The ``facts_checkpoint`` row that says which rules the persons' facts were put
#: together under: its ``position`` is the rules' fingerprint, as a number.
RULES = "rules"


def _fingerprint(rules: Rules) -> int:
    return int(rules.fingerprint[:15], 16)  # fits a signed 64-bit integer


def rules_changed(cursor: Any, rules: Rules, dialect: Dialect = SQLITE) -> list[str]:
    """The records of every linked person when ``rules`` differ from those the facts were
    derived under (none kept: the defaults); else nothing. Only a person of several
    sources depends on the rules, and only a linked person can have several."""
    mark = dialect.placeholder
    cursor.execute(f"SELECT position FROM facts_checkpoint WHERE name = {mark}", (RULES,))
    row = cursor.fetchone()
    kept = _fingerprint(Rules()) if row is None else int(row[0])
    if kept == _fingerprint(rules):
        return []
    cursor.execute("SELECT record FROM person_records WHERE offender_id <> record")
    text = dialect.from_db.get("text") or str
    return [text(row[0]) for row in cursor.fetchall()]


def keep_rules(cursor: Any, rules: Rules, dialect: Dialect = SQLITE) -> None:
    """Record that the facts are now put together under ``rules`` (default rules: no row)."""
    mark = dialect.placeholder
    cursor.execute(f"DELETE FROM facts_checkpoint WHERE name = {mark}", (RULES,))
    if rules.fingerprint != Rules().fingerprint:
        cursor.execute(
            "INSERT INTO facts_checkpoint (name, position, schema_version) "
            f"VALUES ({mark}, {mark}, {mark})",
            (RULES, _fingerprint(rules), SCHEMA_VERSION),
        )


# --- persons: the records a link decision touches ----------------------------------------


def holds_links(
    cursor: Any, start: int, dialect: Dialect = SQLITE, *, linked_since: bool | None = None
) -> bool:
    """Whether the facts must follow link decisions: some are kept, or some are new.

    Two look-ups, neither a pass over the streams: a record kept under another person
    in ``person_records``, or a ``record_linked`` appended after position ``start``
    (``linked_since`` when the caller has read the new events already).
    """
    if linked_since is None:
        mark = dialect.placeholder
        cursor.execute(
            f"SELECT 1 FROM events WHERE position > {mark} AND type = {mark} LIMIT 1",
            (start, RecordLinked.TYPE),
        )
        linked_since = cursor.fetchone() is not None
    return linked_since or _kept_linked(cursor)


def regroup(
    store: EventStore, cursor: Any, records: Iterable[str], dialect: Dialect = SQLITE
) -> dict[str, list[str]]:
    """The persons whose facts change when ``records`` changed, each with its records now.

    A record's person was the one ``person_records`` keeps it under and is now the one
    its latest link decision names (else itself): both persons are re-derived, with
    every record they hold now. A person left with no record is in the result with
    none: its facts go. Every other person is untouched.
    """
    changed = sorted(set(records))
    persons = linked_persons(store, records=changed)  # a new decision is a change of its record
    before = _select_in(cursor, "offender_id", "person_records", "record", changed, dialect)
    affected = {person for _, person in before}
    affected.update(persons.get(r, r) for r in changed)
    kept = _select_in(cursor, "record", "person_records", "offender_id", sorted(affected), dialect)
    # A record not changed is still where it was kept: only a new decision moves it.
    involved = {record: person for person, record in kept}
    involved.update({r: persons.get(r, r) for r in changed})
    groups: dict[str, list[str]] = {person: [] for person in affected}
    for record, person in sorted(involved.items()):
        groups[person].append(record)
    return groups


def derive_persons(
    store: EventStore,
    cursor: Any,
    groups: dict[str, list[str]],
    dialect: Dialect = SQLITE,
    progress: Progress | None = None,
    rules: Rules | None = None,
) -> Iterator[OffenderFacts]:
    """Derive each person of ``groups`` from their records' streams (now) under ``rules``
    (default: the store's), positions filled in."""
    from .derive import derive  # not at the top: reading up-to-date tables never derives

    rules = read_rules(store) if rules is None else rules
    records = [r for members in groups.values() for r in members]
    latest = dict(
        _select_in(cursor, "MAX(position)", "events", "offender_id", records, dialect, group=True)
    )
    skipped = getattr(store, "skipped", None)  # rows a read could not make events of
    for person in counted(sorted(groups), progress, len(groups), "refreshing facts"):
        streams = {r: events for r in groups[person] if (events := store.read_stream(r))}
        unreadable = tuple(
            row._replace(offender_id=person)  # the person's, like every fact row
            for record in groups[person]
            for row in _unreadable(skipped, record)
        )
        if streams:  # a person whose records are all gone (or hidden) has no facts
            facts = derive(history_of(person, streams, rules=rules))
            facts = _with_position(facts, max(int(latest.get(r, 0)) for r in streams))
            yield attrs.evolve(facts, unreadable_events=unreadable) if unreadable else facts
        elif unreadable:
            yield OffenderFacts(person, unreadable_events=unreadable)


def _select_in(
    cursor: Any,
    column: str,
    table: str,
    by: str,
    values: Sequence[str],
    dialect: Dialect,
    *,
    group: bool = False,
) -> list[tuple[str, Any]]:
    """``(by, column)`` of the rows whose ``by`` is one of ``values``, asked in chunks."""
    text_in = dialect.to_db.get("text")
    text_out = dialect.from_db.get("text")
    found: list[tuple[str, Any]] = []
    tail = f" GROUP BY {by}" if group else ""
    for at in range(0, len(values), _CHUNK):
        chunk = values[at : at + _CHUNK]
        cursor.execute(
            f"SELECT {by}, {column} FROM {table} WHERE {by} IN ({dialect.marks(len(chunk))}){tail}",
            [v if text_in is None else text_in(v) for v in chunk],
        )
        for key, value in cursor.fetchall():
            key = key if text_out is None else text_out(key)
            if isinstance(value, str) and text_out is not None:
                value = text_out(value)
            found.append((key, value))
    return found


#: Offenders whose stored facts cannot answer as of ``?``: an event recorded after it, or
#: one recorded in the future when the facts were made (judged afresh at query time).
LATE = (
    "SELECT offender_id FROM offenders "
    "WHERE latest_recorded_at > {mark} OR future_recorded_at IS NOT NULL"
)


def auto_jobs(events: int) -> int:
    """Processes worth starting for ``events`` events to fold: every core from 200,000."""
    return (os.cpu_count() or 1) if events >= 200_000 else 1


class StoredFacts:
    """A store's fact tables, ready to answer as of a time (close it, or use ``with``).

    ``source`` aggregates over the tables with the ``late`` persons left out;
    :meth:`read` yields persons' rows (late ones left out too). A person is late when
    their stored rows cannot answer as of ``as_of``: an event recorded after it (or one
    recorded in the future when their facts were made), or records linked otherwise
    then than now. :meth:`streams` reads the persons as they stood at ``as_of``, each
    with their records' streams, to be derived afresh in place of the late ones.
    """

    def __init__(
        self,
        source: FactSource,
        late: Sequence[str],
        read: Callable[[tuple[str, ...]], Iterator[OffenderFacts]],
        stream: Callable[[str], Sequence[Event]],
        close: Callable[[], None],
        persons: Mapping[str, Sequence[str]] | None = None,
        rules: Rules | None = None,
    ) -> None:
        self.source = source
        #: The rules the persons derived afresh are put together under.
        self.rules = rules
        self.late = tuple(late)
        #: The persons to derive afresh, each with their records (default: the late ones,
        #: each the one record of the same key).
        self.persons = {p: [p] for p in self.late} if persons is None else dict(persons)
        self._read = read
        self._stream = stream
        self._close = close

    def read(self, tables: Iterable[str]) -> Iterator[OffenderFacts]:
        """Every stored person's rows of ``tables`` (and ``offenders``), by person id."""
        return self._read(tuple(tables))

    def streams(self) -> Iterator[Unit]:
        """The persons to derive afresh, their records' streams cut at ``as_of``."""
        for person, records in self.persons.items():
            yield person, {record: self._stream(record) for record in records}

    def close(self) -> None:
        """Release the connections."""
        self._close()

    def __enter__(self) -> StoredFacts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def late_persons(
    store: EventStore, cursor: Any, as_of: dt.datetime | None, dialect: Dialect = SQLITE
) -> tuple[list[str], dict[str, list[str]]]:
    """The stored persons that cannot answer as of ``as_of``, and the persons to derive instead.

    Without link decisions: the persons (records) with an event recorded after ``as_of``
    (or in the future when derived), each derived afresh from its own stream. With them,
    the links as they stood at ``as_of`` decide: a stored person whose records were
    linked otherwise then is late too, and the persons of then are derived from every
    record they held, until the stored persons left out and the persons derived cover
    the same records.
    """
    cursor.execute(LATE.format(mark=dialect.placeholder), (as_of_micros(as_of),))
    text = dialect.from_db.get("text") or str
    late = {text(row[0]) for row in cursor.fetchall()}
    if not _kept_linked(cursor):  # the tables are current: no link decisions, then or now
        return sorted(late), {p: [p] for p in sorted(late)}
    mark = dialect.placeholder
    cursor.execute(
        f"SELECT 1 FROM person_records WHERE linked_at > {mark} LIMIT 1", (as_of_micros(as_of),)
    )
    relinked = cursor.fetchone() is not None
    cursor.execute("SELECT record, offender_id FROM person_records")
    kept = {text(record): text(person) for record, person in cursor.fetchall()}
    if not relinked:  # every record was where it is now: the late persons as they are
        held: dict[str, list[str]] = defaultdict(list)
        for record, person in sorted(kept.items()):
            if person in late:
                held[person].append(record)
        return sorted(late), {p: held[p] or [p] for p in sorted(late)}
    then = linked_persons(store, as_of)
    records = {*kept, *then}
    person_then = {r: then.get(r, r) for r in records}
    held_then: dict[str, list[str]] = defaultdict(list)
    held_now: dict[str, list[str]] = defaultdict(list)
    for record in sorted(records):
        held_then[person_then[record]].append(record)
        if record in kept:
            held_now[kept[record]].append(record)
    skip = late | {kept[r] for r in kept if person_then[r] != kept[r]}
    derive = {person_then[r] for r in records if r not in kept}
    while True:
        derive |= {person_then[r] for p in skip for r in held_now[p]}
        more = {kept[r] for p in derive for r in held_then[p] if r in kept} - skip
        if not more:
            break
        skip |= more
    return sorted(skip), {p: held_then[p] for p in sorted(derive)}


def _kept_linked(cursor: Any) -> bool:
    """Whether ``person_records`` keeps some record under another person (a link)."""
    cursor.execute("SELECT 1 FROM person_records WHERE offender_id <> record LIMIT 1")
    return cursor.fetchone() is not None


def facts_as_of(
    path: str | os.PathLike[str],
    as_of: dt.datetime | None,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> StoredFacts | None:
    """The store's fact tables, able to answer as of ``as_of``.

    The tables are refreshed first if they are behind the log (``jobs`` processes; 0:
    as many as the new events are worth; ``progress`` follows it). ``None`` when the
    tables cannot answer well: they are behind and the store is read-only (or locked by
    a writer), or ``as_of`` is so far back that most offenders would be derived afresh
    anyway.
    """
    # Another process writing: fold at once instead of waiting for it.
    store = SQLiteStore(path, create=False, busy_timeout=0)
    try:
        now = status(store)
        # A store whose tables were never made (its only import rejected every line, or
        # was killed) is "current" at position 0 and still has no tables to read.
        made = store.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'offenders'"
        ).fetchone()
        if not now.current or made is None:
            try:
                refresh(store, jobs=jobs, progress=progress)
            except StoreBusyError:
                store.close()
                return None
            except sqlite3.OperationalError as exc:
                # A read-only copy, or another process writing: fold instead of waiting.
                message = str(exc).replace("-", "")
                if "readonly" not in message and "locked" not in message:
                    raise
                store.close()
                return None
        db = store.connection
        late, persons = late_persons(store, db.cursor(), as_of)
        if late and len(late) * 10 > db.execute("SELECT COUNT(*) FROM offenders").fetchone()[0]:
            store.close()
            return None
    except BaseException:
        store.close()
        raise
    skip = frozenset(late)
    return StoredFacts(
        FactSource(db, SQLITE, late),
        late,
        lambda tables: read_facts(db, tables, skip=skip),
        lambda offender_id: store.read_stream(offender_id, as_of=as_of),
        store.close,
        persons,
        read_rules(store),
    )


def _with_position(facts: OffenderFacts, position: int) -> OffenderFacts:
    (row,) = facts.offenders
    return attrs.evolve(facts, offenders=(row._replace(position=position),))


def _derive_streams(
    store: EventStore,
    touched: Sequence[str],
    latest: dict[str, int],
    progress: Progress | None = None,
    *,
    scan: bool | None = None,
) -> Iterator[OffenderFacts]:
    """Derive the touched offenders: one scan when many are touched, else stream by stream.

    ``scan`` makes the choice for a share of a larger refresh (which reads its range in one
    scan when the whole refresh would).
    """
    from .derive import derive  # not at the top: reading up-to-date tables never derives

    wanted = set(touched)
    if scan is None:
        scan = _scans(store, touched)
    if scan:
        first, stop = touched[0], touched[-1] + "\0"
        streams: Iterable[tuple[str, Sequence[Any]]] = (
            (o, events) for o, events in store.read_all(offenders=(first, stop)) if o in wanted
        )
    else:
        streams = ((o, store.read_stream(o)) for o in touched)
    skipped = getattr(store, "skipped", None)  # rows a read could not make events of
    # The streams given with unreadable rows; a stream with some that was not given at
    # all is one a scan left out (none of its rows could be read). Only these few are
    # remembered, not every offender derived.
    given_unreadable: set[str] = set()
    for offender_id, events in counted(streams, progress, len(touched), "refreshing facts"):
        unreadable = _unreadable(skipped, offender_id)
        if unreadable:
            given_unreadable.add(offender_id)
            if not events:  # nothing of this stream can be read back
                yield OffenderFacts(offender_id, unreadable_events=unreadable)
                continue
        facts = _with_position(derive(History.build(offender_id, events)), latest[offender_id])
        yield attrs.evolve(facts, unreadable_events=unreadable) if unreadable else facts
    for offender_id in touched:  # streams a scan left out: no row of theirs could be read
        if offender_id not in given_unreadable and (
            unreadable := _unreadable(skipped, offender_id)
        ):
            yield OffenderFacts(offender_id, unreadable_events=unreadable)


def _scans(store: EventStore, touched: Sequence[str]) -> bool:
    """Whether to read ``touched`` in one scan of their range rather than stream by stream."""
    return len(touched) * 4 >= store.count_offenders()


def _unreadable(
    skipped: Callable[[str], Sequence[UnreadableEventRow]] | None, offender_id: str
) -> tuple[UnreadableEventRow, ...]:
    """The stored rows of ``offender_id`` that a read had to skip (its fact rows)."""
    return () if skipped is None else tuple(skipped(offender_id))


#: The name of a parallel refresh's directory of workers' files, in the temporary directory.
_REFRESH_DIR = "offender-journey-refresh"

#: The name each worker's file of facts is attached under for the copy: ``part0``, ``part1``...
_PART = "part"

#: This worker process's file of derived facts, and the store (see :func:`_open_part`).
_part: sqlite3.Connection | None = None
_store: SQLiteStore | None = None


def _open_part(directory: str, path: str) -> None:
    """Open the store at ``path``, and make this worker's own fact tables in ``directory``.

    The fact tables are in a new SQLite file: no indexes (the file is only copied from)
    and no journal (a failed refresh throws it away); readable by its owner only, as the
    store is. Both stay open for all the shares this worker derives. Should the command
    be killed outright, the worker removes its file (and the directory, once empty) and
    ends (see :func:`~offender_journey.workers.end_with_parent`).
    """
    global _part, _store  # one of each per worker process, for all of its shares
    _store = SQLiteStore(path, create=False)
    file = os.path.join(directory, f"{_PART}-{os.getpid()}.db")
    os.close(os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    end_with_parent(functools.partial(_remove_part, file))
    _part = sqlite3.connect(file, isolation_level=None)
    _part.execute("PRAGMA journal_mode = OFF")
    _part.execute("PRAGMA synchronous = OFF")
    for statement in create_statements(SQLITE, indexes=False):
        _part.execute(statement)


def _remove_part(file: str) -> None:
    """Remove a worker's file of facts, and its directory if no other file is left there."""
    with contextlib.suppress(OSError):
        os.remove(file)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(file))


def _derive_range(touched: list[str], latest: dict[str, int], scan: bool) -> str:
    """Derive ``touched`` (one share) into this worker's file of facts; that file's path."""
    assert _part is not None, "a worker's file is made when it starts"
    assert _store is not None
    cursor = _part.cursor()
    cursor.execute("BEGIN")
    write_facts(cursor, [], _derive_streams(_store, touched, latest, scan=scan), 0)
    cursor.execute("COMMIT")
    return str(_part.execute("PRAGMA database_list").fetchone()[2])


def _derive_in_processes(
    store: SQLiteStore,
    cursor: Any,
    touched: list[str],
    latest: dict[str, int],
    head: int,
    jobs: int,
    progress: Progress | None = None,
) -> None:
    """Derive the touched offenders in ``jobs`` processes, this one included, into ``cursor``.

    The touched offenders are cut into shares. ``jobs - 1`` worker processes each write
    the shares they are given into a SQLite file of their own, while this process derives
    shares too and writes them at ``cursor``, as the serial refresh does: its rows need
    no copying, and one process fewer is started. Once all are done, each worker's file
    is attached and its rows copied with ``INSERT … SELECT``, so they never pass through
    Python here (SQLite copies them, inside the caller's transaction; the files' tables
    are made by the same statements as the store's, so ``SELECT *`` matches column for
    column). The files are in a private temporary directory, removed at the end;
    :func:`_detach_parts` lets them go once the transaction is over. Its name carries this
    process's id, so should everything be killed before it is removed, the next parallel
    refresh removes it (see :func:`~offender_journey.workfiles.private_dir`).
    """
    # start-up: worker processes only when asked for
    import shutil
    from concurrent.futures import ProcessPoolExecutor

    from ..workfiles import private_dir

    # Every worker's file is attached at once: no more workers than SQLite attaches.
    attachable = cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)
    workers = max(1, min(jobs, os.cpu_count() or 1, attachable + 1) - 1)
    tmp = str(private_dir(_REFRESH_DIR))
    try:
        with (
            memory_shared_with_workers(),
            ProcessPoolExecutor(
                max_workers=workers,
                mp_context=start_method(),
                initializer=_open_part,
                initargs=(tmp, store.path),
            ) as pool,
        ):
            done = counted(
                _share_out(store, cursor, pool, workers, touched, latest, head),
                progress,
                len(touched),
                "refreshing facts",
                size=_first,
            )
            files = {file for _, file in done if file is not None}
        for i, file in enumerate(sorted(files)):
            cursor.execute(f"ATTACH DATABASE ? AS {_PART}{i}", (file,))
            for t in TABLES:
                cursor.execute(f"INSERT INTO main.{t.name} SELECT * FROM {_PART}{i}.{t.name}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _share_out(
    store: SQLiteStore,
    cursor: Any,
    pool: ProcessPoolExecutor,
    workers: int,
    touched: list[str],
    latest: dict[str, int],
    head: int,
) -> Iterator[tuple[int, str | None]]:
    """Derive ``touched`` share by share, in ``pool`` and here: each share's size as it is
    done, with the file a worker wrote it into (``None`` for a share written here).

    Each worker is kept a share ahead (one running, one waiting), and this process takes
    the next share whenever they are, so neither core waits for the other until the
    last shares.
    """
    from concurrent.futures import FIRST_COMPLETED, wait  # with the pool: not at start-up

    scan = _scans(store, touched)  # every share is read as the whole refresh would be
    low, high = 0, len(touched)  # the offenders not given out yet: touched[low:high]

    def share(last: bool) -> list[str]:
        """The next offenders to derive, from the end of those left if ``last``: a part of
        them, smaller as fewer are left, so the last shares end close together."""
        nonlocal low, high
        size = min(_BATCH, (high - low) // ((workers + 1) * 4) + 1)
        if last:
            high -= size
            return touched[high : high + size]
        low += size
        return touched[low - size : low]

    running: dict[Future[str], int] = {}
    while low < high or running:
        while low < high and len(running) < 2 * workers:
            theirs = share(last=True)
            future = pool.submit(_derive_range, theirs, {o: latest[o] for o in theirs}, scan)
            running[future] = len(theirs)
        if low < high:
            ours = share(last=False)
            write_facts(cursor, [], _derive_streams(store, ours, latest, scan=scan), head)
            yield len(ours), None
            finished: Iterable[Future[str]] = [f for f in running if f.done()]
        else:
            finished = wait(running, return_when=FIRST_COMPLETED).done
        for future in finished:
            yield running.pop(future), future.result()


def _detach_parts(connection: sqlite3.Connection) -> None:
    """Detach the workers' files of facts (possible only outside a transaction)."""
    attached = [row[1] for row in connection.execute("PRAGMA database_list")]
    for name in attached:
        if name.startswith(_PART) and name[len(_PART) :].isdigit():
            connection.execute(f"DETACH DATABASE {name}")
