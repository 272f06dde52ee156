"""Scratch databases: facts derived on the fly, in a private temporary SQLite database.

What a :class:`~offender_journey.facts.aggregate.FactSource` counts when the facts
are not a store's tables: an ``as_of`` in the past, streams handed to
:func:`~offender_journey.metrics.compute`, a Dask partition, one offender's history.
The rows are written by the same writer as a store's tables.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> from offender_journey.history import History
    >>> j = JourneyBuilder("O1")
    >>> _ = j.charge("2013-01-10", "shoplifting")
    >>> with scratch_of([History.build("O1", j.events)]) as scratch:
    ...     scratch.source.fetch("SELECT COUNT(*) FROM charges")
    [(1,)]
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Collection, Iterable
from types import TracebackType

from ..history import History
from .aggregate import FactSource
from .refresh import write_facts
from .schema import SQLITE, OffenderFacts, create_statements, index_statements

__all__ = ["Scratch", "scratch_of"]

# Offenders written per transaction into a scratch database (bounds memory).
_BATCH = 500


class Scratch:
    """A private temporary SQLite database of facts derived on the fly.

    ``sqlite3.connect("")`` makes an on-disk temporary database that SQLite deletes on
    closing, so memory stays bounded however many offenders are added; the rows are
    written by the same writer as a store's tables. The secondary indexes are built when
    the rows are first read (:attr:`source`), once, from the rows in order, instead of
    being kept up to date row by row while they are written (0.1 µs an event less, in
    one process). Only the rows of ``tables`` are kept (default all; the other tables
    stay empty): the aggregating views' questions read a few tables, and the rows of the
    others were half of what a past ``as_of`` wrote. Use as a context manager.
    """

    def __init__(self, tables: Collection[str] | None = None) -> None:
        self._tables = None if tables is None else frozenset(tables)
        self.connection = sqlite3.connect("", isolation_level=None)
        self.connection.execute("PRAGMA journal_mode = OFF")
        self.connection.execute("PRAGMA synchronous = OFF")
        for statement in create_statements(SQLITE, indexes=False):
            self.connection.execute(statement)
        self._pending: list[OffenderFacts] = []
        self._indexed = False

    def add(self, facts: OffenderFacts) -> None:
        """Keep one offender's fact rows."""
        self._pending.append(facts)
        if len(self._pending) >= _BATCH:
            self._flush()

    def extend(self, facts: Iterable[OffenderFacts]) -> None:
        """Keep many offenders' fact rows."""
        source = iter(facts)
        while batch := list(itertools.islice(source, _BATCH)):
            self._pending.extend(batch)
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        # Nothing to replace: the writer's deletes find no rows.
        write_facts(cursor, [], self._pending, 0, tables=self._tables)
        cursor.execute("COMMIT")
        self._pending = []

    @property
    def source(self) -> FactSource:
        """Everything added so far, to aggregate over."""
        self._flush()
        if not self._indexed:
            for statement in index_statements():
                self.connection.execute(statement)
            self._indexed = True
        return FactSource(self.connection)

    def close(self) -> None:
        """Drop the database."""
        self._pending = []
        self.connection.close()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def scratch_of(histories: Iterable[History], tables: Collection[str] | None = None) -> Scratch:
    """A scratch database of the histories' facts (``tables``, and ``offenders``; default all)."""
    from .derive import derive  # start-up: a Scratch of stored rows needs no folds

    wanted = None if tables is None else {"offenders", *tables}
    scratch = Scratch(wanted)
    try:
        scratch.extend(derive(history, wanted) for history in histories)
    except BaseException:
        scratch.close()
        raise
    return scratch
