"""Counting over fact tables in SQL: the one way the default views add offenders up.

A :class:`FactSource` is fact tables to aggregate over, with the offenders to leave
out of them: a store's tables (SQLite or PostgreSQL), or a :class:`Scratch`
database holding facts derived on the fly (an ``as_of`` in the past, streams handed
to :func:`~offender_journey.metrics.compute`, a Dask partition). A view writes its
SQL once, over a source, with the window pushed into ``WHERE`` and ``GROUP BY``
doing the counting, so the same statements count whatever the facts came from, and
only a few rows come back to Python.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> from offender_journey.projections import History
    >>> j = JourneyBuilder("O1")
    >>> _ = j.charge("2013-01-10", "shoplifting")
    >>> with scratch_of([History.build("O1", j.events)]) as scratch:
    ...     scratch.source.fetch("SELECT COUNT(*) FROM charges")
    [(1,)]
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .schema import SQLITE, Dialect, OffenderFacts, create_statements

if TYPE_CHECKING:
    from ..projections.base import History, Window

__all__ = ["FactSource", "Scratch", "offender_counts", "scratch_of"]


class FactSource:
    """Fact tables to aggregate over: a DB-API connection, its dialect, offenders left out.

    ``skip`` names offenders whose stored rows must not count (their facts are
    derived afresh elsewhere and added to the result).
    """

    def __init__(
        self, connection: Any, dialect: Dialect = SQLITE, skip: Collection[str] = ()
    ) -> None:
        self.connection = connection
        self.dialect = dialect
        self.skip = tuple(skip)
        self._date = dialect.from_db.get("date")
        self._text = dialect.from_db.get("text")
        self._date_param = dialect.to_db.get("date")

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of one (aggregate) query."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def where(
        self, alias: str, column: str | None = None, window: Window | None = None
    ) -> tuple[str, list[Any]]:
        """A ``WHERE`` condition on table ``alias``: ``column`` inside ``window``, not skipped.

        Dates compare as dates in every dialect (ISO text in SQLite sorts as dates).
        """
        mark = self.dialect.placeholder
        parts: list[str] = []
        params: list[Any] = []
        if window is not None and column is not None:
            for bound, operator in ((window.start, ">="), (window.end, "<=")):
                if bound is not None:
                    parts.append(f"{alias}.{column} {operator} {mark}")
                    params.append(self.date_param(bound))
        if self.skip:
            parts.append(self.dialect.excluding.format(column=f"{alias}.offender_id", mark=mark))
            params.append(self.dialect.pack(self.skip))
        return (" AND ".join(parts) or "1 = 1"), params

    def date_param(self, day: dt.date) -> Any:
        """A date as a parameter of this dialect."""
        return day if self._date_param is None else self._date_param(day)

    def date(self, value: Any) -> dt.date | None:
        """A fetched date as a ``date``."""
        if value is None or self._date is None:
            return value  # type: ignore[no-any-return]
        return self._date(value)  # type: ignore[no-any-return]

    def text(self, value: Any) -> str:
        """A fetched text value as Python text."""
        return value if self._text is None else self._text(value)  # type: ignore[no-any-return]


def offender_counts(source: FactSource) -> tuple[int, int]:
    """Offenders with at least one effective event, and their effective events."""
    where, params = source.where("f")
    ((offenders, events),) = source.fetch(
        f"SELECT COUNT(*), COALESCE(SUM(f.events), 0) FROM offenders f "
        f"WHERE f.events > 0 AND {where}",
        params,
    )
    return int(offenders), int(events)


# Offenders written per transaction into a scratch database (bounds memory).
_BATCH = 500


class Scratch:
    """A private temporary SQLite database of facts derived on the fly.

    ``sqlite3.connect("")`` makes an on-disk temporary database that SQLite deletes on
    closing, so memory stays bounded however many offenders are added; the rows are
    written by the same writer as a store's tables. Use as a context manager.
    """

    def __init__(self) -> None:
        from .refresh import write_facts

        self._write = write_facts
        self.connection = sqlite3.connect("", isolation_level=None)
        self.connection.execute("PRAGMA journal_mode = OFF")
        self.connection.execute("PRAGMA synchronous = OFF")
        for statement in create_statements(SQLITE):
            self.connection.execute(statement)
        self._pending: list[OffenderFacts] = []

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
        self._write(cursor, [], self._pending, 0)
        cursor.execute("COMMIT")
        self._pending = []

    @property
    def source(self) -> FactSource:
        """Everything added so far, to aggregate over."""
        self._flush()
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
    from .derive import derive

    wanted = None if tables is None else {"offenders", *tables}
    scratch = Scratch()
    try:
        scratch.extend(derive(history, wanted) for history in histories)
    except BaseException:
        scratch.close()
        raise
    return scratch
