"""JSON <-> events: one cattrs converter, readable errors, upcasting of old versions.

The wire format is SPEC section 2: one JSON object per event, tagged by ``type``.
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
import re
from collections.abc import Callable
from enum import StrEnum
from types import UnionType
from typing import Any, Final, Union, get_args, get_origin

import cattrs
import pendulum
from cattrs.gen import make_dict_structure_fn
from cattrs.strategies import configure_tagged_union
from cattrs.v import transform_error

from .dates import add_months
from .errors import InvalidEventError, Problem
from .events import CURRENT_SCHEMA_VERSION, EVENT_TYPES, Event, Offence

try:  # orjson is the `fast` extra; the standard library is the fallback.
    import orjson
except ImportError:  # pragma: no cover - exercised only without the extra
    orjson = None  # type: ignore[assignment]

__all__ = [
    "UPCASTERS",
    "Codec",
    "describe_error",
    "dumps",
    "loads",
    "make_converter",
    "parse_date",
    "parse_instant",
]

LONDON: Final = pendulum.timezone("Europe/London")

RawEvent = dict[str, Any]
Upcaster = Callable[[RawEvent], RawEvent]


# --- JSON text ----------------------------------------------------------------------


def loads(text: str | bytes) -> Any:
    """Parse one JSON document (orjson when installed)."""
    if orjson is not None:
        return orjson.loads(text)
    return json.loads(text)


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept; identical with or without orjson."""
    if orjson is not None:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- scalar parsing (SPEC section 1) ---------------------------------------------------------


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
            raise ValueError(f"{value!r} is not an ISO-8601 datetime") from None
        if moment.tzinfo is dt.UTC:  # the common case: already UTC
            return moment
    else:
        raise TypeError(f"expected an ISO-8601 datetime string, got {_kind(value)}")
    if moment.utcoffset() is None:
        raise ValueError(f"datetime {value!r} has no UTC offset")
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
            raise ValueError(f"impossible date {value!r} ({exc})") from None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date (YYYY-MM-DD) or an ISO-8601 datetime"
            ) from None
    else:
        raise TypeError(f"expected a date string, got {_kind(value)}")
    if moment.utcoffset() is None:
        raise ValueError(f"datetime {value!r} has no UTC offset")
    local = pendulum.instance(moment).in_timezone(LONDON)
    return dt.date(local.year, local.month, local.day)


def _structure_date(value: object, _: type) -> dt.date:
    # The common case inline: one call per date field on the import path.
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return parse_date(value)


def _structure_instant(value: object, _: type) -> dt.datetime:
    return parse_instant(value)


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
    if type(value) is not str:
        raise TypeError(f"expected a string, got {_kind(value)}")
    return value


def _strict_int(value: object, _: type) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise TypeError(f"expected a whole number, got {_kind(value)}")


def _strict_float(value: object, _: type) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
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
        raise ValueError(f"unknown {label} {value!r}; expected one of: {expected}") from None


def _object(value: object) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {_kind(value)}")
    return value


def _string_tuple(value: object, _: type) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is not list:
        raise TypeError(f"expected a list of strings, got {_kind(value)}")
    for item in value:
        if type(item) is not str or not item:
            raise TypeError(f"expected a list of non-empty strings, got {item!r} in it")
    return tuple(value)


# --- upcasting ---------------------------------------------------------------------------


def _sentence_v0(raw: RawEvent) -> RawEvent:
    """Version 0 sentences gave their length in whole months; version 1 counts days."""
    raw = dict(raw)
    months = raw.pop("length_months", None)
    if months is not None:
        if type(months) is not int or months < 0:
            raise ValueError(f"length_months: expected a whole number >= 0, got {months!r}")
        start = parse_date(raw["date"])
        raw["length_days"] = (add_months(start, months) - start).days
    raw["schema_version"] = 1
    return raw


#: ``(type, version)`` → function turning that raw event into the next version.
UPCASTERS: dict[tuple[str, int], Upcaster] = {("sentence", 0): _sentence_v0}


def upcast(raw: RawEvent) -> RawEvent:
    """Bring a raw event to :data:`CURRENT_SCHEMA_VERSION`, one version at a time."""
    version = raw.get("schema_version", CURRENT_SCHEMA_VERSION)
    if type(version) is not int:
        raise InvalidEventError(
            [Problem("schema_version", f"expected a whole number, got {_kind(version)}")]
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
            except (KeyError, ValueError, TypeError) as exc:
                raise InvalidEventError(
                    [Problem("schema_version", f"cannot upcast from version {version}: {exc}")]
                ) from None
        version = raw["schema_version"]
    if version > CURRENT_SCHEMA_VERSION:
        raise InvalidEventError(
            [
                Problem(
                    "schema_version",
                    f"version {version} is newer than this library reads"
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
    """Build the converter for the SPEC's JSON shape of every event.

    ``detailed_validation=False`` is faster and meant for inputs already known good;
    the detailed one collects every problem with its field path.
    """
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


def describe_error(exc: BaseException) -> list[Problem]:
    """A cattrs structuring failure as (field, reason) problems, innermost field paths."""

    def describe(err: BaseException, _type: type | None) -> str:
        if isinstance(err, KeyError):
            return "required field missing"
        if isinstance(err, TypeError) and len(err.args) == 4:  # an attrs instance_of
            return f"expected {err.args[2].__name__}, got {_kind(err.args[3])}"
        return str(err) or type(err).__name__

    problems = []
    for line in transform_error(exc, path="$", format_exception=describe):
        reason, _, path = line.rpartition(" @ ")
        where = path.removeprefix("$").removeprefix(".")
        if not where:  # an attrs validator names its field only in the message
            named = _VALIDATOR_FIELD.search(reason)
            where = named.group(1) if named else ""
        problems.append(Problem(where, reason))
    return problems


_VALIDATOR_FIELD: Final = re.compile(r"^'?(\w+)'? must")


class Codec:
    """Decode and encode events; what the store and the readers share.

    Decoding tries the fast converter first and, only when that fails, the detailed
    one, so good input is quick and bad input is explained field by field.
    """

    def __init__(self) -> None:
        self.fast = make_converter(detailed_validation=False)
        self.detailed = make_converter(detailed_validation=True)
        self._unstructure = self.fast.get_unstructure_hook(Event)
        #: ``type`` tag → (event class, fast structure hook), for trusted input.
        self.structure_hooks: dict[str, tuple[type[Event], Callable[[Any, type], Event]]] = {
            tag: (cls, self.fast.get_structure_hook(cls)) for tag, cls in EVENT_TYPES.items()
        }

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
                        f"unknown event type {kind!r}; expected one of: {', '.join(EVENT_TYPES)}",
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
            raise InvalidEventError(describe_error(exc) or [Problem("", str(exc))]) from None
        return event  # pragma: no cover - fast and detailed converters agree

    def decode_line(self, line: str | bytes) -> Event:
        """One line of JSON Lines → an event; bad JSON is an :class:`InvalidEventError` too."""
        try:
            raw = loads(line)
        except ValueError as exc:
            raise InvalidEventError([Problem("", f"not valid JSON ({exc})")]) from None
        return self.decode(raw)

    def decode_stored(self, payload: str | bytes, recorded_at: dt.datetime | None) -> Event:
        """An event as a store kept it: its JSON as given, plus the assigned ``recorded_at``.

        Stored JSON is decoded (and upcast) on every read, so old versions stay readable.
        """
        raw = loads(payload)
        if recorded_at is not None:
            raw["recorded_at"] = recorded_at
        return self.decode(raw)

    def same_content(self, first: str, second: str) -> bool:
        """Whether two stored payloads describe the same event, however they were spelled."""
        return first == second or self.decode_stored(first, None) == self.decode_stored(
            second, None
        )

    def encode(self, event: Event) -> RawEvent:
        """An event → its JSON-ready dict (defaults omitted, ``type`` included)."""
        return self._unstructure(event)  # type: ignore[no-any-return]

    def encode_line(self, event: Event) -> str:
        """An event → one canonical JSON line (no trailing newline)."""
        return dumps(self.encode(event))
