"""JSON <-> events: one cattrs converter, readable errors, upcasting of old versions.

The wire format is the JSON Lines format: one JSON object per event, tagged by ``type``.
:func:`make_converter` builds the converter; :class:`Codec` wraps a fast one for
trusted reads and a detailed one that explains what is wrong with bad input.

Examples:
    >>> codec = Codec()
    >>> event = codec.decode({"type": "arrest", "event_id": "e1", "offender_id": "o1",
    ...                       "date": "2024-03-01", "arrest_id": "a1"})
    >>> event.date
    datetime.date(2024, 3, 1)
    >>> codec.encode(event)["type"]
    'arrest'
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Callable
from enum import StrEnum
from types import MemberDescriptorType, UnionType
from typing import TYPE_CHECKING, Any, Final, TypeVar, Union, get_args, get_origin
from zoneinfo import ZoneInfo

import attrs

from .dates import add_months
from .errors import InvalidEventError, Problem, nearest
from .events import (
    CURRENT_SCHEMA_VERSION,
    EVENT_TYPES,
    FIRST_RECORDED_YEAR,
    FIRST_YEAR,
    LAST_RECORDED_YEAR,
    LAST_YEAR,
    MAX_ID_CHARS,
    MAX_LIST_ITEMS,
    MAX_TEXT_CHARS,
    OLDEST_SCHEMA_VERSION,
    Alias,
    Event,
    Offence,
)

if TYPE_CHECKING:  # cattrs is imported when a converter is made: reading facts needs none
    import cattrs

try:  # orjson is the `fast` extra; the standard library is the fallback.
    import orjson
except ImportError:  # pragma: no cover - exercised only without the extra
    orjson = None  # type: ignore[assignment]

__all__ = [
    "UPCASTERS",
    "MAX_NESTING",
    "Codec",
    "describe_error",
    "dumps",
    "loads",
    "make_converter",
    "parse_date",
    "parse_instant",
    "parse_object",
    "shown",
]

#: The time zone of the valid-time calendar (the same IANA zone pendulum reads).
LONDON: Final = ZoneInfo("Europe/London")

RawEvent = dict[str, Any]
Upcaster = Callable[[RawEvent], RawEvent]


# --- JSON text ----------------------------------------------------------------------

#: The deepest a line may nest objects and lists (the event itself is one level). An event
#: needs three; the standard library's parser fails at about a thousand and orjson's at
#: 1,024, so a bound of our own makes a line mean the same with either parser.
MAX_NESTING: Final = 64

#: A JSON string (skipped whole) or one bracket.
_BRACKET: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _check_nesting(text: str) -> None:
    """Refuse ``text`` nested deeper than :data:`MAX_NESTING`, before any parser sees it.

    Its brackets outside strings are followed one by one (a line with no more brackets
    than the bound cannot exceed it: :func:`parse_object` counts them first).
    """
    depth = 0
    for match in _BRACKET.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > MAX_NESTING:
                raise ValueError(f"nested more than {MAX_NESTING} levels deep")
        elif token == "]" or token == "}":
            depth -= 1


def loads(text: str | bytes) -> Any:
    """Parse one JSON document (orjson when installed); for text this library wrote."""
    if orjson is not None:
        return orjson.loads(text)
    return json.loads(text)


#: :func:`loads` without the call around it, for the read path (once per stored event).
_parse: Callable[[str | bytes], Any] = json.loads if orjson is None else orjson.loads


def parse_object(text: str | bytes) -> Any:
    """Parse one line of input, refusing what JSON parsers quietly accept.

    An object with the same key twice is an error (parsers keep the last value, so
    the line would silently mean something else), and so are ``NaN``/``Infinity``
    and nesting too deep to parse. orjson cannot report duplicate keys, so its result
    is checked by counting, first cheaply: when no quote in the line is followed by
    white space, every key in it is followed by ``":``, and that pair occurs nowhere
    else but inside strings; so if the line holds no more ``":`` than the object (and
    the objects directly in it) hold keys, no key is given twice. Otherwise: outside
    strings, a line's colons are exactly its keys, so when the parsed object written
    back holds fewer colons than the line (or the line spells a colon as an escape),
    the standard library parses it again and names the duplicate. Nesting deeper than
    :data:`MAX_NESTING` is refused the same way with either parser.

    Raises:
        ValueError: the text is not one valid JSON document with unique keys.
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if text.count("[") + text.count("{") > MAX_NESTING:  # else it cannot nest deeper
            _check_nesting(text)
        if orjson is not None:
            value = orjson.loads(text)
            if type(value) is not dict:
                return value
            # Most lines hold no white space at all: four searches for one character
            # (each in C) tell so, about five times quicker than the four for a pair.
            spaced = (" " in text or "\t" in text or "\r" in text or "\n" in text) and (
                '" ' in text or '"\t' in text or '"\r' in text or '"\n' in text
            )
            if not spaced:
                pairs = text.count('":')
                if pairs == len(value) or pairs == len(value) + sum(
                    [len(v) for v in value.values() if type(v) is dict]
                ):
                    return value
            try:  # written back compactly, only the duplicates' own colons are missing
                colons = orjson.dumps(value).count(b":")
            except orjson.JSONEncodeError:  # nested deeper than orjson writes
                colons = -1
            if colons == text.count(":") and "\\u003" not in text:
                return value
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return obj


class DuplicateKeyError(ValueError):
    """A JSON object names one key twice."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"duplicate key {shown(key)}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a message never echoes a huge value.

    Examples:
        >>> shown("a" * 1000, limit=5)
        "'aaaaa'... (1000 chars)"
    """
    if type(value) is str and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} chars)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept; identical with or without orjson."""
    if orjson is not None:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- scalar parsing (the format's time rules) ------------------------------------------


def parse_instant(value: object) -> dt.datetime:
    """An ISO-8601 datetime that carries a UTC offset, as an aware UTC datetime.

    Examples:
        >>> parse_instant("2024-03-01T12:00:00+01:00")
        datetime.datetime(2024, 3, 1, 11, 0, tzinfo=datetime.timezone.utc)
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is dt.UTC:
            return value
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{shown(value)} is not an ISO-8601 datetime") from None
        if moment.tzinfo is dt.UTC:  # the common case: already UTC
            return moment
    else:
        raise TypeError(f"expected an ISO-8601 datetime string, got {_kind(value)}")
    if moment.utcoffset() is None:
        raise ValueError(f"datetime {shown(value)} has no UTC offset")
    return moment.astimezone(dt.UTC)


def parse_date(value: object) -> dt.date:
    """A calendar date: ``YYYY-MM-DD``, or a datetime with offset reduced to its London date.

    Examples:
        >>> parse_date("2024-03-31T23:30:00+00:00")  # already 1 April in London (BST)
        datetime.date(2024, 4, 1)
    """
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"impossible date {shown(value)} ({exc})") from None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{shown(value)} is not a date (YYYY-MM-DD) or an ISO-8601 datetime"
            ) from None
    else:
        raise TypeError(f"expected a date string, got {_kind(value)}")
    if moment.utcoffset() is None:
        raise ValueError(f"datetime {shown(value)} has no UTC offset")
    return moment.astimezone(LONDON).date()


def _structure_date(value: object, _: type) -> dt.date:
    # The common case inline: one call per date field on the import path.
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            day = dt.date.fromisoformat(value)
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                return day
        except ValueError:
            day = parse_date(value)
    else:
        try:
            day = parse_date(value)
        except OverflowError:  # an offset pushing year 9999 past the calendar
            raise ValueError(f"{shown(value)} is outside the calendar") from None
    if FIRST_YEAR <= day.year <= LAST_YEAR:
        return day
    raise ValueError(
        f"date {day.isoformat()} is outside {FIRST_YEAR}-01-01 .. {LAST_YEAR}-12-31"
        " (a placeholder for an unknown date?)"
    )


def _structure_instant(value: object, _: type) -> dt.datetime:
    if type(value) is str:  # the common case inline: already UTC, within the bounds
        try:
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is dt.UTC and FIRST_RECORDED_YEAR <= moment.year <= LAST_RECORDED_YEAR:
                return moment
        except ValueError:
            pass
    try:
        moment = parse_instant(value)
    except OverflowError:
        raise ValueError(f"{shown(value)} is outside the calendar") from None
    if FIRST_RECORDED_YEAR <= moment.year <= LAST_RECORDED_YEAR:
        return moment
    raise ValueError(
        f"{moment.isoformat()} is outside {FIRST_RECORDED_YEAR} .. {LAST_RECORDED_YEAR}"
    )


def _kind(value: object) -> str:
    names = {
        type(None): "null",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)


def _strict_str(value: object, _: type) -> str:
    # The common case in one test: short ASCII text (one call per string field).
    if type(value) is str and value.isascii() and len(value) <= MAX_TEXT_CHARS:
        return value
    if type(value) is not str:
        raise TypeError(f"expected a string, got {_kind(value)}")
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(
            f"expected a string of at most {MAX_TEXT_CHARS:,} characters,"
            f" got {len(value):,} characters"
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate escape such as "\\ud800"
            raise ValueError(f"{shown(value)} is not valid Unicode text") from None
    return value


#: Integers are 64-bit; floats stand for whole numbers only while they are exact.
_INT_LIMIT: Final = 2**63
_EXACT_FLOAT: Final = 2.0**53


def _strict_int(value: object, _: type) -> int:
    if type(value) is int:
        if -_INT_LIMIT <= value < _INT_LIMIT:
            return value
        raise ValueError(f"{shown(value)} is beyond a 64-bit whole number")
    if type(value) is float and value.is_integer():
        if -_EXACT_FLOAT <= value <= _EXACT_FLOAT:
            return int(value)
        raise ValueError(f"{value!r} is too large to be an exact whole number")
    raise TypeError(f"expected a whole number, got {_kind(value)}")


def _strict_float(value: object, _: type) -> float:
    if type(value) is float:
        if math.isfinite(value):
            return value
        raise ValueError(f"expected a finite number, got {value!r}")
    if type(value) is int:
        if -_INT_LIMIT <= value < _INT_LIMIT:
            return float(value)
        raise ValueError(f"{shown(value)} is beyond a 64-bit number")
    raise TypeError(f"expected a number, got {_kind(value)}")


@functools.cache
def _members(cls: type[StrEnum]) -> tuple[dict[str, StrEnum], str]:
    return {m.value: m for m in cls}, ", ".join(m.value for m in cls)


def _strict_enum(value: object, cls: type[StrEnum]) -> StrEnum:
    members, expected = _members(cls)
    try:
        return members[value]  # type: ignore[index]
    except (KeyError, TypeError):
        label = "category" if cls.__name__ == "Category" else "value"
        # The nearest names first: the full list may be cut short before the answer.
        close = nearest(value, members) if isinstance(value, str) else []
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ValueError(
            f"unknown {label} {shown(value)}; {hint}expected one of: {expected}"
        ) from None


def _object(value: object) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {_kind(value)}")
    return value


def _string_tuple(value: object, _: type) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is not list:
        raise TypeError(f"expected a list of strings, got {_kind(value)}")
    if len(value) > MAX_LIST_ITEMS:
        raise ValueError(f"expected at most {MAX_LIST_ITEMS:,} items, got {len(value):,}")
    for item in value:
        if type(item) is not str or not 0 < len(item) <= MAX_ID_CHARS:
            raise TypeError(
                f"expected a list of strings of 1 to {MAX_ID_CHARS} characters,"
                f" got {shown(item)} in it"
            )
    return tuple(value)


# --- upcasting ---------------------------------------------------------------------------


def _sentence_v0(raw: RawEvent) -> RawEvent:
    """Version 0 sentences gave their length in whole months; version 1 counts days."""
    raw = dict(raw)
    months = raw.pop("length_months", None)
    if months is not None:
        if type(months) is not int or not 0 <= months <= _MAX_LENGTH_MONTHS:
            raise ValueError(
                f"length_months: expected a whole number 0 .. {_MAX_LENGTH_MONTHS},"
                f" got {shown(months)}"
            )
        start = _structure_date(raw["date"], dt.date)
        raw["length_days"] = (add_months(start, months) - start).days
    raw["schema_version"] = 1
    return raw


#: Old sentences' ``length_months``: a hundred years, as ``length_days`` allows.
_MAX_LENGTH_MONTHS: Final = 1_200

#: ``(type, version)`` → function turning that raw event into the next version.
UPCASTERS: dict[tuple[str, int], Upcaster] = {("sentence", 0): _sentence_v0}


def upcast(raw: RawEvent) -> RawEvent:
    """Bring a raw event to :data:`CURRENT_SCHEMA_VERSION`, one version at a time.

    Only versions from :data:`~offender_journey.events.OLDEST_SCHEMA_VERSION` on are
    read, so the steps are few whatever number a line carries.
    """
    version = raw.get("schema_version", CURRENT_SCHEMA_VERSION)
    if type(version) is not int:
        raise InvalidEventError(
            [Problem("schema_version", f"expected a whole number, got {_kind(version)}")]
        )
    if version < OLDEST_SCHEMA_VERSION:
        raise InvalidEventError(
            [
                Problem(
                    "schema_version",
                    f"version {shown(version)} is older than any this library reads"
                    f" ({OLDEST_SCHEMA_VERSION} .. {CURRENT_SCHEMA_VERSION})",
                )
            ]
        )
    kind = raw["type"]
    while version < CURRENT_SCHEMA_VERSION:
        step = UPCASTERS.get((kind, version))
        if step is None:
            # Nothing changed for this type in that version: only the number moves on.
            raw = {**raw, "schema_version": version + 1}
        else:
            try:
                raw = step(raw)
            except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
                reason = f"cannot upcast from version {version}: {_cut(str(exc))}"
                raise InvalidEventError([Problem("schema_version", reason)]) from None
        version = raw["schema_version"]
    if version > CURRENT_SCHEMA_VERSION:
        raise InvalidEventError(
            [
                Problem(
                    "schema_version",
                    f"version {shown(version)} is newer than this library reads"
                    f" ({CURRENT_SCHEMA_VERSION})",
                )
            ]
        )
    return raw


# --- the converter -------------------------------------------------------------------------


def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return len(args) == 2 and type(None) in args and get_origin(t) in (Union, UnionType)


def _optional_hook(conv: cattrs.Converter, t: Any) -> Callable[[Any, Any], Any]:
    """``X | None`` with X's hook looked up once, not on every call as cattrs does."""
    inner_type = next(a for a in get_args(t) if a is not type(None))
    inner = conv.get_structure_hook(inner_type)

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure


def _tag(cls: type) -> str:
    tag: str = getattr(cls, "TYPE")  # noqa: B009 - every event class has one
    return tag


def make_converter(*, detailed_validation: bool = True) -> cattrs.Converter:
    """Build the converter for the JSON shape of every event.

    ``detailed_validation=False`` is faster and meant for inputs already known good;
    the detailed one collects every problem with its field path.
    """
    # start-up: cattrs loads when a codec is first used
    import cattrs
    from cattrs.gen import make_dict_structure_fn
    from cattrs.strategies import configure_tagged_union

    conv = cattrs.Converter(detailed_validation=detailed_validation, omit_if_default=True)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(float, _strict_float)
    # Registered for StrEnum itself: the vocabularies are str subclasses, and the
    # strict ``str`` hook must not swallow them.
    conv.register_structure_hook(StrEnum, _strict_enum)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_structure_hook(dt.datetime, _structure_instant)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    conv.register_unstructure_hook(StrEnum, lambda member: member.value)
    offence = make_dict_structure_fn(Offence, conv)
    conv.register_structure_hook(Offence, lambda v, t: offence(_object(v), t))
    alias = make_dict_structure_fn(Alias, conv)
    conv.register_structure_hook(Alias, lambda v, t: alias(_object(v), t))
    conv.register_structure_hook_factory(
        lambda t: (
            get_origin(t) is tuple  # type: ignore[comparison-overlap]
            and get_args(t) == (str, Ellipsis)
        ),
        lambda _: _string_tuple,
    )
    conv.register_structure_hook_factory(_is_optional, lambda t: _optional_hook(conv, t))
    configure_tagged_union(Event, conv, tag_generator=_tag, tag_name="type")
    return conv


#: Date texts already converted, shared by every trusted hook (dates fall in a few
#: thousand days, so it stays small; bounded all the same).
_DAYS: dict[str, dt.date] = {}
_MAX_DAYS: Final = (LAST_YEAR - FIRST_YEAR + 1) * 366


def _remembered_day(value: Any, kind: Any) -> dt.date:
    """:func:`_structure_date`, remembering the day of each ``YYYY-MM-DD`` text."""
    day = _structure_date(value, kind)
    if type(value) is str and len(value) == 10 and len(_DAYS) < _MAX_DAYS:
        _DAYS[value] = day
    return day


def _trusted_hook(conv: cattrs.Converter, cls: type) -> Callable[[Any, Any], Any]:
    """A structure hook for ``cls`` that skips the checks its input has already passed.

    Stored events were validated when they were imported: this rebuilds them with the
    same value conversions (dates, instants, enums, numbers, defaults, converters) but
    without the attrs validators or the strict string test. The common spellings are
    converted inline (a date text looked up among the days already seen, an enum value
    among its members, a list of ids made a tuple, an instant already in UTC kept);
    anything else goes through the converter's own hook. The result is the same frozen
    object the validated decode builds, field for field.
    """
    attrs.resolve_types(cls)
    scope: dict[str, Any] = {
        "new": object.__new__,
        "cls": cls,
        "put": object.__setattr__,
        "MISSING": attrs.NOTHING,
        "UTC": dt.UTC,
        "DATETIME": dt.datetime,
        "ISO": dt.datetime.fromisoformat,
        "DAYS": _DAYS,
        "day": _remembered_day,
    }

    def inline(t: Any, i: int) -> str:
        """An expression converting ``v`` to ``t`` (field ``i``), falling back to its hook."""
        scope[f"hook{i}"], scope[f"type{i}"] = conv.get_structure_hook(t), t
        slow = f"hook{i}(v, type{i})"
        if t is str:
            return "v"
        if _is_optional(t):
            inner = next(a for a in get_args(t) if a is not type(None))
            if inner is dt.datetime:
                # A store passes its own instant, or the text as given, read in C when
                # it is spelt in UTC (a text that does not parse fails the trusted read,
                # and the event is decoded in full instead).
                return (
                    "v if v is None or (type(v) is DATETIME and v.tzinfo is UTC) else"
                    f" (m if type(v) is str and (m := ISO(v)).tzinfo is UTC else {slow})"
                )
            return f"None if v is None else ({inline(inner, i)})"
        if t is dt.date:
            return f"DAYS.get(v) or day(v, type{i})"
        if t is int or t is float:
            return f"v if type(v) is type{i} else {slow}"
        if isinstance(t, type) and issubclass(t, StrEnum):
            scope[f"members{i}"] = _members(t)[0]
            return f"members{i}.get(v) or {slow}"
        if get_origin(t) is tuple and get_args(t)[0] is str:
            return f"tuple(v) if type(v) is list else {slow}"
        return slow

    lines = ["def structure(raw, _):", "    made = new(cls)"]
    for i, f in enumerate(attrs.fields(cls)):
        value = inline(f.type, i)
        if f.converter is not None:
            scope[f"convert{i}"] = f.converter
            value = f"convert{i}({value})"
        slot = getattr(cls, f.name, None)
        if isinstance(slot, MemberDescriptorType):  # a slot: set it without a name look-up
            scope[f"set{i}"] = slot.__set__
            put = f"set{i}(made, "
        else:
            put = f"put(made, {f.name!r}, "
        if f.default is attrs.NOTHING:
            lines.append(f"    v = raw[{f.name!r}]")
            lines.append(f"    {put}{value})")
        else:
            scope[f"default{i}"] = f.default
            lines.append(f"    v = raw.get({f.name!r}, MISSING)")
            lines.append(f"    {put}default{i} if v is MISSING else ({value}))")
    lines.append("    return made")
    # Straight-line code, as attrs and cattrs generate theirs: a loop over the fields
    # costs as much as the validators saved. Names come from the class, never from input.
    exec(compile("\n".join(lines), f"<trusted structure {cls.__name__}>", "exec"), scope)
    structure: Callable[[Any, Any], Any] = scope["structure"]
    return structure


def describe_error(exc: BaseException) -> list[Problem]:
    """A cattrs structuring failure as (field, reason) problems, innermost field paths.

    Reasons are cut to a few hundred characters: a message never echoes a huge value.
    """
    # start-up: cattrs loads when a codec is first used
    from cattrs.v import transform_error

    def describe(err: BaseException, _type: type | None) -> str:
        if isinstance(err, KeyError):
            return "required field missing"
        if isinstance(err, TypeError) and len(err.args) == 4:  # an attrs instance_of
            return f"expected {err.args[2].__name__}, got {_kind(err.args[3])}"
        return _cut(str(err)) or type(err).__name__

    problems = []
    for line in transform_error(exc, path="$", format_exception=describe):
        reason, _, path = line.rpartition(" @ ")
        where = path.removeprefix("$").removeprefix(".")
        # An attrs validator names its field only in the message.
        named = _VALIDATOR_FIELD.search(reason)
        if named and where.rpartition(".")[2] != named.group(1):
            where = f"{where}.{named.group(1)}" if where else named.group(1)
        problems.append(Problem(where, reason))
    return problems


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


_VALIDATOR_FIELD: Final = re.compile(r"^'?(\w+)'? must")


T = TypeVar("T")


class PerType(dict[str, T]):
    """``type`` tag → what ``make`` builds for its event class, built on first use.

    Generated code (structure hooks, checkers) costs a compile per class: a run builds
    it only for the event types its input holds. An unknown tag is a ``KeyError``
    (``get`` gives ``None``), as in a plain dict.
    """

    def __init__(self, make: Callable[[type[Event]], T]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, tag: str) -> T:
        made = self[tag] = self._make(EVENT_TYPES[tag])
        return made

    def get(self, tag: str, default: T | None = None) -> T | None:  # type: ignore[override]
        """The entry for ``tag`` (built now if needed), else ``default``."""
        try:
            return self[tag]
        except KeyError:
            return default


class Codec:
    """Decode and encode events; what the store and the readers share.

    Decoding tries the fast converter first and, only when that fails, the detailed
    one, so good input is quick and bad input is explained field by field.
    """

    def __init__(self) -> None:
        #: ``type`` tag → (event class, fast structure hook), for trusted input.
        self.structure_hooks: PerType[tuple[type[Event], Callable[[Any, type], Event]]] = PerType(
            lambda cls: (cls, self.fast.get_structure_hook(cls))
        )
        #: ``type`` tag → (event class, hook without validators), for events a store kept.
        self.stored_hooks: PerType[tuple[type[Event], Callable[[Any, type], Event]]] = PerType(
            lambda cls: (cls, _trusted_hook(self._trusted, cls))
        )

    @functools.cached_property
    def fast(self) -> cattrs.Converter:
        """The converter without detailed validation (made on first use: a fold needs none)."""
        return make_converter(detailed_validation=False)

    @functools.cached_property
    def _unstructure(self) -> Callable[[Event], RawEvent]:
        hook: Callable[[Event], RawEvent] = self.fast.get_unstructure_hook(Event)
        return hook

    @functools.cached_property
    def detailed(self) -> cattrs.Converter:
        """The converter that explains bad input field by field (made when input is bad)."""
        return make_converter(detailed_validation=True)

    @functools.cached_property
    def _trusted(self) -> cattrs.Converter:
        trusted = make_converter(detailed_validation=False)
        trusted.register_structure_hook(Offence, _trusted_hook(trusted, Offence))
        trusted.register_structure_hook(Alias, _trusted_hook(trusted, Alias))
        return trusted

    def decode(self, raw: object) -> Event:
        """A parsed JSON object → an event, or :class:`InvalidEventError` naming the fields."""
        if not isinstance(raw, dict):
            raise InvalidEventError([Problem("", f"expected a JSON object, got {_kind(raw)}")])
        kind = raw.get("type")
        if kind is None:
            raise InvalidEventError([Problem("type", "required field missing")])
        try:
            cls, hook = self.structure_hooks[kind]
        except (KeyError, TypeError):
            raise InvalidEventError(
                [
                    Problem(
                        "type",
                        f"unknown event type {shown(kind)};"
                        f" expected one of: {', '.join(EVENT_TYPES)}",
                    )
                ]
            ) from None
        if "schema_version" in raw and raw["schema_version"] != CURRENT_SCHEMA_VERSION:
            raw = upcast(raw)
        try:
            return hook(raw, cls)
        except Exception:  # noqa: BLE001 - re-run in detail to say what was wrong
            pass
        try:
            event: Event = self.detailed.structure(raw, cls)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a Problem
            raise InvalidEventError(describe_error(exc) or [Problem("", _cut(str(exc)))]) from None
        return event  # pragma: no cover - fast and detailed converters agree

    def decode_line(self, line: str | bytes) -> Event:
        """One line of JSON Lines → an event; bad JSON is an :class:`InvalidEventError` too.

        Besides what :meth:`decode` checks, a key given twice is an error.
        """
        return self.decode(self.parse_line(line))

    def parse_line(self, line: str | bytes) -> Any:
        """One line of JSON Lines, parsed (see :func:`parse_object`), not yet decoded.

        Raises:
            InvalidEventError: not valid JSON, or a key given twice.
        """
        try:
            return parse_object(line)
        except DuplicateKeyError as exc:
            field = exc.key if 0 < len(exc.key) <= MAX_ID_CHARS else ""
            raise InvalidEventError([Problem(field, "key given twice in one object")]) from None
        except ValueError as exc:
            raise InvalidEventError([Problem("", f"not valid JSON ({_cut(str(exc))})")]) from None

    def decode_stored(self, payload: str | bytes, recorded_at: dt.datetime | None) -> Event:
        """An event as a store kept it: its JSON as given, plus the assigned ``recorded_at``.

        Stored JSON is decoded (and upcast) on every read, so old versions stay readable.
        It was validated at import, so the validators are not run again (see
        :func:`_trusted_hook`); the event is the same as :meth:`decode` would give.
        """
        raw = _parse(payload)
        if recorded_at is not None:
            raw["recorded_at"] = recorded_at
        if raw.get("schema_version", CURRENT_SCHEMA_VERSION) != CURRENT_SCHEMA_VERSION:
            raw = upcast(raw)
        try:
            cls, hook = self.stored_hooks[raw["type"]]
            return hook(raw, cls)
        except Exception:  # noqa: BLE001 - not an event this version knows: say why
            return self.decode(raw)

    def same_content(self, first: str, second: str) -> bool:
        """Whether two stored payloads describe the same event, however they were spelled."""
        return first == second or self.decode_stored(first, None) == self.decode_stored(
            second, None
        )

    def encode(self, event: Event) -> RawEvent:
        """An event → its JSON-ready dict (defaults omitted, ``type`` included)."""
        return self._unstructure(event)

    def encode_line(self, event: Event) -> str:
        """An event → one canonical JSON line (no trailing newline)."""
        return dumps(self.encode(event))
