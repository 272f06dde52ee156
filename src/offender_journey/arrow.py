"""Arrow tables of events and fact rows: the shape exports and ``to_arrow`` share.

pyarrow is the ``parquet`` extra, imported only when a table is made; nothing else
here needs it, so every layer may use this module (the Parquet files themselves are
:mod:`offender_journey.io.parquet`'s).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .errors import MissingExtraError

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "arrow_schema",
    "arrow_table",
    "event_schema",
    "require_pyarrow",
]

#: The columns of an events table, in file order.
EVENT_COLUMNS = (
    "offender_id",
    "version",
    "event_id",
    "type",
    "date",
    "recorded_at",
    "recorded_at_given",
    "payload",
)


#: Arrow type names of :data:`EVENT_COLUMNS` (see :func:`event_schema`): ``date`` a
#: calendar date, ``recorded_at`` an instant in UTC to the microsecond (rows give it as
#: microseconds since 1970), so pandas, polars and DuckDB read dates and timestamps.
EVENT_TYPES = ("string", "int64", "string", "string", "date32", "timestamp", "bool", "string")


def require_pyarrow(feature: str = "Parquet") -> Any:
    """The pyarrow module, or a :class:`MissingExtraError` naming the ``parquet`` extra."""
    try:
        # optional extra: pyarrow (the parquet extra)
        import pyarrow
        import pyarrow.parquet  # loads the submodule onto ``pyarrow``
    except ImportError:
        raise MissingExtraError(feature, "parquet", "pyarrow") from None
    return pyarrow


def event_schema() -> Any:
    """The Arrow schema of an events table (:data:`EVENT_COLUMNS`)."""
    pa = require_pyarrow()
    types = {
        "string": pa.string(),
        "int64": pa.int64(),
        "bool": pa.bool_(),
        "date32": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema(
        [(name, types[kind]) for name, kind in zip(EVENT_COLUMNS, EVENT_TYPES, strict=True)]
    )


def arrow_table(rows: Iterable[Sequence[Any]], schema: Any = None) -> Any:
    """Rows (tuples in schema order; default :func:`event_schema`) as one Arrow table."""
    pa = require_pyarrow()
    schema = schema if schema is not None else event_schema()
    columns: list[list[Any]] = [[] for _ in schema.names]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return pa.Table.from_arrays(
        [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def arrow_schema(columns: Iterable[tuple[str, str]]) -> Any:
    """An Arrow schema from ``(name, kind)`` pairs; kinds: text, int, date, bool, real."""
    pa = require_pyarrow()
    types = {
        "text": pa.string(),
        "int": pa.int64(),
        "date": pa.date32(),
        "bool": pa.bool_(),
        "real": pa.float64(),
    }
    return pa.schema([(name, types[kind]) for name, kind in columns])
