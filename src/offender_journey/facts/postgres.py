"""The fact tables of a PostgreSQL store: the same tables, refresh and reads as SQLite's.

The tables live beside ``events`` in the store's schema, typed by the
:data:`~offender_journey.facts.schema.POSTGRESQL` dialect (``DATE``, ``BOOLEAN``).
A refresh is one transaction that holds an advisory lock, so two followers never
interleave, and writes the rows and the checkpoint together: a follower killed at any
moment leaves tables that agree with the log up to their checkpoint, and resumes there.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import time
from typing import Any

import psycopg
from psycopg import sql

from ..errors import StoreError
from ..persons import read_rules
from ..progress import Progress
from ..store.base import as_of_micros
from ..store.postgres import FACTS_LOCK, PostgresStore, unkey
from ..store.privacy import VISIBLE
from .aggregate import FactSource
from .refresh import (
    LATE,
    FactsStatus,
    RefreshReport,
    StoredFacts,
    _derive_streams,
    checkpoint,
    derive_persons,
    ensure_tables,
    holds_links,
    keep_rules,
    late_persons,
    read_facts,
    regroup,
    rules_changed,
    write_facts,
)
from .schema import POSTGRESQL, SCHEMA_VERSION, TABLES

__all__ = ["ROLES", "create_roles", "facts_as_of", "refresh", "roles_script", "status"]

#: The group roles :func:`create_roles` sets up: writer, follower, reader.
ROLES = ("offender_journey_writer", "offender_journey_follower", "offender_journey_reader")


def status(store: PostgresStore) -> FactsStatus:
    """The checkpoint and the head of the log (no writing)."""
    with store.borrow() as conn:
        exists = conn.execute("SELECT to_regclass('facts_checkpoint')").fetchone()
        done = 0 if exists == (None,) else checkpoint(conn.cursor(), POSTGRESQL)
    return FactsStatus(done, store.head())


def _reads_events(url: str) -> bool:
    """Whether this role may read the events (a reader role may not)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT to_regclass('events') IS NULL OR has_table_privilege('events', 'SELECT')"
        ).fetchone()
    return bool(row and row[0])


def _as_left(url: str, as_of: dt.datetime | None) -> StoredFacts:
    """The fact tables as the follower last wrote them, for a role that may read only them.

    Offenders with events recorded after ``as_of`` (or in the future) would need their
    events, which this role may not read: asking so is refused, naming the roles that may.
    """
    reader = psycopg.connect(url)
    try:
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        if reader.execute("SELECT to_regclass('offenders')").fetchone() == (None,):
            raise StoreError(
                "the fact tables have not been made yet: run `offender-journey follow` "
                "(as the follower) first"
            )
        late = [
            unkey(row[0]) for row in reader.execute(LATE.format(mark="%s"), (as_of_micros(as_of),))
        ]
        if late:
            raise StoreError(
                f"{len(late)} offender(s) have events recorded after {as_of or 'now'}, which "
                "only the owner, the writer and the follower may read: ask as of a later "
                "time, or as one of them"
            )
        relinked = reader.execute(
            "SELECT COUNT(*) FROM person_records WHERE linked_at > %s", (as_of_micros(as_of),)
        ).fetchone()
        if relinked and relinked[0]:
            raise StoreError(
                f"{relinked[0]} source record(s) were linked after {as_of or 'now'}: the "
                "persons as they stood then need the events, which only the owner, the "
                "writer and the follower may read: ask as of a later time, or as one of them"
            )
    except BaseException:
        reader.close()
        raise
    stored = _ServerCursors(reader)

    def no_events(offender_id: str) -> Any:
        raise StoreError("this role reads the fact tables only, not the events")

    return StoredFacts(
        FactSource(reader, POSTGRESQL, ()),
        (),
        lambda tables: read_facts(stored, tables, dialect=POSTGRESQL),
        no_events,
        stored.close,
    )


def may_refresh(store: PostgresStore) -> bool:
    """Whether this role may write the fact tables (or, before there are any, make them)."""
    with store.borrow() as conn:
        row = conn.execute(
            "SELECT CASE WHEN to_regclass('facts_checkpoint') IS NULL"
            " THEN has_schema_privilege(current_schema(), 'CREATE')"
            " ELSE has_table_privilege('facts_checkpoint', 'UPDATE') END"
        ).fetchone()
    return bool(row and row[0])


def refresh(store: PostgresStore, progress: Progress | None = None) -> RefreshReport:
    """Bring the fact tables up to date with the log, in one transaction.

    Only offenders with an event after the checkpoint are re-derived. Followers
    running at once take turns (an advisory lock held by the transaction).
    ``progress`` is told the offenders to derive, then how many are done.
    """
    began = time.perf_counter()
    rules = read_rules(store)  # before the transaction: a failed read would abort it
    with store.atomic(), store.borrow() as conn:
        conn.execute(FACTS_LOCK)
        cursor = conn.cursor()
        _ensure_tables(conn)
        start = checkpoint(cursor, POSTGRESQL)
        head = store.head()
        ruled = rules_changed(cursor, rules, POSTGRESQL)
        if start >= head and not ruled:
            return RefreshReport(0, start, start, time.perf_counter() - began)
        # Restricted people are left out: they have no facts until the restriction is lifted.
        rows = conn.execute(
            "SELECT offender_id, MAX(position) FROM events WHERE position > %s AND position <= %s"
            f" AND {VISIBLE} GROUP BY offender_id",
            (start, head),
        ).fetchall()
        latest = {unkey(offender_id): position for offender_id, position in rows}
        touched = sorted(latest)
        if holds_links(cursor, start, POSTGRESQL):
            groups = regroup(store, cursor, [*touched, *ruled], POSTGRESQL)
            touched = sorted(groups)
            facts = derive_persons(store, cursor, groups, POSTGRESQL, progress, rules)
        else:
            facts = _derive_streams(store, touched, latest, progress)
        write_facts(cursor, touched, facts, head, POSTGRESQL)
        keep_rules(cursor, rules, POSTGRESQL)
    return RefreshReport(len(touched), start, head, time.perf_counter() - began)


def roles_script() -> str:
    """The SQL that sets up the roles (``store/postgres_roles.sql``, fact tables filled in)."""
    text = importlib.resources.files("offender_journey.store").joinpath("postgres_roles.sql")
    tables = ", ".join([t.name for t in TABLES] + ["facts_checkpoint"])
    return text.read_text(encoding="utf-8").replace("{fact_tables}", tables)


def create_roles(store: PostgresStore) -> None:
    """Create the fact tables if need be, then the roles and their grants (as the owner).

    Raises:
        psycopg.errors.InsufficientPrivilege: the connection's role cannot create roles
        or does not own the tables.
    """
    with store.atomic(), store.borrow() as conn:
        _ensure_tables(conn)
        conn.execute(roles_script().encode())


#: The privileges a fact table may have been granted (by ``pg-roles`` or by hand).
_PRIVILEGES = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
)


def _ensure_tables(conn: psycopg.Connection[Any]) -> None:
    """Create the fact tables if need be, keeping what was granted on them.

    A new facts layout drops and recreates the tables; the roles given access to the
    old ones (the reader, the follower) are given the same access to the new ones in
    the same transaction, so an upgrade does not lock analysts out.
    """
    if _tables_current(conn):
        return
    names = [t.name for t in TABLES]
    granted = conn.execute(
        "SELECT c.relname, r.rolname, a.privilege_type "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
        "JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s) "
        "AND a.grantee <> c.relowner",
        (names,),
    ).fetchall()
    ensure_tables(conn.cursor(), POSTGRESQL)
    for table, role, privilege in granted:
        if privilege in _PRIVILEGES:
            conn.execute(
                sql.SQL("GRANT {} ON {} TO {}").format(
                    sql.SQL(privilege), sql.Identifier(table), sql.Identifier(role)
                )
            )


def _tables_current(conn: psycopg.Connection[Any]) -> bool:
    """Whether the fact tables exist, at this schema version once written (nothing to create).

    Checked first because ``CREATE TABLE IF NOT EXISTS`` needs the right to create in
    the schema even when the table is there, which a follower's role need not have.
    """
    if conn.execute("SELECT to_regclass('facts_checkpoint')").fetchone() == (None,):
        return False
    row = conn.execute(
        "SELECT schema_version FROM facts_checkpoint WHERE name = 'facts'"
    ).fetchone()
    return row is None or int(row[0]) == SCHEMA_VERSION


class _ServerCursors:
    """A connection whose cursors are server-side: fact tables are read a batch at a time."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._opened: list[psycopg.ServerCursor[Any]] = []

    def cursor(self) -> psycopg.ServerCursor[Any]:
        self._opened.append(self._conn.cursor(name=f"facts_{len(self._opened) + 1}"))
        return self._opened[-1]

    def close(self) -> None:
        """Close every cursor handed out, then the connection."""
        for cursor in self._opened:
            cursor.close()
        self._conn.close()


def facts_as_of(
    url: str, as_of: dt.datetime | None, *, progress: Progress | None = None
) -> StoredFacts | None:
    """The store's fact tables, able to answer as of ``as_of``.

    The tables are refreshed first if they are behind the log; the answer reads one
    snapshot of them. ``None`` when the tables cannot answer well: they are behind and
    this role may not write them, or ``as_of`` is so far back that most offenders would
    be derived afresh anyway. A reader role, which may read the fact tables and nothing
    else, gets them as the follower last left them.
    """
    if not _reads_events(url):
        return _as_left(url, as_of)
    store = PostgresStore(url)
    reader: psycopg.Connection[Any] | None = None
    try:
        if not status(store).current:
            try:
                refresh(store, progress)
            except psycopg.errors.InsufficientPrivilege:
                store.close()
                return None
        reader = psycopg.connect(url)
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        late, persons = late_persons(store, reader.cursor(), as_of, POSTGRESQL)
        row = reader.execute("SELECT COUNT(*) FROM offenders").fetchone()
        if late and row is not None and len(late) * 10 > int(row[0]):
            reader.close()
            store.close()
            return None
    except BaseException:
        if reader is not None:
            reader.close()
        store.close()
        raise
    stored = _ServerCursors(reader)
    skip = frozenset(late)

    def close() -> None:
        stored.close()
        store.close()

    return StoredFacts(
        FactSource(reader, POSTGRESQL, late),
        late,
        lambda tables: read_facts(stored, tables, skip=skip, dialect=POSTGRESQL),
        lambda offender_id: store.read_stream(offender_id, as_of=as_of),
        close,
        persons,
        read_rules(store),
    )
