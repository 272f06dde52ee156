"""Erasure and restriction in a SQLite store: the one exception to append-only.

Events are never edited or deleted, with one exception: :meth:`PrivacyMixin.erase`,
which removes every row about one person from every table that has an
``offender_id`` column (events, and any fact table kept beside them) in one
transaction, then rebuilds the file so that no page, free page or write-ahead log
frame keeps their bytes. What remains is a tombstone in ``erasures``: a keyed hash
of the id, the time and the reason. A later append of the same person is refused
(:class:`~offender_journey.errors.ErasedOffenderError`), so an old file re-imported
cannot bring them back silently; checking needs the key, so a store with erasures
refuses appends until it is given one (:meth:`PrivacyMixin.use_key`).

A restriction (:meth:`PrivacyMixin.restrict`) keeps the events but hides the
person from every read that views and exports use, and takes their rows out of the
fact tables, until it is lifted. Both are recorded with their times and reasons.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import attrs

from ..errors import ErasedOffenderError, StoreError
from ..events import Event
from ..keys import keyed_hash
from .base import Record, from_micros, to_micros

__all__ = [
    "PRIVACY_SCHEMA",
    "VISIBLE",
    "Erasure",
    "ErasureReport",
    "PrivacyMixin",
    "Restriction",
]

PRIVACY_SCHEMA = """
CREATE TABLE IF NOT EXISTS erasures (
    offender_hash TEXT NOT NULL,
    erased_at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS erasures_by_hash ON erasures (offender_hash);
CREATE TABLE IF NOT EXISTS restrictions (
    offender_id TEXT NOT NULL,
    restricted_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    lifted_at INTEGER,
    lift_reason TEXT
);
CREATE INDEX IF NOT EXISTS restrictions_in_force
    ON restrictions (offender_id) WHERE lifted_at IS NULL;
"""

#: A condition on ``offender_id`` that every read for views and exports adds.
VISIBLE = "offender_id NOT IN (SELECT offender_id FROM restrictions WHERE lifted_at IS NULL)"

#: The purpose under which tombstones hash ids (unlinkable to export pseudonyms).
ERASURE_PURPOSE = "erasure"


@attrs.frozen
class Erasure:
    """A tombstone: all that is left of an erased person."""

    #: Keyed HMAC-SHA256 of the offender id (the key is not in the store).
    offender_hash: str
    erased_at: dt.datetime
    reason: str


@attrs.frozen
class Restriction:
    """A processing restriction, in force while ``lifted_at`` is ``None``."""

    offender_id: str
    restricted_at: dt.datetime
    reason: str
    lifted_at: dt.datetime | None = None
    lift_reason: str | None = None


@attrs.frozen
class ErasureReport:
    """What :meth:`PrivacyMixin.erase` removed (counts only: the ids are gone)."""

    events: int
    #: Rows removed per table (events and any fact tables).
    rows: dict[str, int]
    erased_at: dt.datetime


class PrivacyMixin:
    """Erasure and restriction for :class:`~offender_journey.store.SQLiteStore`."""

    _db: sqlite3.Connection
    _key: bytes | None = None

    if TYPE_CHECKING:  # what the mixin needs of the store it is mixed into

        def atomic(self) -> AbstractContextManager[None]: ...

        def read_stream(
            self, offender_id: str, *, as_of: dt.datetime | None = None
        ) -> list[Event]: ...

    def _create_privacy_tables(self) -> None:
        self._db.executescript(PRIVACY_SCHEMA)

    def use_key(self, key: bytes) -> None:
        """Give the key that tombstones are hashed with, so appends can be checked."""
        self._key = key

    # --- restriction ---------------------------------------------------------------------

    def restrict(self, offender_id: str, *, reason: str) -> Restriction:
        """Hide one person from every view and export until :meth:`lift_restriction`."""
        now = dt.datetime.now(dt.UTC)
        with self.atomic():
            if self._in_force(offender_id):
                raise StoreError(f"offender {offender_id!r} is already restricted")
            self._db.execute(
                "INSERT INTO restrictions (offender_id, restricted_at, reason) VALUES (?, ?, ?)",
                (offender_id, to_micros(now), reason),
            )
            self._resync_facts(offender_id)
        return Restriction(offender_id, now, reason)

    def lift_restriction(self, offender_id: str, *, reason: str = "") -> Restriction:
        """End the restriction in force on one person; the record of it stays."""
        now = dt.datetime.now(dt.UTC)
        with self.atomic():
            if not self._in_force(offender_id):
                raise StoreError(f"offender {offender_id!r} is not restricted")
            self._db.execute(
                "UPDATE restrictions SET lifted_at = ?, lift_reason = ? "
                "WHERE offender_id = ? AND lifted_at IS NULL",
                (to_micros(now), reason, offender_id),
            )
            self._resync_facts(offender_id)
        return self.restrictions(offender_id)[-1]

    def _resync_facts(self, offender_id: str) -> None:
        """Re-derive one person's fact rows at the tables' checkpoint: none while restricted.

        The fact tables follow the log by position; a restriction moves no position, so
        the person's rows are replaced here, in the restriction's own transaction.
        """
        from ..facts.derive import derive
        from ..facts.refresh import checkpoint, write_facts
        from ..projections.base import History

        cursor = self._db.cursor()
        position = checkpoint(cursor)
        if position == 0:
            return  # no fact tables yet: the first refresh derives everyone visible
        events = self.read_stream(offender_id)  # empty while restricted
        facts = []
        if events:
            derived = derive(History.build(offender_id, events))
            (latest,) = self._db.execute(
                "SELECT MAX(position) FROM events WHERE offender_id = ?", (offender_id,)
            ).fetchone()
            (row,) = derived.offenders
            facts = [attrs.evolve(derived, offenders=(row._replace(position=latest),))]
        write_facts(cursor, [offender_id], facts, position)

    def _in_force(self, offender_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM restrictions WHERE offender_id = ? AND lifted_at IS NULL",
            (offender_id,),
        ).fetchone()
        return row is not None

    def restrictions(self, offender_id: str | None = None) -> list[Restriction]:
        """Every restriction recorded (or those of one person), oldest first, lifted or not."""
        where, params = ("WHERE offender_id = ?", (offender_id,)) if offender_id else ("", ())
        rows = self._db.execute(
            "SELECT offender_id, restricted_at, reason, lifted_at, lift_reason "
            f"FROM restrictions {where} ORDER BY restricted_at, rowid",
            params,
        ).fetchall()
        return [
            Restriction(
                o, from_micros(at), why, None if lifted is None else from_micros(lifted), lw
            )
            for o, at, why, lifted, lw in rows
        ]

    # --- erasure -------------------------------------------------------------------------

    def erasures(self) -> list[Erasure]:
        """Every tombstone, oldest first."""
        rows = self._db.execute(
            "SELECT offender_hash, erased_at, reason FROM erasures ORDER BY erased_at, rowid"
        ).fetchall()
        return [Erasure(h, from_micros(at), why) for h, at, why in rows]

    def erase(self, offender_id: str, *, reason: str, key: bytes) -> ErasureReport:
        """Remove every row about one person, physically, and leave a tombstone.

        The rows go from every table with an ``offender_id`` column in one
        transaction with ``secure_delete`` on; then the file is rebuilt (``VACUUM``)
        and the write-ahead log checkpointed and truncated, so no byte of the id or
        of the person's event ids is left in the store's files. The rebuild rewrites
        the whole file: seconds for a million events, and other connections must
        not be writing meanwhile.

        Raises:
            StoreError: no such offender, or another connection blocked the rebuild.
        """
        now = dt.datetime.now(dt.UTC)
        self._db.execute("PRAGMA secure_delete=ON")
        try:
            with self.atomic():
                rows = {
                    table: self._db.execute(
                        f'DELETE FROM "{table}" WHERE offender_id = ?', (offender_id,)
                    ).rowcount
                    for table in self._tables_about_offenders()
                }
                if not rows.get("events"):
                    raise StoreError(f"no offender {offender_id!r} in the store")
                self._db.execute(
                    "INSERT INTO erasures VALUES (?, ?, ?)",
                    (keyed_hash(key, offender_id, purpose=ERASURE_PURPOSE), to_micros(now), reason),
                )
            self._scrub()
        finally:
            self._db.execute("PRAGMA secure_delete=OFF")
        return ErasureReport(rows["events"], rows, now)

    def _tables_about_offenders(self) -> Iterator[str]:
        """Every table holding an ``offender_id`` column: events, restrictions, facts."""
        tables = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for (table,) in tables:
            columns = self._db.execute(f'PRAGMA table_info("{table}")').fetchall()
            if any(column[1] == "offender_id" for column in columns):
                yield table

    def _scrub(self) -> None:
        """Rebuild the file and empty the write-ahead log, leaving no stale pages anywhere."""
        try:
            self._db.execute("VACUUM")
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError as exc:
            busy, detail = 1, str(exc)
        else:
            detail = "another connection is reading"
        if busy:
            raise StoreError(
                f"the rows are deleted but the file could not be rebuilt ({detail}): close "
                "other connections to the store and run erase again to finish"
            )

    def _refuse_erased(self, records: Iterable[Record]) -> None:
        """Raise :class:`ErasedOffenderError` if any record is about an erased person."""
        tombstones = dict(
            self._db.execute(
                "SELECT offender_hash, 'erased ' || strftime('%Y-%m-%d', erased_at / 1000000, "
                "'unixepoch') || ': ' || reason FROM erasures"
            ).fetchall()
        )
        if not tombstones:
            return
        if self._key is None:
            raise StoreError(
                f"this store has {len(tombstones)} erasure(s): give the key file the erasures "
                "were made with (--key-file), so that erased people are not stored again"
            )
        key = self._key
        found: dict[str, str] = {}
        for offender_id in {record.offender_id for record in records}:
            why = tombstones.get(keyed_hash(key, offender_id, purpose=ERASURE_PURPOSE))
            if why is not None:
                found[offender_id] = why
        if found:
            raise ErasedOffenderError(found)
