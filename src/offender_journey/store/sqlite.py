"""The default event store: one SQLite file, write-ahead logged, one transaction per batch.

The schema carries the append-only rules itself: ``PRIMARY KEY (offender_id,
version)`` makes streams ordered and gap-free, and a unique ``event_id`` makes
appends idempotent. Every event also gets a global ``position`` (1, 2, 3 ... in
commit order: one writer at a time, so commit order is append order), which is what
the fact tables' checkpoint refers to. A ``store_meta`` row holds the format version
so later releases can migrate old files.

A file is identified before anything is written to it: ours carry
``PRAGMA application_id`` :data:`APPLICATION_ID`; a file of an earlier release (no
id, but our tables) is adopted and stamped; anything else is refused and left
byte-for-byte as it was. New files are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import mmap
import os
import pathlib
import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..codec import Codec
from ..errors import ConcurrencyError, StoreBusyError, StoreError
from ..events import FIRST_YEAR, LAST_YEAR, Event
from .base import (
    LINKS_INDEX,
    AppendResult,
    OffenderRange,
    OffenderSummary,
    Record,
    StoreBase,
    as_of_micros,
    check_sources,
    may_clash,
    prefix_range,
    read_where,
    split_batch,
    streams_of,
)
from .privacy import PRIVACY_SCHEMA, VISIBLE, PrivacyMixin

__all__ = ["APPLICATION_ID", "BUSY_TIMEOUT", "FORMAT_VERSION", "SQLiteStore", "is_sqlite_file"]

#: The on-disk format this release writes and reads (3: events carry their source).
FORMAT_VERSION = 3

#: ``PRAGMA application_id`` of our files ("OJEV"), so a store is told from any other database.
APPLICATION_ID = 0x4F4A4556

#: Seconds a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT = 30.0

_SQLITE_HEADER = b"SQLite format 3\x00"

#: The first ``events`` columns of every format (what a file without our application id
#: must have; later formats add columns after them).
_V1_EVENT_COLUMNS = (
    "offender_id",
    "version",
    "event_id",
    "type",
    "date",
    "recorded_at",
    "recorded_at_given",
    "payload",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    offender_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    date TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    recorded_at_given INTEGER NOT NULL,
    payload TEXT NOT NULL,
    position INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (offender_id, version)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_by_source_id ON events (event_id, source);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_position ON events (position);
"""

# Format 1 had no positions: copy the events into the new table, numbering them
# stream by stream (a stable order that keeps each stream's own order).
_FROM_VERSION_1 = """
ALTER TABLE events RENAME TO events_v1;
DROP INDEX IF EXISTS events_by_id;
{schema}
INSERT INTO events (offender_id, version, event_id, type, date, recorded_at,
    recorded_at_given, payload, position)
SELECT offender_id, version, event_id, type, date, recorded_at, recorded_at_given, payload,
    ROW_NUMBER() OVER (ORDER BY offender_id, version)
FROM events_v1;
DROP TABLE events_v1;
UPDATE store_meta SET value = '3' WHERE key = 'format_version';
"""

# Format 2 had no sources: every event is of the default source (''), and event ids are
# unique within a source rather than in the whole store.
_FROM_VERSION_2 = """
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT '';
DROP INDEX IF EXISTS events_by_id;
CREATE UNIQUE INDEX events_by_source_id ON events (event_id, source);
UPDATE store_meta SET value = '3' WHERE key = 'format_version';
"""

_INSERT = (
    "INSERT INTO events (offender_id, event_id, type, date, recorded_at, recorded_at_given,"
    " payload, source, version, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: The ``recorded_at`` column where the payload lacks it (the store assigned it), else null.
_ASSIGNED = "CASE WHEN recorded_at_given THEN NULL ELSE recorded_at END"
#: What a read selects: the columns :meth:`StoreBase._decode` makes an event of, and the
#: version that, with the key, finds a row that cannot be read back. Each column fetched
#: costs every event read: the position and event id are looked up only for such a row,
#: and an instant the payload holds is not fetched twice.
_COLUMNS = f"offender_id, {_ASSIGNED}, payload, version"
# Payloads read as UTF-8 bytes, as the JSON parser wants them: no str made to be re-encoded.
_COLUMNS_UTF8 = f"offender_id, {_ASSIGNED}, CAST(payload AS BLOB), version"


class _SomeAlreadyStoredError(Exception):
    """An optimistic insert met ids already stored: redo the batch checking each one."""


# SQLite's default limit on bound parameters is 999 on old builds.
_CHUNK = 900
_FETCH = 4096


class SQLiteStore(PrivacyMixin, StoreBase):
    """Events in a SQLite file (or ``":memory:"``).

    Reads decode lazily, one stream at a time, so ``read_all`` over any size of
    store holds one offender's events in memory. Reads skip restricted offenders;
    erasure and restriction are in :class:`~offender_journey.store.privacy.PrivacyMixin`.

    Examples:
        >>> store = SQLiteStore(":memory:")
        >>> store.count_events()
        0
    """

    COMMITS_WRITE_PAGES = True

    #: The page cache while importing (``PRAGMA cache_size``, negative in KiB): 40 MiB.
    #: More was no quicker (3M events in date order, the most scattered writes: 83.7 and
    #: 84.3 CPU s; 84.3 and 85.3 with 48 MiB, 87.2 to 92.5 with 56); 32 MiB was 3 % slower
    #: (82.6 and 82.8 against 80.2 and 80.5 in another pair of runs).
    IMPORT_CACHE = -40960

    def __init__(
        self,
        path: str | os.PathLike[str] = "journeys.db",
        codec: Codec | None = None,
        *,
        create: bool = True,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        """Open the store at ``path``; ``create=False`` refuses to make a new one.

        ``busy_timeout`` is how many seconds a write waits for another process's write
        transaction before raising :class:`~offender_journey.errors.StoreBusyError`.
        """
        self.path = os.fspath(path)
        if codec is not None:  # else made on first use: reading facts needs none
            self._codec = codec
        self._depth = 0  # nesting of atomic() blocks
        self._counted: tuple[tuple[int, int], int] | None = None  # see count_offenders
        self._busy_timeout = busy_timeout
        memory = self.path == ":memory:"
        new = not memory and _identify(self.path, create=create)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=busy_timeout)
            self._db.execute("PRAGMA page_size=16384")  # new files only: fewer, fuller pages
            if new:
                self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            utf8 = self._db.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"
            self._columns = _COLUMNS_UTF8 if utf8 else _COLUMNS
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise self._busy() from None
            raise StoreError(f"cannot open {self.path!r} as an event store: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open {self.path!r} as an event store: {exc}") from None
        if new:
            _owner_only(self.path)

    def _busy(self) -> StoreBusyError:
        return StoreBusyError(
            f"{self.path!r} is busy: another process kept writing to it for more than "
            f"{self._busy_timeout:g} s, so nothing more was stored; try again when it has "
            "finished (events already stored are recognised, so repeating an import is safe)"
        )

    # --- schema ------------------------------------------------------------------------

    def _migrate(self) -> None:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            " WITHOUT ROWID"
        )
        row = self._db.execute(
            "SELECT value FROM store_meta WHERE key = 'format_version'"
        ).fetchone()
        if row is not None and row[0] == "1":
            self._db.executescript(
                "BEGIN IMMEDIATE;" + _FROM_VERSION_1.format(schema=_SCHEMA) + "COMMIT;"
            )
            row = (str(FORMAT_VERSION),)
        elif row is not None and row[0] == "2":
            self._db.executescript("BEGIN IMMEDIATE;" + _FROM_VERSION_2 + "COMMIT;")
            row = (str(FORMAT_VERSION),)
        self._db.executescript(_SCHEMA)
        self._create_privacy_tables()
        self._index_links()
        if row is None:
            self._db.execute(
                "INSERT INTO store_meta VALUES ('format_version', ?)", (str(FORMAT_VERSION),)
            )
        elif int(row[0]) != FORMAT_VERSION:
            raise StoreError(
                f"{self.path!r} has store format {row[0]}; this release reads {FORMAT_VERSION}"
            )
        if self._db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")  # an earlier release

    # --- transactions ----------------------------------------------------------------------

    @contextmanager
    def importing(self) -> Iterator[None]:
        """While many events are appended: a page cache of :attr:`IMPORT_CACHE`.

        Imported events land all over the events table and its indexes, and a larger
        cache keeps more of those pages between appends. The rest of the store's work
        reads streams or writes fact rows one offender after another, which SQLite's
        default cache of 2 MiB does as well, holding less: a command that only reads, and
        each of its workers, stays small.
        """
        (cache,) = self._db.execute("PRAGMA cache_size").fetchone()
        self._db.execute(f"PRAGMA cache_size = {self.IMPORT_CACHE}")
        try:
            yield
        finally:
            self._db.execute(f"PRAGMA cache_size = {int(cache)}")

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction (or a savepoint inside one): all of it is kept, or none."""
        name = f"sp{self._depth}"
        try:
            self._db.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            busy = True
        else:
            busy = False
        if busy:  # raised outside the handler: no raw "database is locked" in the chain
            raise self._busy()
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            # A full disk or an I/O error may have rolled the whole transaction back
            # already (SQLite does so itself), savepoints and all: nothing is left to undo.
            if self._db.in_transaction:
                self._db.execute("ROLLBACK" if self._depth == 0 else f"ROLLBACK TO {name}")
                if self._depth:
                    self._db.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        self._db.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")

    # --- writing -----------------------------------------------------------------------------

    def append_records(
        self,
        records: list[Record],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        self._refuse_erased(records)
        with self.atomic():
            # Optimistic first: in a bulk import nearly every event is new, so insert
            # skipping ids already stored, and look stored ids up only if any were.
            new, duplicates = split_batch(records, {}, self._codec)
            try:
                with self.atomic():
                    self._insert(new, expected_versions, optimistic=True)
            except _SomeAlreadyStoredError:
                known = self._stored_payloads([r.event_id for r in new])
                new, stored = split_batch(new, known, self._codec)
                duplicates += stored
                self._insert(new, expected_versions, optimistic=False)
        return AppendResult(tuple(r.event_id for r in new), tuple(duplicates))

    def _insert(
        self,
        new: list[Record],
        expected_versions: Mapping[str, int] | None,
        *,
        optimistic: bool,
    ) -> None:
        clash = may_clash(new)
        if clash:  # else every key is a default-source id, which no other source can share
            check_sources(new, self._sources(clash))
        offenders = {r.offender_id for r in new} | set(expected_versions or ())
        versions = self._versions(sorted(offenders))
        for offender_id, expected in (expected_versions or {}).items():
            if versions.get(offender_id, 0) != expected:
                raise ConcurrencyError(offender_id, expected, versions.get(offender_id, 0))
        position = self.head()
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        current, version = None, 0
        for record in new:  # batches come sorted by offender: a dict lookup per stream
            offender_id = record[0]
            if offender_id != current:
                if current is not None:
                    versions[current] = version
                current, version = offender_id, versions.get(offender_id, 0)
            version += 1
            position += 1
            append((*record, version, position))
        if not optimistic:
            self._db.executemany(_INSERT, rows)
            return
        try:
            self._db.executemany(_INSERT, rows)
        except sqlite3.IntegrityError:  # the unique event_id index met a stored id
            raise _SomeAlreadyStoredError from None

    def _stored_payloads(self, event_ids: Sequence[str]) -> dict[tuple[str, str], str]:
        """The payloads stored under these event ids, by ``(source, event_id)``."""
        found: dict[tuple[str, str], str] = {}
        unique = list(dict.fromkeys(event_ids))
        for i in range(0, len(unique), _CHUNK):
            chunk = unique[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT source, event_id, payload FROM events WHERE event_id IN ({marks})", chunk
            )
            found.update(((source, event_id), payload) for source, event_id, payload in rows)
        return found

    def _sources(self, offender_ids: Sequence[str]) -> dict[str, str]:
        """The source of each stream stored under these keys (its first event's)."""
        sources: dict[str, str] = {}
        for i in range(0, len(offender_ids), _CHUNK):
            chunk = offender_ids[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sources.update(
                self._db.execute(
                    f"SELECT offender_id, source FROM events "
                    f"WHERE offender_id IN ({marks}) AND version = 1",
                    chunk,
                ).fetchall()
            )
        return sources

    def _versions(self, offender_ids: Sequence[str]) -> dict[str, int]:
        """The latest version of each stream stored under these keys (new ones left out).

        One look-up per stream, at the end of its key: ``MAX(version)`` of one stream is
        read from the primary key's last entry. Grouping the streams of an ``IN`` list
        instead read every event of each, and an import of events in date order asks
        about nearly every stream in every batch (at 1M events, 0.22 against 0.10 s for
        all 19,200 streams).
        """
        versions: dict[str, int] = {}
        for i in range(0, len(offender_ids), _CHUNK):
            chunk = offender_ids[i : i + _CHUNK]
            wanted = ",".join(["(?)"] * len(chunk))
            rows = self._db.execute(
                f"WITH wanted(id) AS (VALUES {wanted}) "
                "SELECT id, (SELECT MAX(version) FROM events WHERE offender_id = id) FROM wanted",
                chunk,
            )
            versions.update((key, version) for key, version in rows if version is not None)
        return versions

    # --- reading -----------------------------------------------------------------------------

    def read_stream(self, offender_id: str, *, as_of: dt.datetime | None = None) -> list[Event]:
        limit = as_of_micros(as_of)
        rows = self._db.execute(
            f"SELECT {self._columns} FROM events WHERE offender_id = ? AND recorded_at <= ? "
            f"AND {VISIBLE} ORDER BY version",
            (offender_id, limit),
        ).fetchall()
        return self._decode(rows)

    def _read_all(
        self,
        as_of: dt.datetime | None,
        offenders: OffenderRange | None,
        types: Collection[str] | None = None,
    ) -> Iterator[tuple[str, list[Event]]]:
        where, params = read_where(as_of, offenders, VISIBLE, types=types)
        # A cursor of its own, read in chunks, so appends can go on between streams.
        cursor = self._db.execute(
            f"SELECT {self._columns} FROM events WHERE {' AND '.join(where)} "
            "ORDER BY offender_id, version",
            params,
        )
        rows = itertools.chain.from_iterable(iter(lambda: cursor.fetchmany(_FETCH), []))
        yield from streams_of(rows, self._decode)

    def head(self) -> int:
        """The position of the latest event appended (0 for an empty store)."""
        return int(self._db.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()[0])

    def read_after(self, position: int, *, limit: int = 1000) -> list[tuple[int, Event]]:
        """Up to ``limit`` events appended after ``position``, as ``(position, event)``.

        Events of restricted offenders are skipped (and not replayed once lifted).
        """
        rows = self._db.execute(
            f"SELECT {self._columns}, position FROM events WHERE position > ? AND {VISIBLE} "
            "ORDER BY position LIMIT ?",
            (position, limit),
        ).fetchall()
        return [(row[4], event) for row, event in self._readable(rows)]

    def _row_identity(self, key: Any, version: int) -> tuple[int, Any] | None:
        return self._db.execute(  # type: ignore[no-any-return]
            "SELECT position, event_id FROM events WHERE offender_id = ? AND version = ?",
            (key, version),
        ).fetchone()

    def touched_after(self, position: int) -> list[str]:
        """Offenders with an event appended after ``position``, in order."""
        cursor = self._db.execute(
            "SELECT DISTINCT offender_id FROM events WHERE position > ? ORDER BY offender_id",
            (position,),
        )
        return [row[0] for row in cursor]

    def stream_sizes(self) -> Iterator[tuple[str, int]]:
        cursor = self._db.execute(
            f"SELECT offender_id, MAX(version) FROM events WHERE {VISIBLE} "
            "GROUP BY offender_id ORDER BY offender_id"
        )
        return ((row[0], row[1]) for row in cursor)

    def offender_summaries(self, prefix: str = "") -> Iterator[OffenderSummary]:
        first, stop = prefix_range(prefix)
        # Rows whose date or JSON cannot be an event's are left out, as every read leaves
        # them out (see Unreadable): an event's date is a real day in the valid-time years,
        # its JSON an object of its type. (The rest of a row is checked only by decoding.)
        cursor = self._db.execute(
            "SELECT offender_id, COUNT(*), MIN(date), MAX(date) FROM events "
            f"WHERE offender_id >= ? AND (? IS NULL OR offender_id < ?) AND {VISIBLE} "
            "AND date(date) IS date AND date BETWEEN ? AND ? "
            "AND CASE WHEN json_valid(payload) THEN json_extract(payload, '$.type') END IS type "
            "GROUP BY offender_id ORDER BY offender_id",
            (first or "", stop, stop, f"{FIRST_YEAR:04}-01-01", f"{LAST_YEAR:04}-12-31"),
        )
        return (
            OffenderSummary(
                row[0], row[1], dt.date.fromisoformat(row[2]), dt.date.fromisoformat(row[3])
            )
            for row in cursor
        )

    def offenders(self, *, as_of: dt.datetime | None = None) -> Iterator[str]:
        where, params = read_where(as_of, None, VISIBLE)
        cursor = self._db.execute(
            f"SELECT DISTINCT offender_id FROM events WHERE {' AND '.join(where)}"
            " ORDER BY offender_id",
            params,
        )
        return (row[0] for row in cursor)

    def version(self, offender_id: str) -> int:
        return self._versions([offender_id]).get(offender_id, 0)

    def count_events(self) -> int:
        where = self._where_visible()
        return int(self._db.execute(f"SELECT COUNT(*) FROM events{where}").fetchone()[0])

    def _where_visible(self) -> str:
        """`` WHERE`` + :data:`VISIBLE`, or nothing when no one is restricted: a count
        over every event is then SQLite's own count of its smallest index (a million
        events in 4 ms, where the condition makes it read each entry: 60 ms)."""
        restricted = self._db.execute(
            "SELECT 1 FROM restrictions WHERE lifted_at IS NULL LIMIT 1"
        ).fetchone()
        return f" WHERE {VISIBLE}" if restricted else ""

    def count_offenders(self) -> int:
        # Counting reads every stream (about a tenth of a second a million events), and a
        # refresh in several processes asks once per share: the count is kept until the
        # file changes (another connection's commit moves data_version, this one's
        # writes total_changes).
        key = (self._db.execute("PRAGMA data_version").fetchone()[0], self._db.total_changes)
        if self._counted is None or self._counted[0] != key:
            count = self._db.execute(
                f"SELECT COUNT(DISTINCT offender_id) FROM events{self._where_visible()}"
            ).fetchone()[0]
            self._counted = (key, int(count))
        return self._counted[1]

    # --- notes about the store (an import left unfinished) ----------------------------------

    def meta(self, key: str) -> str | None:
        """The note kept under ``key`` in the store's metadata, ``None`` if there is none."""
        row = self._db.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Keep a note under ``key`` (``None`` removes it); committed at once."""
        with self.atomic():
            if value is None:
                self._db.execute("DELETE FROM store_meta WHERE key = ?", (key,))
            else:
                self._db.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", (key, value))

    # --- erasure and restriction (the rules are in PrivacyMixin) ------------------------------

    def _create_privacy_tables(self) -> None:
        """Create the privacy tables and indexes that are missing (writing nothing otherwise)."""
        present = {
            row[0]
            for row in self._db.execute(
                "SELECT name FROM sqlite_master "
                "WHERE name IN ('erasures', 'restrictions', 'restrictions_by_offender')"
            )
        }
        if len(present) == 3:
            return
        try:
            self._db.executescript(PRIVACY_SCHEMA)
        except sqlite3.OperationalError as exc:
            # A read-only store of an earlier release lacks only the index: reads work.
            if not ({"erasures", "restrictions"} <= present and "readonly" in str(exc)):
                raise

    def _index_links(self) -> None:
        """Index the link decisions if they are not yet (a store of an earlier release).

        A store that cannot be written now (read-only, or another process writing: not
        waited for) is read without it, finding the decisions by reading every event as
        before; a later opening makes it.
        """
        made = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_links'"
        ).fetchone()
        if made is not None:
            return
        self._db.execute("PRAGMA busy_timeout = 0")
        try:
            self._db.execute(LINKS_INDEX)
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc) and not _is_busy(exc):
                raise
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {round(self._busy_timeout * 1000)}")

    @contextmanager
    def _privacy_cursor(self) -> Iterator[sqlite3.Cursor]:
        yield self._db.cursor()

    def _privacy_tables(self, cursor: sqlite3.Cursor) -> list[str]:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return [
            table
            for (table,) in cursor.fetchall()
            if any(c[1] == "offender_id" for c in self._db.execute(f'PRAGMA table_info("{table}")'))
        ]

    def _privacy_has_table(self, cursor: sqlite3.Cursor, name: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cursor.fetchone() is not None

    @contextmanager
    def _privacy_erasing(self) -> Iterator[None]:
        """Delete with ``secure_delete``: SQLite overwrites deleted cells and freed pages."""
        self._db.execute("PRAGMA secure_delete=ON")
        try:
            yield
        finally:
            self._db.execute("PRAGMA secure_delete=OFF")

    def _privacy_scrub(self, tables: Sequence[str], needles: Sequence[str]) -> bool:
        """Empty the write-ahead log into the file; rebuild the file only if it must.

        ``secure_delete`` zeroed the deleted cells and freed pages, so checkpointing
        the log (and truncating it) is all an erasure usually needs. But earlier writes
        may have left stale copies of a row in the unused part of some page (SQLite
        does not clear a page's gap when it moves cells to a sibling): the file is
        searched for the erased ids (seconds for a million events), and only if one is
        still there is it rebuilt (``VACUUM``), which writes every page afresh.
        """
        self._checkpoint()
        if self.path == ":memory:" or not _file_holds(self.path, needles):
            return False
        try:
            self._db.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            raise self._unscrubbed(str(exc)) from None
        self._checkpoint()
        return True

    def _checkpoint(self) -> None:
        try:
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError as exc:
            raise self._unscrubbed(str(exc)) from None
        if busy:
            raise self._unscrubbed("another connection is reading")

    @staticmethod
    def _unscrubbed(detail: str) -> StoreError:
        return StoreError(
            f"the rows are deleted but not yet cleared from the store's files ({detail}): "
            "close other connections to the store and run erase again to finish"
        )

    # --- fact tables ---------------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        """The DB-API connection (what the fact tables' writer and readers work over)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path!r}>"


def is_sqlite_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an existing SQLite database (of any application), by its header."""
    try:
        with open(path, "rb") as file:
            return file.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError:
        return False


def _file_holds(path: str, texts: Sequence[str]) -> bool:
    """Whether any of ``texts`` is somewhere in the file's bytes (searched in place, mapped).

    A text that contains another of them is not searched for on its own: any copy of it
    holds the shorter one (event ids often hold their offender's id).
    """
    wanted = sorted({t.encode() for t in texts if t}, key=len)
    needles: list[bytes] = []
    for text in wanted:
        if not any(shorter in text for shorter in needles):
            needles.append(text)
    with open(path, "rb") as file:
        if not needles or os.fstat(file.fileno()).st_size == 0:
            return False
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return any(data.find(needle) >= 0 for needle in needles)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc)
    return "locked" in message or "busy" in message


def _identify(path: str, *, create: bool) -> bool:
    """Whether ``path`` is a new store to create; raises unless it is one of ours.

    Only reads (a foreign file is left exactly as it was). A missing file is created
    empty, owner-only, when ``create`` allows.
    """
    try:
        with open(path, "rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        if not create:
            raise StoreError(f"no store at {path!r} (pass create=True to make one)") from None
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot create a store at {path!r}: {exc}") from None
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
        finally:
            os.close(fd)
        return True
    except OSError as exc:
        raise StoreError(f"cannot open {path!r} as an event store: {exc}") from None
    if not header:
        if not create:
            raise StoreError(f"{path!r} is an empty file, not a store")
        return True
    if not header.startswith(_SQLITE_HEADER) or len(header) < 100:
        raise StoreError(
            f"cannot open {path!r} as an event store: it is not a SQLite database "
            "(the file was left untouched)"
        )
    application_id = int.from_bytes(header[68:72], "big")
    if application_id == APPLICATION_ID:
        return False
    if application_id != 0:
        raise StoreError(
            f"{path!r} is a SQLite database of another application (application_id "
            f"{application_id:#010x}), not an event store; it was left untouched"
        )
    # No id: a store of the previous release, or someone else's database. Look, read-only.
    uri = pathlib.Path(path).absolute().as_uri() + "?mode=ro&immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            columns = tuple(row[1] for row in db.execute("PRAGMA table_info(events)"))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open {path!r} as an event store: {exc}") from None
    if "store_meta" not in tables or columns[: len(_V1_EVENT_COLUMNS)] != _V1_EVENT_COLUMNS:
        raise StoreError(
            f"{path!r} is a SQLite database of another application (its tables are not an "
            "event store's), not an event store; it was left untouched"
        )
    return False


def _owner_only(path: str) -> None:
    """Make a new store and its write-ahead log files readable by their owner only."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(name, 0o600)
