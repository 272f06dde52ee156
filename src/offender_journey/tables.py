"""Results as tables: one shape that feeds pandas, notebook HTML and the terminal.

Every result class says what its table looks like (:meth:`Tabular.table`); the
:class:`Tabular` mixin turns that into ``to_pandas()`` (the ``pandas`` extra, typed
columns: dates as dates, categories as categoricals, counts as integers, rates as
nullable floats) and ``_repr_html_()`` for Jupyter, so no result builds either by hand.

Examples:
    >>> t = Table("Counts", (Column("kind", "category"), Column("n", "int")), (("a", 1), ("b", 2)))
    >>> print(t.to_text())
    Counts
    kind  n
    a     1
    b     2
"""

from __future__ import annotations

import abc
import datetime as dt
import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .errors import MissingExtraError
from .labels import label

if TYPE_CHECKING:
    from .events import Event

__all__ = [
    "Column",
    "Table",
    "Tabular",
    "events_table",
    "plural",
    "printable",
    "require_pandas",
]

Kind = Literal["str", "category", "int", "float", "date", "datetime", "bool"]
#: How a number reads in text: a share shown as a percentage, pounds, or as it is.
Unit = Literal["", "share", "gbp", "code"]


#: Characters that must never reach a terminal as they are: control characters (a NUL, an
#: escape sequence, a line break inside a value that forges a line), line separators and
#: the bidirectional controls that make text read other than it is stored.
_HIDDEN = [*range(0x20), *range(0x7F, 0xA0), 0x61C, 0x200E, 0x200F, 0x2028, 0x2029]
_HIDDEN += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES = {chr(c): (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _HIDDEN}
_ESCAPES |= {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_IN_VALUE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
#: The same, keeping line breaks and tabs: for whole texts, whose lines are their own.
_IN_TEXT = re.compile("[" + re.escape("".join(c for c in _ESCAPES if c not in "\n\t")) + "]")


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with every control and bidirectional character written as an escape.

    What text output shows of stored values (ids above all) goes through here, so one
    value cannot forge a line, clear a terminal or reverse what follows it; JSON output
    escapes them itself. ``lines=True`` keeps line breaks and tabs (a whole text).

    Examples:
        >>> print(printable("O1\\nO2\\u202e"))
        O1\\nO2\\u202e
    """
    pattern = _IN_TEXT if lines else _IN_VALUE
    if pattern.search(text) is None:  # the common case: nothing to escape, found in C
        return text
    return pattern.sub(lambda found: _ESCAPES[found.group()], text)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 offender``, ``2 offenders`` (``nouns`` for an irregular plural).

    Examples:
        >>> plural(1, "offender"), plural(0, "oddity", "oddities")
        ('1 offender', '0 oddities')
    """
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def require_pandas(feature: str = "to_pandas()") -> Any:
    """The pandas module, or a :class:`MissingExtraError` naming the extra to install."""
    try:
        # the pandas extra
        import pandas
    except ImportError:
        raise MissingExtraError(feature, "pandas", "pandas") from None
    return pandas


@attrs.frozen
class Column:
    """A column's name, the kind of values it holds, and how it reads in text."""

    name: str
    kind: Kind = "str"
    #: The header shown in text and HTML (default: the name); DataFrames keep the name.
    label: str = ""
    #: ``share``: a fraction shown as a percentage; ``gbp``: pounds; ``code``: a code of the
    #: vocabulary shown by its label (text and HTML only: DataFrames keep the values).
    unit: Unit = ""

    @property
    def header(self) -> str:
        """What a reader sees at the top of the column."""
        return self.label or self.name

    def show(self, value: Any) -> str:
        """One value as text: ``-`` for none, shares as percentages, pounds with commas."""
        if value is None:
            return "-"
        if self.unit == "share":
            return f"{100 * value:.1f} %"
        if self.unit == "gbp":
            return f"£{value:,.0f}"
        if self.unit == "code":
            return label(str(value))
        if isinstance(value, float):
            return f"{value:.1f}" if self.kind == "float" else f"{value:.4g}"
        if isinstance(value, dt.date):
            return value.isoformat()
        return printable(str(value))

    @property
    def numeric(self) -> bool:
        """Whether the column holds numbers (right-aligned in text)."""
        return self.kind in ("int", "float")


@attrs.frozen
class Table:
    """A titled table: columns and rows (tuples in column order)."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    def to_pandas(self) -> Any:
        """A DataFrame with a dtype per column kind."""
        pd = require_pandas()
        names = [c.name for c in self.columns]
        frame = pd.DataFrame.from_records(list(self.rows), columns=names)
        for column in self.columns:
            values = frame[column.name]
            if column.kind == "category":
                frame[column.name] = values.astype("category")
            elif column.kind == "int":
                frame[column.name] = values.astype("Int64")
            elif column.kind == "float":
                frame[column.name] = pd.to_numeric(values, errors="coerce").astype("Float64")
            elif column.kind in ("date", "datetime"):
                frame[column.name] = pd.to_datetime(values, utc=column.kind == "datetime")
            elif column.kind == "bool":
                frame[column.name] = values.astype("boolean")
            else:
                frame[column.name] = values.astype("string")
        frame.attrs["title"] = self.title
        return frame

    def to_html(self) -> str:
        """A plain HTML table (what Jupyter shows), without needing pandas."""
        head = "".join(f"<th>{html.escape(c.header)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(c.show(v))}</td>" for c, v in zip(self.columns, row, strict=True)
            )
            + "</tr>"
            for row in self.rows
        )
        return (
            f"<table><caption>{html.escape(self.title)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def to_text(self, *, title: bool = True) -> str:
        """Aligned plain text, for terminals and logs: the one way results print tables.

        Numbers are right-aligned, text left-aligned; ``title=False`` leaves the title out
        (when the caller has already said what the table is).
        """
        columns = self.columns
        cells = [[c.header for c in columns]] + [
            [c.show(v) for c, v in zip(columns, row, strict=True)] for row in self.rows
        ]
        widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
        lines = [
            "  ".join(
                v.rjust(w) if c.numeric else v.ljust(w)
                for c, v, w in zip(columns, r, widths, strict=True)
            ).rstrip()
            for r in cells
        ]
        return "\n".join([printable(self.title), *lines] if title else lines)


class Tabular(abc.ABC):
    """Mixin: ``to_pandas()`` and ``_repr_html_()`` from the class's :meth:`table`."""

    __slots__ = ()

    @abc.abstractmethod
    def table(self) -> Table:
        """The result as a :class:`Table`."""

    def to_pandas(self) -> Any:
        """The result as a pandas DataFrame (needs the ``pandas`` extra)."""
        return self.table().to_pandas()

    def _repr_html_(self) -> str:
        return self.table().to_html()


_ENVELOPE = ("type", "event_id", "offender_id", "source", "date", "recorded_at", "schema_version")


def events_table(events: Iterable[Event]) -> Table:
    """Raw events, one row each: the envelope, plus the other fields as canonical JSON.

    ``offender_id`` is the event's source record (``police:P1``; the bare id without a
    source), as the store keys it.
    """
    # start-up: tables of results need no codec
    from .codec import Codec, dumps
    from .events import record_key

    codec = Codec()
    rows = []
    for event in events:
        raw = codec.encode(event)
        rest = {k: v for k, v in raw.items() if k not in _ENVELOPE}
        rows.append(
            (
                record_key(event.source, event.offender_id),
                event.event_id,
                event.TYPE,
                event.date,
                event.recorded_at,
                dumps(rest),
            )
        )
    columns = (
        Column("offender_id"),
        Column("event_id"),
        Column("type", "category"),
        Column("date", "date"),
        Column("recorded_at", "datetime"),
        Column("fields"),
    )
    return Table("Events", columns, tuple(rows))
