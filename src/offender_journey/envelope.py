"""An input event's envelope, checked in full without building the event: the import's fast path.

An import stores each line as given plus five envelope fields (offender, id, type,
date, ``recorded_at``: a :class:`~offender_journey.store.base.Record`), and must check
every field of the line against the vocabulary and the bounds first. Building the
typed event does both, but costs more than the rest of the import together. So for
each event class a *checker* is generated, once, from the class's own attrs fields
(types, validators, defaults, converters), and it follows the vocabulary as that
changes:

- the common values (short ASCII identifiers and text, ``YYYY-MM-DD`` dates, instants
  in UTC, known vocabulary values, numbers inside their bounds) are tested inline;
- any other field calls the converter's structure hook, the field's converter and its
  validators, exactly as building the event would.

A checker only ever answers *valid, and here is the record*, or *not sure*. Whatever
it is not sure of (a date given as a datetime, an offset other than UTC, an older schema
version, any bad value) goes the whole way through :meth:`Codec.decode
<offender_journey.codec.Codec.decode>`, which decides, and explains a rejection field by
field. So the lines accepted, and the records stored, are the same either way (tests
check it, value by value at every bound of the vocabulary).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from enum import StrEnum
from typing import Any, get_args, get_origin

import attrs
import cattrs

from .codec import (
    Codec,
    PerType,
    _strict_enum,
    _strict_float,
    _strict_int,
    _strict_str,
    _string_tuple,
    _structure_date,
    _structure_instant,
    dumps,
    shown,
)
from .errors import InvalidEventError, Problem
from .events import (
    ACROSS_FIELDS,
    CURRENT_SCHEMA_VERSION,
    FIRST_RECORDED_YEAR,
    FIRST_YEAR,
    LAST_RECORDED_YEAR,
    LAST_YEAR,
    MAX_ID_CHARS,
    MAX_LIST_ITEMS,
    MAX_TEXT_CHARS,
    Event,
    _aware,
    _day,
    _identifier,
    _ids,
    _text,
)
from .store.base import Record, record_of

__all__ = ["EnvelopeReader", "with_source"]


class EnvelopeReader:
    """Checks raw events in full and gives the :class:`Record` a store keeps of each.

    ``now`` (microseconds since 1970 UTC) stamps events that carry no ``recorded_at``.
    ``source`` names the system every event comes from (``ingest --source``): an event
    without a ``source`` of its own gets it, and one with another is rejected.

    Examples:
        >>> reader = EnvelopeReader(Codec(), now=0)
        >>> record = reader.read_line('{"type": "arrest", "event_id": "e1", "offender_id":'
        ...                           ' "o1", "date": "2014-02-01", "arrest_id": "a1"}')
        >>> record.offender_id, record.date, record.recorded_at_given
        ('o1', '2014-02-01', False)
        >>> reader.read({"type": "arrest", "event_id": "e1"}, "{}")
        Traceback (most recent call last):
        ...
        offender_journey.errors.InvalidEventError: offender_id: required field missing; ...
    """

    def __init__(self, codec: Codec, *, now: int, source: str | None = None) -> None:
        self._codec = codec
        self._now = now
        self._source = source
        self._checks: PerType[_Check] = PerType(lambda cls: _make_check(cls, codec.fast))

    def check(self, raw: dict[str, Any], payload: str) -> Record | None:
        """The fast path alone: the record if ``raw`` is certainly valid, else ``None``.

        ``None`` is not a verdict (the event may still be valid): :meth:`read` decides.
        """
        kind = raw.get("type")
        check = self._checks.get(kind) if type(kind) is str else None
        return None if check is None else check(raw, payload, self._now)

    def read(self, raw: object, payload: str) -> Record:
        """A parsed JSON object (its text ``payload``) → its record.

        Raises:
            InvalidEventError: naming each field that is wrong, and why.
        """
        if type(raw) is dict:
            kind = raw.get("type")
            try:  # subscripted, not .get: the hit (nearly every line) stays in C
                check = self._checks[kind] if type(kind) is str else None
            except KeyError:
                check = None
            if check is not None:
                record = check(raw, payload, self._now)
                if record is not None:
                    return record
        return record_of(self._codec.decode(raw), payload, self._now)

    def read_line(self, line: str) -> Record:
        """One line of JSON Lines → its record; checks all that :meth:`Codec.decode_line` does."""
        raw = self._codec.parse_line(line)
        if self._source is not None and type(raw) is dict and with_source(raw, self._source):
            line = dumps(raw)  # stored with its source written in
        return self.read(raw, line)


def with_source(raw: dict[str, Any], source: str) -> bool:
    """Give an event of an import from ``source`` that source; whether ``raw`` changed.

    An event that names its own source must name the same one.

    Raises:
        InvalidEventError: the event names another source.
    """
    given = raw.get("source")
    if given is None:
        raw["source"] = source
        return True
    if given != source:
        reason = f"{shown(given)} disagrees with the import's source {source!r}"
        raise InvalidEventError([Problem("source", reason)])
    return False


#: A generated checker: ``(raw, payload, now)`` → the record, or ``None`` when not sure.
_Check = Callable[[dict[str, Any], str, int], Record | None]


# --- generating a checker ----------------------------------------------------------------


def _validator_parts(validator: Any) -> tuple[bool, list[Any]] | None:
    """``(optional, atoms)`` of an attrs validator, or ``None`` when its shape is unknown."""
    if validator is None:
        return False, []
    optional = False
    if type(validator).__name__ == "_OptionalValidator":
        optional, validator = True, getattr(validator, "validator", None)
    if type(validator).__name__ == "_AndValidator":
        atoms = list(getattr(validator, "_validators", ()))
    else:
        atoms = [validator]
    if any(type(atom).__name__ in ("_OptionalValidator", "_AndValidator") for atom in atoms):
        return None
    return optional, atoms


def _instance_of(atom: Any) -> Any:
    return getattr(atom, "type", None) if type(atom).__name__ == "_InstanceOfValidator" else None


def _bounds(atoms: list[Any], kind: type) -> tuple[Any, Any] | None:
    """The ``ge``/``le`` bounds of a number field whose atoms are only those and its type."""
    low: Any = None
    high: Any = None
    for atom in atoms:
        if _instance_of(atom) is kind:
            continue
        if type(atom).__name__ != "_NumberValidator":
            return None
        op, bound = getattr(atom, "compare_op", None), getattr(atom, "bound", None)
        if op == ">=" and type(bound) is kind:
            low = bound if low is None else max(low, bound)
        elif op == "<=" and type(bound) is kind:
            high = bound if high is None else min(high, bound)
        else:
            return None
    return low, high


class _Writer:
    """The lines of one generated checker, and the names its code refers to."""

    def __init__(self, conv: cattrs.Converter) -> None:
        self.conv = conv
        self.lines: list[str] = []
        self.scope: dict[str, Any] = {
            "date_of": dt.date.fromisoformat,
            "instant_of": dt.datetime.fromisoformat,
            "UTC": dt.UTC,
            "EPOCH": dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
            "MICROSECOND": dt.timedelta(microseconds=1),
            "isfinite": math.isfinite,
        }
        self._n = 0
        #: Variables holding a date field's checked text (the day's ISO form), not a date.
        self.day_texts: set[str] = set()

    def name(self, value: Any) -> str:
        self._n += 1
        key = f"k{self._n}"
        self.scope[key] = value
        return key

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)


def _inline_test(
    w: _Writer, f: attrs.Attribute[Any], inner: Any, atoms: list[Any], var: str
) -> str | None:
    """A boolean expression true only if ``var`` (not ``None``) passes hook and validators."""
    hook = w.conv.get_structure_hook(inner)
    if inner is str and hook is _strict_str:
        if all(a is _identifier or _instance_of(a) is str for a in atoms) and _identifier in atoms:
            return f"type({var}) is str and 0 < len({var}) <= {MAX_ID_CHARS} and {var}.isascii()"
        if atoms and all(a is _text or _instance_of(a) is str for a in atoms):
            return f"type({var}) is str and len({var}) <= {MAX_TEXT_CHARS} and {var}.isascii()"
        return None
    if inner is dt.date and hook is _structure_date and atoms == [_day]:
        # What the date hook's common case accepts; the day itself is checked after.
        return f"type({var}) is str and len({var}) == 10 and {var}[4] == '-' and {var}[7] == '-'"
    if inner is dt.datetime and hook is _structure_instant and atoms == [_aware]:
        return f"type({var}) is str"
    if isinstance(inner, type) and issubclass(inner, StrEnum) and hook is _strict_enum:
        if atoms == [] or (len(atoms) == 1 and _instance_of(atoms[0]) is inner):
            values = w.name(frozenset(m.value for m in inner))
            return f"type({var}) is str and {var} in {values}"
        return None
    if inner is int and hook is _strict_int:
        bounds = _bounds(atoms, int)
        if bounds is None:
            return None
        low = -(2**63) if bounds[0] is None else max(bounds[0], -(2**63))
        high = 2**63 - 1 if bounds[1] is None else min(bounds[1], 2**63 - 1)
        return f"type({var}) is int and {low} <= {var} <= {high}"
    if inner is float and hook is _strict_float:
        bounds = _bounds(atoms, float)
        if bounds is None:
            return None
        test = f"type({var}) is float and isfinite({var})"
        if bounds[0] is not None:
            test += f" and {bounds[0]!r} <= {var}"
        if bounds[1] is not None:
            test += f" and {var} <= {bounds[1]!r}"
        return test
    return None


def _emit_field(w: _Writer, f: attrs.Attribute[Any], src: str, depth: int, out: str) -> None:
    """Code that checks field ``f`` of the dict ``src`` and leaves its value in ``out``.

    The generated code returns ``None`` (not sure) at the first doubt.
    """
    field_type: Any = f.type
    nullable = False
    inner = field_type
    args = get_args(field_type)
    if len(args) == 2 and type(None) in args:
        nullable, inner = True, next(a for a in args if a is not type(None))
    parts = _validator_parts(f.validator)
    required = f.default is attrs.NOTHING
    key = repr(f.name)
    emit = w.emit

    def generic() -> None:
        hook, kind = w.name(w.conv.get_structure_hook(field_type)), w.name(field_type)
        if not required:
            emit(depth, f"if {key} not in {src}:")
            if _plain_default(f):
                emit(depth + 1, f"{out} = {w.name(f.default)}")
            else:  # a factory, or a default its own validator refuses: the full decode
                emit(depth + 1, "return None")
            emit(depth, "else:")
        given = depth + (not required)
        emit(given, f"{out} = {hook}({src}[{key}], {kind})")
        validate = f"{w.name(f.validator)}(None, {w.name(f)}, {out})" if f.validator else None
        if f.converter is not None:
            emit(depth, f"{out} = {w.name(f.converter)}({out})")
            if validate:
                emit(depth, validate)
        elif validate:  # a value given: a default left in place passes (see _plain_default)
            emit(given, validate)

    # tuple[str, ...] with the tuple converter: the list hook, inline.
    converter: object = f.converter
    if (
        get_origin(field_type) is tuple
        and get_args(field_type) == (str, Ellipsis)
        and w.conv.get_structure_hook(field_type) is _string_tuple
        and converter is _ids
        and f.validator is None
    ):
        emit(depth, f"{out} = {src}[{key}]" if required else f"{out} = {src}.get({key})")
        emit(depth, f"if {out} is not None:")
        emit(depth + 1, f"if type({out}) is not list or len({out}) > {MAX_LIST_ITEMS}:")
        emit(depth + 2, "return None")
        emit(depth + 1, f"for item in {out}:")
        emit(depth + 2, f"if type(item) is not str or not 0 < len(item) <= {MAX_ID_CHARS}:")
        emit(depth + 3, "return None")
        return
    if parts is None or f.converter is not None:
        generic()
        return
    optional, atoms = parts
    # None passes if the type allows it and the validator does: optional(...), or
    # validators that let None through themselves (free text, transaction times).
    none_ok = nullable and (optional or (bool(atoms) and all(a in (_text, _aware) for a in atoms)))
    if not required and f.default is not None and (nullable or not _plain_default(f)):
        generic()  # not in the vocabulary today: a default the inline tests do not expect
        return
    if attrs.has(inner) and len(atoms) == 1 and _instance_of(atoms[0]) is inner and not nullable:
        # A value object (an offence): an object whose fields are checked the same way.
        attrs.resolve_types(inner)
        emit(depth, f"{out} = {src}[{key}]" if required else f"{out} = {src}.get({key})")
        emit(depth, f"if type({out}) is not dict:")
        emit(depth + 1, "return None")
        sub = f"{out}_"
        for i, g in enumerate(attrs.fields(inner)):
            _emit_field(w, g, out, depth, f"{sub}{i}")
        return
    test = _inline_test(w, f, inner, atoms, out)
    if test is None:
        generic()
        return
    if required:
        emit(depth, f"{out} = {src}[{key}]")
    elif f.default is None:
        emit(depth, f"{out} = {src}.get({key})")
    else:  # a valid default (see _plain_default); present values are tested
        emit(depth, f"{out} = {src}.get({key}, {w.name(f.default)})")
    if none_ok:
        emit(depth, f"if {out} is not None and not ({test}):")
    else:
        emit(depth, f"if {out} is None or not ({test}):")
    emit(depth + 1, "return None")
    if inner is dt.date:
        if none_ok:  # an optional date (a date of birth): checked when given
            emit(depth, f"if {out} is not None:")
            depth += 1
        # The text is kept: spelt as the test above asks, a text the day parses from is
        # that day's ISO form, so it is what the record stores (formatting costs more).
        emit(depth, f"if not {FIRST_YEAR} <= date_of({out}).year <= {LAST_YEAR}:")
        emit(depth + 1, "return None")
        w.day_texts.add(out)
    elif inner is dt.datetime:
        emit(depth, f"if {out} is not None:")
        emit(depth + 1, f"{out} = instant_of({out})")
        emit(
            depth + 1,
            f"if {out}.tzinfo is not UTC or not "
            f"{FIRST_RECORDED_YEAR} <= {out}.year <= {LAST_RECORDED_YEAR}:",
        )
        emit(depth + 2, "return None")
        if f.name == "recorded_at":  # the envelope's: as the store keeps it (to_micros)
            emit(depth + 1, f"{out} = ({out} - EPOCH) // MICROSECOND")


def _plain_default(f: attrs.Attribute[Any]) -> bool:
    """Whether the default is a value (not a factory) that passes the field's validator."""
    if type(f.default).__name__ == "Factory":
        return False
    try:
        if f.validator is not None:
            f.validator(None, f, f.default)
    except Exception:  # noqa: BLE001 - any failure means: leave it to the full decode
        return False
    return True


def _make_check(cls: type[Event], conv: cattrs.Converter) -> _Check:
    """The checker of one event class: the record if the raw event is certainly valid."""
    attrs.resolve_types(cls)
    w = _Writer(conv)
    w.emit(1, "try:")
    outs: dict[str, str] = {}
    for i, f in enumerate(attrs.fields(cls)):
        outs[f.name] = f"v{i}"
        _emit_field(w, f, "raw", 2, f"v{i}")
    w.emit(1, "except Exception:  # a doubt, never a verdict: the full decode decides")
    w.emit(2, "return None")
    across = ACROSS_FIELDS.get(cls.TYPE)
    if across is not None:  # a rule no single field states (a person_recorded names someone)
        w.emit(1, f"if {w.name(across)}(raw) is not None:")
        w.emit(2, "return None")
    version = outs["schema_version"]
    w.emit(1, f"if {version} != {CURRENT_SCHEMA_VERSION}:  # older versions are upcast first")
    w.emit(2, "return None")
    recorded, source, offender = outs["recorded_at"], outs["source"], outs["offender_id"]
    day = outs["date"] if outs["date"] in w.day_texts else f"{outs['date']}.isoformat()"
    # The store's Record, built as NamedTuple._make builds it (without a Python-level call);
    # its stream key is the source record's (see events.record_key).
    w.emit(
        1,
        f"return new(Record, ({offender} if {source} is None else {source} + ':' + {offender}, "
        f"{outs['event_id']}, {cls.TYPE!r}, "
        f"{day}, now if {recorded} is None else {recorded}, "
        f"{recorded} is not None, payload, {source} or ''))",
    )
    w.scope["Record"], w.scope["new"] = Record, tuple.__new__
    source = "\n".join(["def check(raw, payload, now):", *w.lines])
    # Names in the code come from the classes, never from input.
    exec(compile(source, f"<envelope check {cls.__name__}>", "exec"), w.scope)
    check: _Check = w.scope["check"]
    return check
