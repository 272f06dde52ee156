"""Events in PostgreSQL, for services: many writers on many hosts, live followers, roles.

The schema is the SQLite store's, with PostgreSQL's types (``date DATE``,
``recorded_at BIGINT`` microseconds) and a global ``position``. The append-only
rules live in the server: ``PRIMARY KEY (offender_id, version)`` orders each stream,
a unique ``event_id`` makes appends idempotent, and a trigger refuses ``UPDATE``,
``DELETE`` and ``TRUNCATE`` to everybody but the table's owner.

The server refuses what the library would: only the owner may ``INSERT`` into ``events``;
everybody else appends through :func:`events_append`, a function owned by the owner that
numbers the events itself (positions and versions are the server's, never the caller's),
and ``CHECK`` constraints generated from the library's own rules (dates, instants, ids,
type, a JSON object) hold for every row written from then on.

Positions readers can trust: every append takes the table in ``EXCLUSIVE`` mode (readers
go on, other writers wait) and numbers its events from the highest position stored, so
commits happen in position order and a reader that has seen position *N* has seen
everything up to *N*; nothing committed later can take a smaller number. Each append
also sends a ``NOTIFY`` that :meth:`PostgresStore.follow` wakes on.

A bulk append is one call of the function with a column of values per field (arrays,
sent in PostgreSQL's binary format). Needs the ``postgres`` extra (psycopg 3 and
psycopg-pool).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..codec import Codec
from ..errors import ConcurrencyError, MissingExtraError, StoreError
from ..events import (
    CURRENT_SCHEMA_VERSION,
    EVENT_TYPES,
    FIRST_RECORDED_YEAR,
    FIRST_YEAR,
    LAST_RECORDED_YEAR,
    LAST_YEAR,
    MAX_ID_CHARS,
    OLDEST_SCHEMA_VERSION,
    SOURCE_NAME,
    Event,
)
from .base import (
    LINKS_INDEX,
    AppendResult,
    OffenderRange,
    Record,
    StoreBase,
    as_of_micros,
    check_sources,
    may_clash,
    read_where,
    split_batch,
    streams_of,
    to_micros,
)
from .escaping import escape_nul, unescape_nul
from .privacy import VISIBLE, ErasureReport, PrivacyMixin, Restriction

try:
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - only without the extra
    raise MissingExtraError("the PostgreSQL store", "postgres", "psycopg and psycopg-pool") from exc

__all__ = [
    "CHANNEL",
    "FACTS_LOCK",
    "FORMAT_VERSION",
    "PostgresStore",
    "is_postgres_url",
    "read_note",
    "unkey",
]

#: The schema this release writes and reads (2: events carry their source; 3: the server
#: checks every row and numbers appends itself).
FORMAT_VERSION = 3
#: The ``LISTEN``/``NOTIFY`` channel every append notifies (the payload: the last position).
CHANNEL = "offender_journey_events"

# The tables as format 2 made them: a new store is made so, then brought up to date by the
# same steps as a store of an earlier release.
_SCHEMA = """
CREATE TABLE store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE events (
    offender_id TEXT COLLATE "C" NOT NULL,
    version INTEGER NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    type TEXT NOT NULL,
    date DATE NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_at_given BOOLEAN NOT NULL,
    payload TEXT NOT NULL,
    position BIGINT NOT NULL,
    source TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (offender_id, version),
    CONSTRAINT events_source_event_id_key UNIQUE (event_id, source),
    CONSTRAINT events_position_key UNIQUE (position)
);
-- Appends serialise on this lock (writers without UPDATE rights take it through here),
-- then number their events from the head it returns.
CREATE FUNCTION events_append_lock() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
    LOCK TABLE events IN EXCLUSIVE MODE;
    RETURN (SELECT COALESCE(MAX(position), 0) FROM events);
END $$;
REVOKE ALL ON FUNCTION events_append_lock() FROM PUBLIC;
CREATE FUNCTION events_refuse_rewrite() RETURNS trigger
    LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF current_user <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)
    THEN
        RAISE EXCEPTION 'events are append-only: % refused for %', TG_OP, current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_rewrite();
"""

# Erasures and restrictions (see ``privacy``): created with the store, or added to a
# store made by an earlier release the first time its owner opens it.
_PRIVACY_SCHEMA = """
CREATE TABLE erasures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    offender_hash TEXT NOT NULL,
    erased_at BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX erasures_by_hash ON erasures (offender_hash);
CREATE TABLE restrictions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    offender_id TEXT COLLATE "C" NOT NULL,
    restricted_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    lifted_at BIGINT,
    lift_reason TEXT
);
CREATE INDEX restrictions_by_offender ON restrictions (offender_id);
REVOKE ALL ON erasures, restrictions FROM PUBLIC;
"""

# Format 1 had no sources: every event is of the default source (''), and event ids are
# unique within a source rather than in the whole store. Adding a column with a constant
# default rewrites no row.
_FROM_VERSION_1 = """
ALTER TABLE events ADD COLUMN source TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE events DROP CONSTRAINT events_event_id_key;
ALTER TABLE events ADD CONSTRAINT events_source_event_id_key UNIQUE (event_id, source);
UPDATE store_meta SET value = '2' WHERE key = 'format_version';
"""


def _chars(column: str) -> str:
    """SQL for the number of characters of a stored id as given (see ``escaping``)."""
    return (
        f"char_length(replace(replace({column}, E'\\x01\\x01', E'\\x02'), E'\\x01\\x02', E'\\x02'))"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _checks() -> str:
    """The server's checks on every row of ``events``, written from the library's rules.

    One source for the numbers: the constants of :mod:`~offender_journey.events` that the
    codec validates with. Added ``NOT VALID``: rows stored before them are kept as they are
    (readers skip those they cannot read), every row written after is checked. The
    payload's other fields are the library's to check; these are what a raw row needs to
    break no reader's query.
    """
    first_day, last_day = f"{FIRST_YEAR:04}-01-01", f"{LAST_YEAR:04}-12-31"
    first_year, last_year = f"{FIRST_RECORDED_YEAR:04}", f"{LAST_RECORDED_YEAR:04}"
    oldest, newest = OLDEST_SCHEMA_VERSION, CURRENT_SCHEMA_VERSION
    first_instant = to_micros(dt.datetime(FIRST_RECORDED_YEAR, 1, 1, tzinfo=dt.UTC))
    stop_instant = to_micros(dt.datetime(LAST_RECORDED_YEAR + 1, 1, 1, tzinfo=dt.UTC))
    types = ", ".join(_literal(kind) for kind in sorted(EVENT_TYPES))
    source = _literal(f"^{SOURCE_NAME.pattern}$")
    return f"""
CREATE OR REPLACE FUNCTION events_payload_problem(payload text, kind text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL RESTRICTED AS $$
DECLARE
    doc jsonb;
    version text;
    instant jsonb;
BEGIN
    BEGIN
        -- U+0000 (which text cannot hold) may be in an id: looked past, not at.
        doc := replace(payload, '\\u0000', '\\u0001')::jsonb;
    EXCEPTION WHEN others THEN
        RETURN 'payload is not valid JSON';
    END;
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
        RETURN 'payload is not a JSON object';
    END IF;
    IF doc->>'type' IS DISTINCT FROM kind THEN
        RETURN 'payload type differs from the type column';
    END IF;
    IF jsonb_typeof(doc->'date') IS DISTINCT FROM 'string'
        OR left(doc->>'date', 10) COLLATE "C" NOT BETWEEN '{first_day}' AND '{last_day}' THEN
        RETURN 'payload date is not in {first_day} .. {last_day}';
    END IF;
    instant := doc->'recorded_at';
    IF jsonb_typeof(instant) <> 'null' AND (jsonb_typeof(instant) <> 'string'
        OR left(doc->>'recorded_at', 4) COLLATE "C"
           NOT BETWEEN '{first_year}' AND '{last_year}') THEN
        RETURN 'payload recorded_at is not in {first_year} .. {last_year}';
    END IF;
    version := (doc->'schema_version')::text;
    IF version IS NOT NULL AND (version !~ '^-?[0-9]{{1,9}}$'
        OR version::integer NOT BETWEEN {oldest} AND {newest}) THEN
        RETURN 'payload schema_version is not in {oldest} .. {newest}';
    END IF;
    RETURN NULL;
END $$;
ALTER TABLE events
    ADD CONSTRAINT events_type_known CHECK (type IN ({types})) NOT VALID,
    ADD CONSTRAINT events_date_plausible
        CHECK (date BETWEEN '{first_day}' AND '{last_day}') NOT VALID,
    ADD CONSTRAINT events_recorded_at_plausible
        CHECK (recorded_at >= {first_instant} AND recorded_at < {stop_instant}) NOT VALID,
    ADD CONSTRAINT events_ids_plausible CHECK (
        {_chars("event_id")} BETWEEN 1 AND {MAX_ID_CHARS}
        AND (source = '' AND {_chars("offender_id")} BETWEEN 1 AND {MAX_ID_CHARS}
             OR source ~ {source} AND starts_with(offender_id, source || ':')
                AND {_chars("offender_id")} - char_length(source) - 1
                    BETWEEN 1 AND {MAX_ID_CHARS})) NOT VALID,
    ADD CONSTRAINT events_numbered CHECK (version > 0 AND position > 0) NOT VALID,
    ADD CONSTRAINT events_payload_plausible
        CHECK (events_payload_problem(payload, type) IS NULL) NOT VALID;
"""


#: The constraints :func:`_checks` adds (dropped first when the rules change).
_CHECK_NAMES = (
    "events_type_known",
    "events_date_plausible",
    "events_recorded_at_plausible",
    "events_ids_plausible",
    "events_numbered",
    "events_payload_plausible",
)

# Format 2 let writers INSERT rows of their own, numbered by themselves. From format 3 only
# the owner may: everybody else appends through events_append, which numbers the rows (a
# position after every stored one, a version after the stream's last) under the append
# lock. Roles that could INSERT are given the function instead, so writers keep working.
_FROM_VERSION_2 = """
CREATE FUNCTION events_append(
    offender_ids text[], event_ids text[], types text[], dates date[], recorded_ats bigint[],
    givens boolean[], payloads text[], sources text[]
) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    head bigint;
BEGIN
    LOCK TABLE events IN EXCLUSIVE MODE;
    head := (SELECT COALESCE(MAX(position), 0) FROM events);
    INSERT INTO events (offender_id, version, event_id, type, date, recorded_at,
                        recorded_at_given, payload, position, source)
    SELECT n.offender_id,
           COALESCE(s.version, 0) + ROW_NUMBER() OVER (PARTITION BY n.offender_id ORDER BY n.i),
           n.event_id, n.type, n.date, n.recorded_at, n.given, n.payload, head + n.i, n.source
    FROM unnest(offender_ids, event_ids, types, dates, recorded_ats, givens, payloads, sources)
         WITH ORDINALITY AS n(offender_id, event_id, type, date, recorded_at, given, payload,
                              source, i)
    LEFT JOIN (SELECT offender_id, MAX(version) AS version FROM events
               WHERE offender_id = ANY(offender_ids) GROUP BY offender_id) s
        ON s.offender_id = n.offender_id COLLATE "C";
    head := head + COALESCE(cardinality(offender_ids), 0);
    PERFORM pg_notify('{channel}', head::text);
    RETURN head;
END $$;
REVOKE ALL ON FUNCTION events_append(text[], text[], text[], date[], bigint[], boolean[],
    text[], text[]) FROM PUBLIC;
DO $grants$
DECLARE
    grantee TEXT;
BEGIN
    FOR grantee IN
        SELECT DISTINCT r.rolname FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
        JOIN pg_roles r ON r.oid = a.grantee
        WHERE c.oid = 'events'::regclass AND a.privilege_type = 'INSERT'
          AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE INSERT ON events FROM %I', grantee);
        EXECUTE format('GRANT EXECUTE ON FUNCTION events_append(text[], text[], text[], '
                       'date[], bigint[], boolean[], text[], text[]) TO %I', grantee);
    END LOOP;
END
$grants$;
UPDATE store_meta SET value = '3' WHERE key = 'format_version';
"""

# Notes about the store that the writer role may write (an import that has started and not
# finished): apart from store_meta, which holds the format and is the owner's alone.
_NOTES_SCHEMA = """
CREATE TABLE store_notes (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
REVOKE ALL ON store_notes FROM PUBLIC;
"""

#: Notes only the store's owner may write (the partnership's rules for putting persons
#: together): a row policy keeps every other role off them, the writer included, while
#: all may read them. The owner of the table is not held by its policies.
OWNER_NOTES: tuple[str, ...] = ("person_rules",)

_NOTES_POLICY = """
ALTER TABLE store_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON store_notes FOR SELECT USING (true);
CREATE POLICY notes_added ON store_notes FOR INSERT WITH CHECK (key <> ALL ({owned}));
CREATE POLICY notes_changed ON store_notes FOR UPDATE
    USING (key <> ALL ({owned})) WITH CHECK (key <> ALL ({owned}));
CREATE POLICY notes_removed ON store_notes FOR DELETE USING (key <> ALL ({owned}));
"""

_READ_NOTE = "SELECT value FROM store_notes WHERE key = %s"


def read_note(url: str, key: str) -> str | None:
    """The note kept under ``key`` in the store at ``url``, read by any role granted the
    notes table (a reader too, which may not open the store's log); ``None`` if there is
    none or it cannot be read (the command's own reads then say why).
    """
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(_READ_NOTE, (key,)).fetchone()
    except psycopg.Error:
        return None
    return None if row is None else str(row[0])


#: Taken by every transaction that writes fact rows (refresh, restriction, erasure).
FACTS_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.facts'))"

#: An append: the events as one array per column, numbered by the server (see the module).
_APPEND = (
    "SELECT events_append(%b::text[], %b::text[], %b::text[], %b::date[], %b::bigint[],"
    " %b::boolean[], %b::text[], %b::text[])"
)
_PAGE = 5000

#: What a read selects: the columns :meth:`StoreBase._decode` makes an event of (the
#: ``recorded_at`` column only where the payload lacks it), and the version that, with the
#: key, finds a row that cannot be read back (see the SQLite store).
_COLUMNS = (
    "offender_id, CASE WHEN recorded_at_given THEN NULL ELSE recorded_at END, payload, version"
)
# Appends of up to this many events look stored ids up before appending (one query) rather
# than append optimistically inside a savepoint (three more round trips).
_SMALL = 100
# Ids are text, which in PostgreSQL cannot hold U+0000: see ``escaping``.
_key = escape_nul
#: A text column's value as stored → the text as given.
unkey = unescape_nul
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@|(password=)[^&\s]*")


def is_postgres_url(path: object) -> bool:
    """Whether ``path`` names a PostgreSQL database (``postgresql://...``)."""
    return isinstance(path, str) and path.startswith(("postgresql://", "postgres://"))


def _current_checks(conn: psycopg.Connection[Any], locked: Callable[[], None]) -> None:
    """Make the server's checks those of this release, if the tables' owner is connected.

    A digest of the checks' text is kept in ``store_meta`` (``checks``): when a release's
    rules differ (a new event type, say), or a constraint was dropped by hand, the owner's
    next open (re)makes them. Other roles leave them as they are.
    """
    wanted = hashlib.sha256(_checks().encode()).hexdigest()
    kept = conn.execute(
        "SELECT value, (SELECT COUNT(*) FROM pg_constraint"
        " WHERE conrelid = 'events'::regclass AND conname = ANY(%s))"
        " FROM store_meta WHERE key = 'checks'",
        (list(_CHECK_NAMES),),
    ).fetchone()
    if kept == (wanted, len(_CHECK_NAMES)):  # the same rules, none dropped by hand
        return
    if not _owns_events(conn):
        return
    locked()
    drop = ", ".join(f"DROP CONSTRAINT IF EXISTS {name}" for name in _CHECK_NAMES)
    conn.execute(f"ALTER TABLE events {drop}".encode())
    conn.execute(_checks().encode())
    conn.execute(
        "INSERT INTO store_meta VALUES ('checks', %s)"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (wanted,),
    )


def _index_links(conn: psycopg.Connection[Any], locked: Callable[[], None]) -> None:
    """Index the link decisions if they are not yet (a store of an earlier release) and
    the tables' owner is connected; other roles read without it, as before."""
    if conn.execute("SELECT to_regclass('events_links')").fetchone() != (None,):
        return
    if not _owns_events(conn):
        return
    locked()
    conn.execute(LINKS_INDEX.encode())


def _owns_events(conn: psycopg.Connection[Any]) -> bool:
    """Whether the connected role may change the ``events`` table (it owns it)."""
    owner = conn.execute(
        "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'events'::regclass"
    ).fetchone()
    return owner == (True,)


def _owner_only(what: str, exc: Exception) -> StoreError:
    detail = str(exc).splitlines()[0]
    return StoreError(
        f"only the role that owns the store's tables may {what} ({detail}): "
        "connect as the owner (see the PostgreSQL roles in the documentation)"
    )


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    return _URL_PASSWORD.sub(lambda m: f"{m[1]}***@" if m[1] else f"{m[2]}***", url)


class PostgresStore(PrivacyMixin, StoreBase):
    """Events in a PostgreSQL database, in the first schema of the connection's search path.

    Safe to share between threads: each call borrows a connection from a pool of up
    to ``max_connections``, and an :meth:`atomic` block keeps one connection for its
    thread until the block ends. Processes each open their own store. Reads skip
    restricted offenders; erasure and restriction (by the tables' owner) are in
    :class:`~offender_journey.store.privacy.PrivacyMixin`.

    Args:
        url: ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`` (any libpq URL).
        codec: how events become JSON (the default suits everyone).
        max_connections: the most connections the store holds at once.

    Raises:
        StoreError: the database cannot be reached, or holds another format.
    """

    def __init__(self, url: str, codec: Codec | None = None, *, max_connections: int = 4) -> None:
        self.url = url
        self._codec = codec or Codec()
        self._pinned = threading.local()
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                self._migrate(conn)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open {_shown(url)} as an event store: {exc}") from None
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            url,
            kwargs={"autocommit": True},
            min_size=1,
            max_size=max_connections,
            num_workers=1,
            open=True,
            name="offender-journey",
        )
        # The pool's first connection is made by its worker thread: wait for it here, so
        # that no thread of the store is still at work once the constructor returns.
        self._pool.wait()

    # --- schema ------------------------------------------------------------------------

    @staticmethod
    def _migrate(conn: psycopg.Connection[Any]) -> None:
        """Create the tables on first use (once, even when several processes start together),
        and bring a store of an earlier release up to date (which only its owner may)."""
        with conn.transaction():
            schema = conn.execute("SELECT current_schema()").fetchone()
            if schema is None or schema[0] is None:
                raise StoreError("the connection's search_path names no schema that exists")
            name = sql.Identifier(schema[0]).as_string(conn)

            def missing(table: str) -> bool:
                return conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,)

            def at(version: str) -> bool:
                return bool(
                    conn.execute(
                        "SELECT 1 FROM store_meta WHERE key = 'format_version' AND value = %s",
                        (version,),
                    ).fetchone()
                )

            def locked() -> None:
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")

            if missing("store_meta"):
                locked()
                if missing("store_meta"):
                    conn.execute(_SCHEMA.format(schema=name).encode())
                    conn.execute("INSERT INTO store_meta VALUES ('format_version', '2')")
            if at("1"):
                locked()
                if at("1"):
                    conn.execute(_FROM_VERSION_1.encode())
            if missing("restrictions"):
                locked()
                if missing("restrictions"):
                    conn.execute(_PRIVACY_SCHEMA.encode())
            if missing("store_notes"):
                locked()
                if missing("store_notes"):
                    conn.execute(_NOTES_SCHEMA.encode())

            def unguarded() -> bool:  # the notes' row policy is missing, and this is their owner
                row = conn.execute(
                    "SELECT NOT relrowsecurity AND pg_has_role(relowner, 'USAGE') "
                    "FROM pg_class WHERE oid = 'store_notes'::regclass"
                ).fetchone()
                return bool(row and row[0])

            if unguarded():
                locked()
                if unguarded():
                    owned = "ARRAY[" + ", ".join(f"'{key}'" for key in OWNER_NOTES) + "]"
                    conn.execute(_NOTES_POLICY.format(owned=owned).encode())
            if at("2"):
                locked()
                if at("2"):
                    script = _FROM_VERSION_2.format(schema=name, channel=CHANNEL)
                    conn.execute(script.encode())
            _current_checks(conn, locked)
            _index_links(conn, locked)
            row = conn.execute(
                "SELECT value FROM store_meta WHERE key = 'format_version'"
            ).fetchone()
        if row is None or int(row[0]) != FORMAT_VERSION:
            found = None if row is None else row[0]
            raise StoreError(
                f"the database has store format {found}; this release reads {FORMAT_VERSION}"
            )

    # --- connections and transactions ----------------------------------------------------------

    @contextmanager
    def borrow(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A connection: this thread's inside an :meth:`atomic` block, else one from the pool.

        For SQL of one's own (the fact tables, reports); it goes back on leaving the block.
        """
        pinned: psycopg.Connection[tuple[Any, ...]] | None = getattr(self._pinned, "conn", None)
        if pinned is not None:
            yield pinned
            return
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction (a savepoint inside one): all of it is kept, or none."""
        pinned: psycopg.Connection[tuple[Any, ...]] | None = getattr(self._pinned, "conn", None)
        if pinned is not None:
            with pinned.transaction():
                yield
            return
        with self._pool.connection() as conn:
            self._pinned.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._pinned.conn = None

    # --- notes about the store (an import left unfinished) ----------------------------------

    def meta(self, key: str) -> str | None:
        """The note kept under ``key``, ``None`` if there is none.

        A role that was not granted the notes table (roles made before it existed: run
        ``pg-roles`` again) reads no note rather than failing.
        """
        try:
            with self.borrow() as conn:
                row = conn.execute(_READ_NOTE, (key,)).fetchone()
        except psycopg.errors.InsufficientPrivilege:
            return None
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Keep a note under ``key`` (``None`` removes it); committed at once.

        A role that may not write the notes table leaves none, as stores of earlier
        releases did.
        """
        try:
            with self.atomic(), self.borrow() as conn:
                if value is None:
                    conn.execute("DELETE FROM store_notes WHERE key = %s", (key,))
                else:
                    conn.execute(
                        "INSERT INTO store_notes VALUES (%s, %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (key, value),
                    )
        except psycopg.errors.InsufficientPrivilege:
            return

    # --- writing -----------------------------------------------------------------------------

    def append_records(
        self,
        records: list[Record],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        with self.atomic(), self.borrow() as conn:
            conn.execute("SELECT events_append_lock()")
            # Under the lock that erasure takes too: no erasure can slip in between.
            self._refuse_erased(records)
            new, duplicates = split_batch(records, {}, self._codec)
            offenders = sorted({r.offender_id for r in new} | set(expected_versions or ()))
            if len(new) <= _SMALL:
                # Few events (a service's append): look everything up in one query.
                versions, known = self._lookup(conn, offenders, [r.event_id for r in new])
                new, stored = split_batch(new, known, self._codec)
                duplicates += stored
                self._insert(conn, new, versions, expected_versions)
            else:
                # A bulk import: nearly every event is new, so append at once, and look
                # stored ids up only if the unique index met some.
                versions = self._versions(conn, offenders)
                try:
                    with conn.transaction():
                        self._insert(conn, new, versions, expected_versions)
                except psycopg.errors.UniqueViolation:
                    known = self._stored_payloads(conn, [r.event_id for r in new])
                    new, stored = split_batch(new, known, self._codec)
                    duplicates += stored
                    self._insert(conn, new, versions, expected_versions)
        return AppendResult(tuple(r.event_id for r in new), tuple(duplicates))

    def _insert(
        self,
        conn: psycopg.Connection[Any],
        new: list[Record],
        versions: dict[str, int],
        expected_versions: Mapping[str, int] | None,
    ) -> None:
        """Check the expected versions, then append ``new`` through the server's function."""
        check_sources(new, self._sources(conn, may_clash(new)))
        for offender_id, expected in (expected_versions or {}).items():
            if versions.get(offender_id, 0) != expected:
                raise ConcurrencyError(offender_id, expected, versions.get(offender_id, 0))
        if not new:
            return
        offender_ids, event_ids, kinds, dates, recorded_ats, givens, payloads, sources = zip(
            *new, strict=True
        )
        try:
            conn.execute(
                _APPEND,
                (
                    [_key(i) for i in offender_ids],
                    [_key(i) for i in event_ids],
                    list(kinds),
                    list(dates),
                    list(recorded_ats),
                    list(givens),
                    list(payloads),
                    list(sources),
                ),
            )
        except psycopg.errors.CheckViolation as exc:
            # The row itself (the DETAIL) is not repeated: it may hold personal data.
            constraint = exc.diag.constraint_name or "a check"
            raise StoreError(
                f"the server refused an event ({constraint}): its rules are those of another "
                "release of offender-journey; open the store once as its owner to update them"
            ) from None

    @staticmethod
    def _lookup(
        conn: psycopg.Connection[Any], offender_ids: Sequence[str], event_ids: Sequence[str]
    ) -> tuple[dict[str, int], dict[tuple[str, str], str]]:
        """Streams' versions and stored payloads of ids (by source and id), in one round trip."""
        rows = conn.execute(
            "SELECT offender_id, MAX(version), NULL, NULL FROM events"
            " WHERE offender_id = ANY(%s) GROUP BY offender_id"
            " UNION ALL SELECT event_id, NULL, payload, source FROM events"
            " WHERE event_id = ANY(%s)",
            ([_key(i) for i in offender_ids], [_key(i) for i in dict.fromkeys(event_ids)]),
        ).fetchall()
        versions = {unkey(key): version for key, version, _, _ in rows if version is not None}
        payloads = {
            (source, unkey(key)): payload
            for key, version, payload, source in rows
            if version is None
        }
        return versions, payloads

    def _stored_payloads(
        self, conn: psycopg.Connection[Any], event_ids: Sequence[str]
    ) -> dict[tuple[str, str], str]:
        """The payloads stored under these event ids, by ``(source, event_id)``."""
        rows = conn.execute(
            "SELECT source, event_id, payload FROM events WHERE event_id = ANY(%s)",
            ([_key(i) for i in dict.fromkeys(event_ids)],),
        ).fetchall()
        return {(source, unkey(event_id)): payload for source, event_id, payload in rows}

    @staticmethod
    def _sources(conn: psycopg.Connection[Any], offender_ids: Sequence[str]) -> dict[str, str]:
        """The source of each stream stored under these keys (its first event's)."""
        if not offender_ids:
            return {}
        rows = conn.execute(
            "SELECT offender_id, source FROM events WHERE offender_id = ANY(%s) AND version = 1",
            ([_key(i) for i in offender_ids],),
        ).fetchall()
        return {unkey(offender_id): source for offender_id, source in rows}

    @staticmethod
    def _versions(conn: psycopg.Connection[Any], offender_ids: Sequence[str]) -> dict[str, int]:
        rows = conn.execute(
            "SELECT offender_id, MAX(version) FROM events WHERE offender_id = ANY(%s)"
            " GROUP BY offender_id",
            ([_key(i) for i in offender_ids],),
        ).fetchall()
        return {unkey(offender_id): version for offender_id, version in rows}

    @staticmethod
    def _head(conn: psycopg.Connection[Any]) -> int:
        row = conn.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()
        return int(row[0]) if row else 0

    # --- reading -----------------------------------------------------------------------------

    def read_stream(self, offender_id: str, *, as_of: dt.datetime | None = None) -> list[Event]:
        limit = as_of_micros(as_of)
        with self.borrow() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM events"
                f" WHERE offender_id = %s AND recorded_at <= %s AND {VISIBLE} ORDER BY version",
                (_key(offender_id), limit),
            ).fetchall()
        return self._decode(rows)

    def _read_all(
        self,
        as_of: dt.datetime | None,
        offenders: OffenderRange | None,
        types: Collection[str] | None = None,
    ) -> Iterator[tuple[str, list[Event]]]:
        """Every stream in turn, read a page at a time (no transaction is held between pages)."""
        conditions, params = read_where(as_of, offenders, VISIBLE, "%s", _key, types)
        where = [sql.SQL(condition) for condition in conditions]
        query = sql.SQL(
            f"SELECT {_COLUMNS} FROM events WHERE {{}} ORDER BY offender_id, version LIMIT %s"
        )
        first_page = query.format(sql.SQL(" AND ").join(where))
        next_page = query.format(
            sql.SQL(" AND ").join([*where, sql.SQL("(offender_id, version) > (%s, %s)")])
        )

        def pages() -> Iterator[tuple[Any, ...]]:
            after: tuple[str, int] | None = None
            while True:
                with self.borrow() as conn:
                    if after is None:
                        rows = conn.execute(first_page, [*params, _PAGE]).fetchall()
                    else:
                        rows = conn.execute(next_page, [*params, *after, _PAGE]).fetchall()
                yield from rows
                if len(rows) < _PAGE:
                    return
                after = (rows[-1][0], rows[-1][3])

        for key, stream in streams_of(pages(), self._decode):
            yield unkey(key), stream

    def head(self) -> int:
        """The position of the latest event appended (0 for an empty store)."""
        with self.borrow() as conn:
            return self._head(conn)

    def read_after(self, position: int, *, limit: int = 1000) -> list[tuple[int, Event]]:
        """Up to ``limit`` events appended after ``position``, as ``(position, event)``.

        Never misses an event: appends commit in position order, so once a position is
        visible every smaller one is too. Events of restricted offenders are skipped (and
        not replayed once lifted).
        """
        return self._after(position, limit)[1]

    def _after(self, position: int, limit: int) -> tuple[int, list[tuple[int, Event]]]:
        """:meth:`read_after`, with the last position read (past rows that cannot be)."""
        with self.borrow() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS}, position FROM events"
                " WHERE position > %s"
                f" AND {VISIBLE} ORDER BY position LIMIT %s",
                (position, limit),
            ).fetchall()
        last = rows[-1][4] if rows else position
        return last, [(row[4], event) for row, event in self._readable(rows)]

    def _row_identity(self, key: Any, version: int) -> tuple[int, Any] | None:
        with self.borrow() as conn:
            return conn.execute(
                "SELECT position, event_id FROM events WHERE offender_id = %s AND version = %s",
                (key, version),
            ).fetchone()

    def touched_after(self, position: int) -> list[str]:
        """Offenders with an event appended after ``position``, in order."""
        with self.borrow() as conn:
            rows = conn.execute(
                "SELECT DISTINCT offender_id FROM events WHERE position > %s ORDER BY offender_id",
                (position,),
            ).fetchall()
        return [unkey(row[0]) for row in rows]

    def follow(
        self,
        after: int = 0,
        *,
        timeout: float | None = None,
        stop: threading.Event | None = None,
        batch: int = 1000,
    ) -> Iterator[tuple[int, Event]]:
        """Every event after position ``after``, then each new one as it is committed.

        Sleeps on ``LISTEN`` between appends (no polling of the table). Ends when
        ``stop`` is set or, with ``timeout``, once that many seconds pass with nothing
        new; otherwise runs until the caller stops iterating.
        """
        listener = psycopg.connect(self.url, autocommit=True)
        try:
            listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            position = after
            idle_since = time.monotonic()
            while stop is None or not stop.is_set():
                read, got = self._after(position, batch)
                yield from got
                if read > position:  # past every row read (one that cannot be, too)
                    position = read
                    idle_since = time.monotonic()
                    continue
                wait = 3600.0 if timeout is None else timeout - (time.monotonic() - idle_since)
                if wait <= 0:
                    return
                if stop is not None:
                    wait = min(wait, 0.1)  # so that setting ``stop`` is seen promptly
                for _ in listener.notifies(timeout=wait, stop_after=1):
                    pass
        finally:
            listener.close()

    def stream_sizes(self) -> Iterator[tuple[str, int]]:
        with self.borrow() as conn:
            rows = conn.execute(
                f"SELECT offender_id, MAX(version) FROM events WHERE {VISIBLE}"
                " GROUP BY offender_id ORDER BY offender_id"
            ).fetchall()
        return iter([(unkey(offender_id), size) for offender_id, size in rows])

    def offenders(self, *, as_of: dt.datetime | None = None) -> Iterator[str]:
        where, params = read_where(as_of, None, VISIBLE, "%s")
        with self.borrow() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT offender_id FROM events WHERE {' AND '.join(where)}"
                " ORDER BY offender_id",
                params,
            ).fetchall()
        return iter([unkey(row[0]) for row in rows])

    def version(self, offender_id: str) -> int:
        with self.borrow() as conn:
            return self._versions(conn, [offender_id]).get(offender_id, 0)

    def count_events(self) -> int:
        with self.borrow() as conn:
            row = conn.execute(f"SELECT COUNT(*) FROM events WHERE {VISIBLE}").fetchone()
        return int(row[0]) if row else 0

    def count_offenders(self) -> int:
        with self.borrow() as conn:
            row = conn.execute(
                f"SELECT COUNT(DISTINCT offender_id) FROM events WHERE {VISIBLE}"
            ).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _text_of(value: Any) -> str:
        return unkey(str(value))

    # --- erasure and restriction (the rules are in PrivacyMixin) ------------------------------

    _privacy_mark = "%s"
    dialect_name = "postgresql"
    _privacy_order = "id"
    _privacy_text = staticmethod(_key)
    _privacy_untext = staticmethod(unkey)

    def erase(self, offender_id: str, *, reason: str, key: bytes) -> ErasureReport:
        """Remove every row about one person and leave a tombstone; then ``VACUUM``.

        Only the role that owns the store's tables may erase (the trigger on
        ``events`` refuses a delete to any other). ``VACUUM`` runs on the tables
        touched once the delete has committed; it cannot clear the write-ahead log,
        base backups or replicas (see the privacy documentation).

        Raises:
            StoreError: no such offender, a role that is not the owner, or a call
                inside :meth:`atomic` (the ``VACUUM`` must follow the commit).
        """
        if getattr(self._pinned, "conn", None) is not None:
            raise StoreError("erase cannot run inside atomic(): it must commit, then VACUUM")
        try:
            return super().erase(offender_id, reason=reason, key=key)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise _owner_only("erase", exc) from None

    def restrict(self, offender_id: str, *, reason: str) -> Restriction:
        try:
            return super().restrict(offender_id, reason=reason)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise _owner_only("restrict", exc) from None

    def lift_restriction(self, offender_id: str, *, reason: str = "") -> Restriction:
        try:
            return super().lift_restriction(offender_id, reason=reason)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise _owner_only("lift a restriction", exc) from None

    @contextmanager
    def _privacy_cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.borrow() as conn:
            yield conn.cursor()

    def _privacy_lock(self, cursor: psycopg.Cursor[Any], *, erasing: bool) -> None:
        """Fact writers take turns; an erasure also waits for appends and holds them off."""
        cursor.execute(FACTS_LOCK)
        if erasing:
            cursor.execute("SELECT events_append_lock()")
        else:
            cursor.execute("LOCK TABLE restrictions IN SHARE ROW EXCLUSIVE MODE")

    def _privacy_tables(self, cursor: psycopg.Cursor[Any]) -> list[str]:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
            " AND a.attname = 'offender_id' AND NOT a.attisdropped ORDER BY c.relname"
        )
        return [row[0] for row in cursor.fetchall()]

    def _privacy_has_table(self, cursor: psycopg.Cursor[Any], name: str) -> bool:
        cursor.execute("SELECT to_regclass(%s)", (name,))
        return cursor.fetchone() != (None,)

    def _privacy_scrub(self, tables: Sequence[str], needles: Sequence[str]) -> bool:
        """``VACUUM (ANALYZE)`` the tables the erasure touched, once it has committed.

        Removes the dead rows and their index entries so that their space is reused,
        and replaces the planner's statistics (which sample column values, ids among
        them). It does not rewrite the files: see the privacy documentation for what
        stays on disk, in the write-ahead log and in backups.
        """
        statement = sql.SQL("VACUUM (ANALYZE) {}").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in tables)
        )
        with self._pool.connection() as conn:
            conn.execute(statement)
        return False

    def close(self) -> None:
        self._pool.close()

    def __repr__(self) -> str:
        return f"<PostgresStore {_shown(self.url)}>"
