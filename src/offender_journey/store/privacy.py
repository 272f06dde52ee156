"""Erasure and restriction: the one exception to append-only, the same in every SQL store.

Events are never edited or deleted, with one exception: :meth:`PrivacyMixin.erase`,
which removes every row about one person from every table that has an
``offender_id`` column (events, and any fact table kept beside them) in one
transaction, then has the store clear what its engine keeps of deleted rows (SQLite:
deleted with ``secure_delete``, the write-ahead log emptied, and the file rebuilt only
if a stale copy of an id is still found in it; PostgreSQL: ``VACUUM`` of the tables
touched). What remains is a tombstone in
``erasures``: a keyed hash of the id, the time and the reason. A later append of the
same person is refused (:class:`~offender_journey.errors.ErasedOffenderError`), so an
old file re-imported cannot bring them back silently; checking needs the key, so a
store with erasures refuses appends until it is given one (:meth:`PrivacyMixin.use_key`).

A restriction (:meth:`PrivacyMixin.restrict`) keeps the events but hides the
person from every read that views and exports use (:data:`VISIBLE`) until it is
lifted; the :data:`FOLLOWERS` (the fact tables) take their rows out in the same
transaction. Both are recorded with their times
and reasons.

The rules are written once, here, over a DB-API cursor; each store supplies the
few things that differ between engines (the parameter mark, how text is stored, how
to list its tables, how to clear deleted rows) through the ``_privacy_*`` hooks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ..errors import ErasedOffenderError, StoreError
from ..events import Event
from ..keys import keyed_hash
from .base import Record, from_micros, to_micros

__all__ = [
    "FOLLOWERS",
    "PRIVACY_SCHEMA",
    "Follower",
    "VISIBLE",
    "Erasure",
    "ErasureReport",
    "PrivacyMixin",
    "Restriction",
    "follow_privacy",
]

#: The privacy tables of a SQLite store (a PostgreSQL store creates the same with its types).
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
CREATE INDEX IF NOT EXISTS restrictions_by_offender ON restrictions (offender_id);
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
    #: Whether the whole file had to be rebuilt (SQLite, when a stale copy was found).
    rebuilt: bool = False


class Follower(Protocol):
    """Something kept beside the log, told of privacy changes in their own transaction.

    The fact tables are one (:mod:`offender_journey.facts` registers it when imported):
    the store knows nothing of what a follower keeps, only when to call it.
    """

    def restricted(self, store: Any, cursor: Any, offender_id: str) -> None:
        """A restriction of ``offender_id`` was recorded or lifted (hide or show them)."""

    def erased(self, store: Any, cursor: Any) -> None:
        """An erasure deleted a person's rows from every table (the head may be lower)."""


#: The followers every SQL store calls; :func:`follow_privacy` adds one.
FOLLOWERS: list[Follower] = []


def follow_privacy(follower: Follower) -> None:
    """Have every restriction and erasure call ``follower`` in its transaction (once)."""
    if follower not in FOLLOWERS:
        FOLLOWERS.append(follower)


def _quoted(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


class PrivacyMixin:
    """Erasure and restriction for the SQL stores (SQLite and PostgreSQL).

    The store provides :meth:`atomic`, :meth:`read_stream` and the ``_privacy_*``
    hooks; everything that decides what is deleted, recorded or refused is here.
    """

    _key: bytes | None = None
    #: The SQL dialect of the store's database (the name followers write for).
    dialect_name = "sqlite"
    #: The driver's parameter mark.
    _privacy_mark = "?"
    #: The column that orders ``erasures`` and ``restrictions`` rows as inserted.
    _privacy_order = "rowid"

    if TYPE_CHECKING:  # what the mixin needs of the store it is mixed into

        def atomic(self) -> AbstractContextManager[None]: ...

        def read_stream(
            self, offender_id: str, *, as_of: dt.datetime | None = None
        ) -> list[Event]: ...

        def _privacy_cursor(self) -> AbstractContextManager[Any]:
            """A DB-API cursor on the connection of the current transaction, if any."""

        def _privacy_tables(self, cursor: Any) -> list[str]:
            """Every table of the store with an ``offender_id`` column."""

        def _privacy_scrub(self, tables: Sequence[str], needles: Sequence[str]) -> bool:
            """After the delete has committed: clear what the engine keeps of deleted rows.

            ``needles`` are the erased texts (the id, the event ids) a store may look for.
            Returns whether the whole store had to be rebuilt.
            """

        def _privacy_has_table(self, cursor: Any, name: str) -> bool:
            """Whether the store's database has a table called ``name``."""

    # --- hooks with a default (SQLite's) ------------------------------------------------

    def _privacy_text(self, text: str) -> str:
        """Text as the engine stores it (PostgreSQL escapes U+0000)."""
        return text

    def _privacy_untext(self, text: str) -> str:
        """The inverse of :meth:`_privacy_text`."""
        return text

    def _privacy_lock(self, cursor: Any, *, erasing: bool) -> None:
        """Serialise privacy changes (and, ``erasing``, appends) with each other."""

    @contextmanager
    def _privacy_erasing(self) -> Iterator[None]:
        """Connection settings that the delete runs under (SQLite: ``secure_delete``)."""
        yield

    # --- the rules --------------------------------------------------------------------

    def use_key(self, key: bytes) -> None:
        """Give the key that tombstones are hashed with, so appends can be checked."""
        self._key = key

    # --- restriction ---------------------------------------------------------------------

    def restrict(self, offender_id: str, *, reason: str) -> Restriction:
        """Hide one person from every view and export until :meth:`lift_restriction`."""
        now = dt.datetime.now(dt.UTC)
        m = self._privacy_mark
        with self.atomic(), self._privacy_cursor() as cursor:
            self._privacy_lock(cursor, erasing=False)
            if self._in_force(cursor, offender_id):
                raise StoreError(f"offender {offender_id!r} is already restricted")
            cursor.execute(
                f"INSERT INTO restrictions (offender_id, restricted_at, reason) "
                f"VALUES ({m}, {m}, {m})",
                (self._privacy_text(offender_id), to_micros(now), self._privacy_text(reason)),
            )
            for follower in FOLLOWERS:
                follower.restricted(self, cursor, offender_id)
        return Restriction(offender_id, now, reason)

    def lift_restriction(self, offender_id: str, *, reason: str = "") -> Restriction:
        """End the restriction in force on one person; the record of it stays."""
        now = dt.datetime.now(dt.UTC)
        m = self._privacy_mark
        with self.atomic(), self._privacy_cursor() as cursor:
            self._privacy_lock(cursor, erasing=False)
            if not self._in_force(cursor, offender_id):
                raise StoreError(f"offender {offender_id!r} is not restricted")
            cursor.execute(
                f"UPDATE restrictions SET lifted_at = {m}, lift_reason = {m} "
                f"WHERE offender_id = {m} AND lifted_at IS NULL",
                (to_micros(now), self._privacy_text(reason), self._privacy_text(offender_id)),
            )
            for follower in FOLLOWERS:
                follower.restricted(self, cursor, offender_id)
        return self.restrictions(offender_id)[-1]

    def _in_force(self, cursor: Any, offender_id: str) -> bool:
        cursor.execute(
            "SELECT 1 FROM restrictions "
            f"WHERE offender_id = {self._privacy_mark} AND lifted_at IS NULL",
            (self._privacy_text(offender_id),),
        )
        return cursor.fetchone() is not None

    def restrictions(self, offender_id: str | None = None) -> list[Restriction]:
        """Every restriction recorded (or those of one person), oldest first, lifted or not."""
        where, params = (
            (f"WHERE offender_id = {self._privacy_mark}", (self._privacy_text(offender_id),))
            if offender_id
            else ("", ())
        )
        with self._privacy_cursor() as cursor:
            cursor.execute(
                "SELECT offender_id, restricted_at, reason, lifted_at, lift_reason FROM "
                f"restrictions {where} ORDER BY restricted_at, {self._privacy_order}",
                params,
            )
            rows = cursor.fetchall()
        text = self._privacy_untext
        return [
            Restriction(
                text(o),
                from_micros(at),
                text(why),
                None if lifted is None else from_micros(lifted),
                None if lw is None else text(lw),
            )
            for o, at, why, lifted, lw in rows
        ]

    # --- erasure -------------------------------------------------------------------------

    def erasures(self) -> list[Erasure]:
        """Every tombstone, oldest first."""
        with self._privacy_cursor() as cursor:
            cursor.execute(
                "SELECT offender_hash, erased_at, reason FROM erasures "
                f"ORDER BY erased_at, {self._privacy_order}"
            )
            rows = cursor.fetchall()
        return [Erasure(h, from_micros(at), self._privacy_untext(why)) for h, at, why in rows]

    def erase(self, offender_id: str, *, reason: str, key: bytes) -> ErasureReport:
        """Remove every row about one person, physically, and leave a tombstone.

        The rows go from every table with an ``offender_id`` column in one
        transaction, which also records the tombstone; then the store clears what its
        engine keeps of the deleted rows (see the store's documentation). If that last
        step could not finish, erasing the same person again finishes it.

        Raises:
            StoreError: no such offender (and no erasure of them to finish), or the
                deleted rows could not be cleared.
        """
        now = dt.datetime.now(dt.UTC)
        m = self._privacy_mark
        stored = self._privacy_text(offender_id)
        digest = keyed_hash(key, offender_id, purpose=ERASURE_PURPOSE)
        with self._privacy_erasing():
            with self.atomic(), self._privacy_cursor() as cursor:
                self._privacy_lock(cursor, erasing=True)
                cursor.execute(f"SELECT event_id FROM events WHERE offender_id = {m}", (stored,))
                needles = [offender_id, *(self._privacy_untext(r[0]) for r in cursor.fetchall())]
                rows = {}
                for table in self._privacy_tables(cursor):
                    cursor.execute(
                        f"DELETE FROM {_quoted(table)} WHERE offender_id = {m}", (stored,)
                    )
                    rows[table] = cursor.rowcount
                cursor.execute(f"SELECT 1 FROM erasures WHERE offender_hash = {m}", (digest,))
                finishing = cursor.fetchone() is not None
                if not rows.get("events") and not finishing:
                    raise StoreError(f"no offender {offender_id!r} in the store")
                if rows.get("events"):
                    cursor.execute(
                        "INSERT INTO erasures (offender_hash, erased_at, reason) "
                        f"VALUES ({m}, {m}, {m})",
                        (digest, to_micros(now), self._privacy_text(reason)),
                    )
                    for follower in FOLLOWERS:
                        follower.erased(self, cursor)
            rebuilt = self._privacy_scrub([t for t, n in rows.items() if n] or ["events"], needles)
        return ErasureReport(rows.get("events", 0), rows, now, rebuilt)

    def _refuse_erased(self, records: Iterable[Record]) -> None:
        """Raise :class:`ErasedOffenderError` if any record is about an erased person."""
        with self._privacy_cursor() as cursor:
            cursor.execute("SELECT offender_hash, erased_at, reason FROM erasures")
            tombstones = {
                digest: f"erased {from_micros(at):%Y-%m-%d}: {self._privacy_untext(why)}"
                for digest, at, why in cursor.fetchall()
            }
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
