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

from ..codec import Codec, describe_error
from ..envelope import with_source
from ..errors import InvalidEventError, OffenderJourneyError, Problem
from ..events import EVENT_TYPES, SOURCE_NAME, Alias, Offence
from ..store.base import EventStore
from .importing import (
    BATCH_SIZE,
    MAX_LINE_BYTES,
    ImportReport,
    LongLine,
    Rejection,
    Row,
    bounded_lines,
    ingest_rows,
    unreadable,
)

__all__ = ["CsvMapping", "MappingError", "import_csv", "read_csv"]


class MappingError(OffenderJourneyError, ValueError):
    """A mapping file that cannot be used; the message says what is wrong where."""


@attrs.frozen(kw_only=True)
class CsvMapping:
    """How an extract's columns map onto event fields.

    Field paths are the JSON format's names, with a dot into the offence (``offence.category``).
    A field not listed in ``columns`` is read from the column of the same name.
    """

    #: Every row is of this event type (one file per kind); ``None``: a ``type`` column says.
    type: str | None = attrs.field(default=None)
    #: field path → the extract's column name.
    columns: Mapping[str, str] = attrs.field(factory=dict)
    #: How lists (``charge_ids``) are joined inside one cell.
    list_separator: str = ";"
    #: ``strptime`` format of valid-time dates, e.g. ``"%d/%m/%Y"``; ``None``: ISO dates.
    date_format: str | None = None
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
            raise ValueError(f"unknown event type {value!r}")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CsvMapping:
        """Read a mapping from a TOML file (see ``examples/csv/charges_mapping.toml``)."""
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise MappingError(f"cannot read mapping {os.fspath(path)!r}: {exc}") from None
        converter = cattrs.Converter(forbid_extra_keys=True)
        try:
            return converter.structure(data, cls)
        except Exception as exc:  # noqa: BLE001 - cattrs explains what is wrong where
            problems = "; ".join(map(str, describe_error(exc))) or str(exc)
            raise MappingError(f"mapping {os.fspath(path)!r}: {problems}") from None


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


def _cell_to_json(value: str, kind: str, mapping: CsvMapping) -> Any:
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
    if kind == "aliases":
        return [_alias(part, mapping) for part in value.split(mapping.list_separator)]
    if kind == "date" and mapping.date_format is not None:
        try:
            return dt.datetime.strptime(value, mapping.date_format).date().isoformat()  # noqa: DTZ007 - a calendar date
        except ValueError:
            raise ValueError(
                f"{value!r} does not match date format {mapping.date_format!r}"
            ) from None
    return value


def _alias(text: str, mapping: CsvMapping) -> dict[str, Any]:
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
        alias["date_of_birth"] = _cell_to_json(parts[2], "date", mapping)
    return alias


def row_to_raw(record: Mapping[str, str], mapping: CsvMapping) -> dict[str, Any]:
    """One CSV record → the event's JSON object for it (not yet validated)."""
    columns = mapping.columns
    kind = mapping.type or (record.get(columns.get("type", "type")) or "").strip()
    raw: dict[str, Any] = {"type": kind}
    if kind not in EVENT_TYPES:
        return raw  # the codec names the unknown or missing type
    problems: list[Problem] = []
    for path, cell_kind in _plan(kind):
        cell = record.get(columns.get(path, path))
        if cell is None or not cell.strip():
            continue
        cell = cell.strip()
        cell = mapping.values.get(path, {}).get(cell, cell)
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes, kept as surrogates on reading
            problems.append(Problem(path, "not valid UTF-8"))
            continue
        try:
            value = _cell_to_json(cell, cell_kind, mapping)
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


#: A quoted cell may run over this many lines; a quote still open after them is
#: taken as never closed (otherwise it would swallow every following row).
MAX_RECORD_LINES = 100


class _BadRecordError(Exception):
    """The record starting at a line cannot be parsed as CSV."""


def _records(handle: TextIO) -> Iterator[tuple[int, str, list[str] | None, str]]:
    """``(first line number, raw text, cells or None, reason)`` for each CSV record.

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

        reader = csv.reader(feed(consumed, number), strict=True)
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

    Every line is accounted for: a record the csv module cannot parse is a row of
    problems, and so is a row that cannot become an event for any reason.
    """
    header: list[str] | None = None
    for number, raw, cells, reason in _records(handle):
        text = raw.encode("utf-8", "surrogateescape")
        if cells is None:
            yield Row(number, text, problems=(Problem("", reason),))
            continue
        if header is None:
            header = cells
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
    batch_size: int = BATCH_SIZE,
    on_reject: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    codec: Codec | None = None,
) -> ImportReport:
    """Import a CSV extract (a path, ``"-"`` for standard input, or an open text file).

    The same accounting as :func:`~offender_journey.io.import_jsonl`: every record is
    stored, already present, or rejected with its line number, field and reason.
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
            batch_size=batch_size,
            on_reject=on_reject,
            on_progress=on_progress,
            encode=codec.encode_line,
        )
