"""Counting over fact tables in SQL: the one way the default views add offenders up.

A :class:`FactSource` is fact tables to aggregate over, with the offenders to leave
out of them: a store's tables (SQLite or PostgreSQL), or a
:class:`~offender_journey.facts.scratch.Scratch` database holding facts derived on
the fly (an ``as_of`` in the past, streams handed to
:func:`~offender_journey.metrics.compute`, a Dask partition). A view writes its
SQL once, over a source, with the window pushed into ``WHERE`` and ``GROUP BY``
doing the counting, so the same statements count whatever the facts came from, and
only a few rows come back to Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from .schema import SQLITE, Dialect

if TYPE_CHECKING:
    from ..history import Window

__all__ = ["FactSource", "offender_counts"]


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
