"""The fact tables as a follower of the log: refreshed after appends, told of privacy changes.

The store knows nothing of facts. It offers a transaction (``atomic()``), the positions
of its log (``head()``, ``touched_after()``) and calls the followers registered with
:func:`~offender_journey.store.privacy.follow_privacy` inside each restriction and
erasure; this module is that follower, and :func:`refresh_facts` picks the writer for
the store's backend. Importing :mod:`offender_journey.facts` registers it.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..progress import Progress
from ..store.base import EventStore
from ..store.sqlite import SQLiteStore
from .refresh import (
    CHECKPOINT,
    RefreshReport,
    checkpoint,
    derive_persons,
    holds_links,
    refresh,
    regroup,
    write_facts,
)
from .schema import POSTGRESQL, SQLITE, Dialect

__all__ = ["FOLLOWER", "FactsFollower", "keeps_facts", "may_refresh", "refresh_facts"]

_DIALECTS = {dialect.name: dialect for dialect in (SQLITE, POSTGRESQL)}


def keeps_facts(store: EventStore) -> bool:
    """Whether ``store`` can keep fact tables beside its log (the SQL stores can)."""
    return getattr(store, "dialect_name", None) in _DIALECTS


def may_refresh(store: EventStore) -> bool:
    """Whether this connection may bring the store's fact tables up to date.

    A SQLite file's fact tables are its owner's. On PostgreSQL they are the follower's
    and the owner's: a writer role appends events only, and its imports leave the tables
    to ``offender-journey follow`` (see the roles in the PostgreSQL documentation).
    """
    if isinstance(store, SQLiteStore):
        return True
    if not keeps_facts(store):
        return False
    from .postgres import may_refresh as may_refresh_postgres  # the postgres extra: psycopg

    return may_refresh_postgres(store)  # type: ignore[arg-type]


def refresh_facts(
    store: EventStore, *, jobs: int = 1, progress: Progress | None = None
) -> RefreshReport:
    """Bring the store's fact tables up to date with its log, in one transaction.

    Re-derives only the offenders with events appended since the last refresh, with
    the checkpoint, telling ``progress`` how many are done. ``jobs`` processes derive
    (SQLite; PostgreSQL derives in this process); 0 starts as many as the new events
    are worth: every core from 200,000. Restricted offenders get no rows.
    """
    if isinstance(store, SQLiteStore):
        return refresh(store, jobs=jobs, progress=progress)
    if keeps_facts(store):
        from .postgres import refresh as refresh_postgres  # the postgres extra: psycopg

        return refresh_postgres(store, progress)  # type: ignore[arg-type]
    raise TypeError(f"{type(store).__name__} keeps no fact tables")


@attrs.frozen
class FactsFollower:
    """What a restriction or an erasure changes in the fact tables, in its own transaction."""

    def _dialect(self, store: Any, cursor: Any) -> Dialect | None:
        """The tables' dialect, or ``None`` if the store has no fact tables yet."""
        if not store._privacy_has_table(cursor, "facts_checkpoint"):
            return None
        return _DIALECTS[store.dialect_name]

    def restricted(self, store: Any, cursor: Any, offender_id: str) -> None:
        """Re-derive one person's fact rows at the tables' checkpoint: none while restricted.

        The fact tables follow the log by position; a restriction moves no position, so
        the person's rows are replaced here, in the restriction's own transaction. With
        link decisions, the person the record belongs to is re-derived without it (with
        it again once lifted).
        """
        dialect = self._dialect(store, cursor)
        if dialect is None:
            return
        position = checkpoint(cursor, dialect)
        if position == 0:
            return  # no fact tables yet: the first refresh derives everyone visible
        if holds_links(cursor, position, dialect):
            groups = regroup(store, cursor, [offender_id], dialect)
        else:
            groups = {offender_id: [offender_id]}
        facts = derive_persons(store, cursor, groups, dialect)
        write_facts(cursor, sorted(groups), facts, position, dialect)

    def erased(self, store: Any, cursor: Any) -> None:
        """Bring the fact tables' checkpoint down to the head if the erasure lowered it.

        When the person's events were the latest, the next append reuses their
        positions; a checkpoint left above them would never see those events. A record
        erased from a linked person takes its part of the person's facts with it: every
        person holding a record with no events left is re-derived from the others.
        """
        dialect = self._dialect(store, cursor)
        if dialect is None:
            return
        cursor.execute(
            "SELECT record FROM person_records WHERE offender_id <> record AND record NOT IN "
            "(SELECT offender_id FROM events)"
        )
        gone = [row[0] for row in cursor.fetchall()]
        position = checkpoint(cursor, dialect)
        if gone and position:
            text = dialect.from_db.get("text") or str
            groups = regroup(store, cursor, [text(r) for r in gone], dialect)
            write_facts(
                cursor,
                sorted(groups),
                derive_persons(store, cursor, groups, dialect),
                position,
                dialect,
            )
        cursor.execute("SELECT COALESCE(MAX(position), 0) FROM events")
        (head,) = cursor.fetchone()
        m = store._privacy_mark
        cursor.execute(
            f"UPDATE facts_checkpoint SET position = {m} WHERE name = {m} AND position > {m}",
            (head, CHECKPOINT, head),
        )


#: The follower :mod:`offender_journey.facts` registers with every SQL store.
FOLLOWER = FactsFollower()
