"""CSV extracts in: one row per event, or one file per event kind, with a column mapping.

Analysts receive extracts as CSV with their own column names and date styles. A
:class:`CsvMapping` says which column holds which event field; each row becomes the
event's JSON object and goes through the same codec, validation, rejects report and
idempotency as JSON Lines. Empty cells mean "absent".

Examples:
    >>> from offender_journey.store import InMemoryStore
    >>> extract = io.StringIO("Ref,PNC,Arrested\\nA1,O1,01/02/2014\\n")
    >>> columns = {"event_id": "Ref", "offender_id": "PNC", "date": "Arrested", "arrest_id": "Ref"}
    >>> mapping = CsvMapping(type="arrest", date_format="%d/%m/%Y", columns=columns)
    >>> import_csv(extract, InMemoryStore(), mapping=mapping).stored
    1
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import functools
import io
import os
import sys
import tomllib
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from enum import StrEnum
from typing import Any, TextIO, cast

import attrs
import cattrs

from ..codec import Codec, describe_error, shown
from ..envelope import with_source
from ..errors import InvalidEventError, OffenderJourneyError, Problem, did_you_mean
from ..events import EVENT_TYPES, SOURCE_NAME, Alias, Offence
from ..store.base import EventStore
from .importing import (
    MAX_LINE_BYTES,
    ImportReport,
    LongLine,
    Rejection,
    Row,
    batch_size_for,
    bounded_lines,
    ingest_rows,
    unreadable,
)

__all__ = [
    "CsvMapping",
    "MappingError",
    "check_header",
    "field_paths",
    "import_csv",
    "read_csv",
    "sniff_delimiter",
]


class MappingError(OffenderJourneyError, ValueError):
    """A mapping file that cannot be used; the message says what is wrong where."""


@attrs.frozen(kw_only=True)
class CsvMapping:
    """How an extract's columns map onto event fields.

    Field paths are the JSON format's names, with a dot into the offence (``offence.category``).
    Each field is read from the column ``columns`` names, else from the column of the same
    name; ``constants`` give a field one value on every row, ``defaults`` a value for rows
    whose cell is empty or whose extract lacks the column. A mapping naming a field no event
    has is refused, with the nearest field names.
    """

    #: Every row is of this event type (one file per kind); ``None``: a ``type`` column says.
    type: str | None = attrs.field(default=None)
    #: field path → the extract's column name.
    columns: Mapping[str, str] = attrs.field(factory=dict)
    #: field path → the value of that field on every row (the extract has no column for it).
    constants: Mapping[str, str] = attrs.field(factory=dict)
    #: field path → the value used where the cell is empty or the column absent.
    defaults: Mapping[str, str] = attrs.field(factory=dict)
    #: How lists (``charge_ids``) are joined inside one cell.
    list_separator: str = ";"
    #: ``strptime`` format of valid-time dates, e.g. ``"%d/%m/%Y"``; ``None``: ISO dates.
    date_format: str | None = None
    #: field path → ``strptime`` format of that one date field, over ``date_format``.
    date_formats: Mapping[str, str] = attrs.field(factory=dict)
    #: The character between cells; ``None``: whichever of ``, ; tab |`` the header uses.
    delimiter: str | None = None
    #: Field path → {value in the extract: the format's value}, e.g. local names → categories.
    values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    #: The system every row comes from (``police``...); a row's own ``source`` cell, if
    #: any, must agree. ``None``: the ``source`` column says, or the default source.
    source: str | None = attrs.field(default=None)

    @source.validator
    def _source_name(self, _attribute: object, value: str | None) -> None:
        if value is not None and SOURCE_NAME.fullmatch(value) is None:
            raise ValueError(
                f"source {value!r} is not a source name (a lower-case letter, then up to 31 "
                "lower-case letters, digits or underscores)"
            )

    @type.validator
    def _known_type(self, _attribute: object, value: str | None) -> None:
        if value is not None and value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r}{did_you_mean(value, EVENT_TYPES)}")

    def __attrs_post_init__(self) -> None:
        known = field_paths(self.type)
        what = f"a {self.type}" if self.type else "any event"
        for table in ("columns", "constants", "defaults", "values", "date_formats"):
            for path in getattr(self, table):
                if path not in known:
                    raise ValueError(
                        f"{table}: {path!r} is not a field of {what}{did_you_mean(path, known)}"
                    )
        for path in self.date_formats:
            if dict(_plan_of(self.type)).get(path, "date") != "date":
                raise ValueError(f"date_formats: {path!r} is not a date field")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CsvMapping:
        """Read a mapping from a TOML file (see ``examples/csv/charges_mapping.toml``)."""
        where = os.fspath(path)
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise MappingError(f"cannot read mapping {where!r}: {exc}") from None
        allowed = [field.name for field in attrs.fields(cls)]
        for key in data:
            if key not in allowed:
                raise MappingError(
                    f"mapping {where!r}: unknown key {key!r}{did_you_mean(key, allowed)};"
                    f" the keys are {', '.join(allowed)}"
                )
        converter = cattrs.Converter(forbid_extra_keys=True)
        try:
            return converter.structure(data, cls)
        except Exception as exc:  # noqa: BLE001 - cattrs explains what is wrong where
            problems = "; ".join(map(str, describe_error(exc))) or str(exc)
            raise MappingError(f"mapping {where!r}: {problems}") from None

    def cell(self, record: Mapping[str, str], path: str) -> str | None:
        """The text of field ``path`` on this row (constant, cell or default), ``None``: absent."""
        if path in self.constants:
            return str(self.constants[path])
        cell = record.get(self.columns.get(path, path))
        if cell is None or not cell.strip():
            default = self.defaults.get(path)
            return None if default is None else str(default)
        return cell.strip()


# --- per-type reading plans --------------------------------------------------------------


def _kind_of(hint: Any) -> str:
    """How a CSV cell is turned into the JSON the codec expects for this field type."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _kind_of(next(a for a in typing.get_args(hint) if a is not type(None)))
    if origin is tuple and typing.get_args(hint)[0] is Alias:
        return "aliases"
    if origin is tuple:
        return "list"
    if hint is int:
        return "int"
    if hint is float:
        return "float"
    if hint is dt.date:
        return "date"
    if hint is Offence:
        return "offence"
    if hint in (str, dt.datetime) or (isinstance(hint, type) and issubclass(hint, StrEnum)):
        return "text"
    raise TypeError(f"no CSV reading for {hint!r}")  # pragma: no cover - vocabulary is closed


@functools.cache
def _plan(event_type: str) -> tuple[tuple[str, str], ...]:
    """(field path, kind) for every field of an event type, offence fields flattened."""
    cls = EVENT_TYPES[event_type]
    attrs.resolve_types(cls)
    attrs.resolve_types(Offence)
    plan: list[tuple[str, str]] = []
    for field in attrs.fields(cls):
        kind = _kind_of(field.type)
        if kind == "offence":
            plan.extend((f"offence.{f.name}", _kind_of(f.type)) for f in attrs.fields(Offence))
        else:
            plan.append((field.name, kind))
    return tuple(plan)


@functools.cache
def _plan_of(event_type: str | None) -> tuple[tuple[str, str], ...]:
    """The plan of one event type, or of every type's fields together (``None``)."""
    if event_type is not None:
        return _plan(event_type)
    return tuple(dict(pair for kind in EVENT_TYPES for pair in _plan(kind)).items())


def field_paths(event_type: str | None = None) -> tuple[str, ...]:
    """Every field path a mapping may name: ``type`` and the fields of the event type
    (of every event type when ``None``).

    Examples:
        >>> field_paths("arrest")  # doctest: +NORMALIZE_WHITESPACE
        ('type', 'event_id', 'offender_id', 'date', 'recorded_at', 'schema_version',
         'source', 'arrest_id')
    """
    return ("type", *(path for path, _ in _plan_of(event_type)))


def _required(event_type: str) -> tuple[str, ...]:
    """The field paths an event of this type cannot be without."""
    cls = EVENT_TYPES[event_type]
    paths: list[str] = []
    for field in attrs.fields(cls):
        if field.default is not attrs.NOTHING:
            continue
        if _kind_of(field.type) == "offence":
            paths.extend(
                f"offence.{f.name}" for f in attrs.fields(Offence) if f.default is attrs.NOTHING
            )
        else:
            paths.append(field.name)
    return tuple(paths)


def _cell_to_json(value: str, kind: str, mapping: CsvMapping, path: str) -> Any:
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"expected a whole number, got {value!r}") from None
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if kind == "list":
        return [part.strip() for part in value.split(mapping.list_separator) if part.strip()]
    if kind == "date":
        form = mapping.date_formats.get(path, mapping.date_format)
        if form is not None:
            return _strptime_date(value, form)
    if kind == "aliases":
        return [_alias(part, mapping, path) for part in value.split(mapping.list_separator)]
    return value


def _strptime_date(value: str, form: str) -> str:
    """A date written in ``form`` as ISO; an impossible one is worded as JSON Lines words it."""
    try:
        return dt.datetime.strptime(value, form).date().isoformat()  # noqa: DTZ007 - a calendar date
    except ValueError as exc:
        reason = str(exc)
        if "does not match format" in reason or "unconverted data" in reason:
            raise ValueError(f"{shown(value)} does not match date format {form!r}") from None
        raise ValueError(f"impossible date {shown(value)} ({reason})") from None


def _alias(text: str, mapping: CsvMapping, path: str) -> dict[str, Any]:
    """One alias of an ``aliases`` cell: ``forenames|surname|date of birth``, parts optional."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) > 3:
        raise ValueError(f"an alias is forenames|surname|date of birth, got {text.strip()!r}")
    parts += [""] * (3 - len(parts))
    alias: dict[str, Any] = {}
    for name, part in zip(("forenames", "surname"), parts, strict=False):
        if part:
            alias[name] = part
    if parts[2]:
        alias["date_of_birth"] = _cell_to_json(parts[2], "date", mapping, f"{path}.date_of_birth")
    return alias


def row_to_raw(record: Mapping[str, str], mapping: CsvMapping) -> dict[str, Any]:
    """One CSV record → the event's JSON object for it (not yet validated)."""
    kind = mapping.type or mapping.cell(record, "type") or ""
    kind = mapping.values.get("type", {}).get(kind, kind)
    raw: dict[str, Any] = {"type": kind}
    if kind not in EVENT_TYPES:
        return raw  # the codec names the unknown or missing type
    problems: list[Problem] = []
    for path, cell_kind in _plan(kind):
        cell = mapping.cell(record, path)
        if cell is None:
            continue
        cell = mapping.values.get(path, {}).get(cell, cell)
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes, kept as surrogates on reading
            problems.append(Problem(path, "not valid UTF-8"))
            continue
        try:
            value = _cell_to_json(cell, cell_kind, mapping, path)
        except ValueError as exc:
            problems.append(Problem(path, str(exc)))
            continue
        if path.startswith("offence."):
            raw.setdefault("offence", {})[path.removeprefix("offence.")] = value
        else:
            raw[path] = value
    if problems:
        raise InvalidEventError(problems)
    if mapping.source is not None:
        with_source(raw, mapping.source)
    return raw


def check_header(header: list[str], mapping: CsvMapping) -> None:
    """Refuse, before any row is read, a header the mapping cannot read.

    Raises:
        MappingError: a mapped column is missing; no column says the event type; a
            required field has no column, constant or default; or the header matches
            no field at all (often a file separated by another character).
    """
    listed = ", ".join(map(repr, header))
    known = set(field_paths(mapping.type))
    if not any(name in known or name in mapping.columns.values() for name in header):
        raise MappingError(
            f"the header matches no field of the mapping: {listed}. Is the file separated "
            "by another character (give --delimiter), or are its columns named otherwise "
            "(give --mapping FILE.toml; see docs/csv.md)?"
        )
    missing = [(path, column) for path, column in mapping.columns.items() if column not in header]
    if missing:
        named = "; ".join(
            f"{column!r} (for {path}){did_you_mean(column, header)}" for path, column in missing
        )
        raise MappingError(f"the extract has no column {named}. Its header: {listed}")
    present = set(header)
    readable = {
        path
        for path in field_paths(mapping.type)
        if path in mapping.constants
        or path in mapping.defaults
        or mapping.columns.get(path, path) in present
    }
    if mapping.type is None:
        if "type" not in readable:
            raise MappingError(
                "the extract has no 'type' column, so nothing says which event each row "
                "is: give a mapping (--mapping FILE.toml, see docs/csv.md) with "
                '`type = "charge"` or a `type` column, or give --type TYPE'
            )
        return
    lacking = [path for path in _required(mapping.type) if path not in readable]
    if lacking:
        raise MappingError(
            f"a {mapping.type} needs {', '.join(lacking)}, and the extract has no column "
            f"for {'it' if len(lacking) == 1 else 'them'}: map one under [columns], or give "
            f"a constant or a default. Its header: {listed}"
        )


def sniff_delimiter(line: str) -> str:
    """The delimiter a header line uses: the most frequent of ``, ; tab |`` (``,`` if none).

    Examples:
        >>> sniff_delimiter("PNC;Date;Offence")
        ';'
    """
    counts = {candidate: line.count(candidate) for candidate in DELIMITERS}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


#: The delimiters an extract's header is looked at for.
DELIMITERS = (",", ";", "\t", "|")


#: A quoted cell may run over this many lines; a quote still open after them is
#: taken as never closed (otherwise it would swallow every following row).
MAX_RECORD_LINES = 100


class _BadRecordError(Exception):
    """The record starting at a line cannot be parsed as CSV."""


def _records(
    handle: TextIO, delimiter: str | None = None
) -> Iterator[tuple[int, str, list[str] | None, str]]:
    """``(first line number, raw text, cells or None, reason)`` for each CSV record.

    ``delimiter`` ``None``: the one the first line uses (:func:`sniff_delimiter`).
    A record that cannot be parsed (a quote never closed, a cell over the csv module's
    field size limit) costs only its first line: that line is reported with the
    reason, and reading starts again on the next line, so no row can vanish inside
    another. A line longer than :data:`MAX_LINE_BYTES` characters is refused unread
    (see :func:`~offender_journey.io.importing.bounded_lines`).
    """
    lines = bounded_lines(handle.readline)
    replay: collections.deque[str | LongLine[str]] = collections.deque()
    number = 1
    while True:
        consumed: list[str | LongLine[str]] = []
        first = replay[0] if replay else next(lines, None)
        if isinstance(first, LongLine):  # refused unread: only its start is kept
            if replay:
                replay.popleft()
            yield number, first.start, None, _too_long(first.length)
            number += 1
            continue
        if first is not None and not replay:
            replay.append(first)
        if delimiter is None:  # from the header line, the first there is
            delimiter = sniff_delimiter(first) if isinstance(first, str) else ","

        def feed(consumed: list[str | LongLine[str]], start: int) -> Iterator[str]:
            while True:
                line = replay.popleft() if replay else next(lines, None)
                if line is None:
                    return
                consumed.append(line)
                if isinstance(line, LongLine):
                    raise _BadRecordError(
                        f"line {start + len(consumed) - 1} is longer than"
                        f" {MAX_LINE_BYTES:,} characters"
                    )
                if len(consumed) > MAX_RECORD_LINES:
                    raise _BadRecordError(
                        f"a quote opened here is not closed within {MAX_RECORD_LINES} lines"
                    )
                yield line

        reader = csv.reader(feed(consumed, number), delimiter=delimiter, strict=True)
        try:
            cells = next(reader, None)
        except (csv.Error, _BadRecordError) as exc:
            reason = str(exc)
            if "unexpected end of data" in reason:
                reason = "a quote opened here is never closed"
            elif "field larger than field limit" in reason:
                reason = f"a cell is longer than {csv.field_size_limit():,} characters"
            start = consumed[0] if consumed else ""
            replay.extendleft(reversed(consumed[1:]))
            yield number, cast(str, start).rstrip("\r\n"), None, f"not valid CSV: {reason}"
            number += 1
            continue
        if cells is None:
            return
        text = "".join(cast(list[str], consumed)).rstrip("\r\n")
        yield number, text, cells, ""
        number += len(consumed)


def _too_long(length: int) -> str:
    return f"line of {length:,} characters; an event may take at most {MAX_LINE_BYTES:,}"


def read_csv(handle: TextIO, mapping: CsvMapping, codec: Codec) -> Iterator[Row]:
    """Each CSV record as a :class:`Row`; line numbers count the header as line 1.

    The header is read and checked now (:func:`check_header`), so a mapping the extract
    does not fit is refused before any row is. Every line is accounted for: a record the
    csv module cannot parse is a row of problems, and so is a row that cannot become an
    event for any reason.

    Raises:
        MappingError: the header does not fit the mapping.
    """
    records = _records(handle, mapping.delimiter)
    first = next(records, None)
    if first is None:
        return iter(())
    _number, _raw, header, reason = first
    if header is None:
        raise MappingError(f"line 1, the header, {reason.removeprefix('not valid CSV: ')}")
    header = [name.strip() for name in header]
    check_header(header, mapping)
    return _rows(records, header, mapping, codec)


def _rows(
    records: Iterator[tuple[int, str, list[str] | None, str]],
    header: list[str],
    mapping: CsvMapping,
    codec: Codec,
) -> Iterator[Row]:
    for number, raw, cells, reason in records:
        text = raw.encode("utf-8", "surrogateescape")
        if cells is None:
            yield Row(number, text, problems=(Problem("", reason),))
            continue
        if not any(cell.strip() for cell in cells):
            yield Row(number, text, blank=True)
            continue
        record = dict(zip(header, cells, strict=False))
        try:
            event = codec.decode(row_to_raw(record, mapping))
        except InvalidEventError as exc:
            yield Row(number, text, problems=exc.problems)
        except Exception as exc:  # noqa: BLE001 - a row must never stop the import
            yield Row(number, text, problems=(unreadable(exc),))
        else:
            yield Row(number, text, event=event)


def import_csv(
    source: str | os.PathLike[str] | TextIO,
    store: EventStore,
    *,
    mapping: CsvMapping | None = None,
    strict: bool = False,
    batch_size: int | None = None,
    on_reject: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    codec: Codec | None = None,
) -> ImportReport:
    """Import a CSV extract (a path, ``"-"`` for standard input, or an open text file).

    The same accounting and the same transactions as
    :func:`~offender_journey.io.import_jsonl`: every record is stored, already present,
    or rejected with its line number, field and reason.
    """
    codec = codec or Codec()
    mapping = mapping or CsvMapping()
    with ExitStack() as stack:
        handle: TextIO
        if isinstance(source, str | os.PathLike):
            if os.fspath(source) == "-":
                handle = io.TextIOWrapper(sys.stdin.buffer, "utf-8-sig", "surrogateescape", "")
            else:
                handle = stack.enter_context(
                    open(source, encoding="utf-8-sig", errors="surrogateescape", newline="")
                )
        else:
            handle = source
        return ingest_rows(
            read_csv(handle, mapping, codec),
            store,
            strict=strict,
            batch_size=batch_size_for(handle, store) if batch_size is None else batch_size,
            on_reject=on_reject,
            on_progress=on_progress,
            encode=codec.encode_line,
        )
