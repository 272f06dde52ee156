"""Every fact table, defined once: its row type, columns, key and indexes, and its DDL.

A fact table holds, per offender, what the log says *effectively* (retractions
applied, re-sent ids resolved): charges with their final outcome, sentencing
occasions, episodes, offences ... Each table is a :class:`~typing.NamedTuple` row
type (the column order and the Python types) plus a :class:`TableSpec` (key,
indexes); :data:`TABLES` lists them all. SQL is generated per :class:`Dialect` so
every SQL backend stores the same contract: dates are ISO ``YYYY-MM-DD`` text in
SQLite (they sort and compare as dates) and ``DATE`` where the engine has one.

Every table starts with ``offender_id``, the person the facts are about: the record's
key in a store without link decisions, else the person id the records are linked to
(``person_records`` says which records each person holds). A person's facts are
replaced as a whole, all tables at once, whenever one of their records changes.

Examples:
    >>> [t.name for t in TABLES][:3]
    ['offenders', 'charges', 'charge_occasions']
    >>> TABLE["charges"].key
    ('offender_id', 'charge_id')
    >>> print(create_statements(SQLITE)[1].splitlines()[1].strip())
    offender_id TEXT NOT NULL,
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, NamedTuple

import attrs

from ..store.base import Unreadable
from ..store.escaping import escape_nul, unescape_nul

__all__ = [
    "POSTGRESQL",
    "SCHEMA_VERSION",
    "SQLITE",
    "TABLE",
    "TABLES",
    "ChargeOccasionRow",
    "ChargeRow",
    "Column",
    "Dialect",
    "EffectiveEventRow",
    "EpisodeRow",
    "IndexEventRow",
    "OffenceRow",
    "OffenderFacts",
    "OffenderRow",
    "PersonRecordRow",
    "QualityIssueRow",
    "RecallRow",
    "RiskAssessmentRow",
    "SanctionRow",
    "SentencingOccasionRow",
    "TableSpec",
    "UnreadableEventRow",
    "WarrantRow",
    "create_statements",
    "drop_index_statements",
    "index_statements",
]

#: Bumped whenever a table or a rule deriving it changes: stored facts are then rebuilt.
SCHEMA_VERSION = 9

LogicalType = Literal["text", "int", "date", "bool", "real"]


# --- the rows ----------------------------------------------------------------------------


class OffenderRow(NamedTuple):
    """One offender: profile, counts, sanctions, and how far the log was folded."""

    offender_id: str
    #: Effective events (recorded by the cut, neither retractions nor retracted), link
    #: decisions aside (they are about the records, not the journey).
    events: int
    date_of_birth: dt.date | None
    sex: str | None
    arrests: int
    charges: int
    convictions: int
    cautions: int
    sentencing_occasions: int
    first_sanction: dt.date | None
    latest_sanction: dt.date | None
    #: Transaction time (µs since 1970 UTC) of the latest event of the stream, any kind.
    latest_recorded_at: int
    #: The latest transaction time of an event recorded after these facts were made (a
    #: wrong clock, a placeholder time): such an offender is derived afresh at query time.
    future_recorded_at: int | None
    #: The store position of the stream's latest event when these facts were made.
    position: int


class ChargeRow(NamedTuple):
    """One charge (a re-sent ``charge_id`` keeps its last record) and its final outcome."""

    offender_id: str
    charge_id: str
    event_id: str
    arrest_id: str | None
    case_id: str | None
    charge_date: dt.date
    offence_date: dt.date
    category: str
    offence_code: str
    #: ``convicted``, ``not_convicted`` or ``pending``.
    outcome: str
    outcome_date: dt.date | None
    outcome_event_id: str | None
    #: The date of the charge's arrest, when that arrest is recorded.
    arrest_date: dt.date | None
    #: The first sentencing occasion that sentenced this (convicted) charge.
    occasion: int | None
    occasion_date: dt.date | None
    #: Days from arrest to conviction, when convicted with a recorded arrest (may be < 0).
    arrest_to_conviction: int | None
    #: Days from offence to arrest, when convicted with a recorded arrest (may be < 0).
    offence_to_arrest: int | None
    on_bail: bool
    on_licence: bool
    suspended_sentence: bool
    community_order: bool


class ChargeOccasionRow(NamedTuple):
    """A convicted charge listed in a sentence on occasion ``occasion`` (once per occasion)."""

    offender_id: str
    charge_id: str
    occasion: int
    occasion_date: dt.date
    #: The charge's ``arrest_to_conviction`` and ``offence_to_arrest``, for counting by occasion.
    arrest_to_conviction: int | None
    offence_to_arrest: int | None


class SentencingOccasionRow(NamedTuple):
    """A distinct sentence date, numbered over the offender's whole history."""

    offender_id: str
    occasion: int
    date: dt.date
    sentences: int
    #: The distinct disposals given that day, comma-separated in order.
    disposals: str


class EpisodeRow(NamedTuple):
    """A state over ``[start_date, end_date)``; ``end_date`` is null while open."""

    offender_id: str
    kind: str
    ref: str
    start_date: dt.date
    end_date: dt.date | None
    start_event_id: str
    end_event_id: str | None


class OffenceRow(NamedTuple):
    """A charged or cautioned offence and the day it was proven (null if not proven)."""

    offender_id: str
    kind: str
    ref: str
    event_id: str
    offence_date: dt.date
    category: str
    proven_date: dt.date | None


class SanctionRow(NamedTuple):
    """A sanction occasion: a day with a conviction of a known charge, or a caution."""

    offender_id: str
    #: Order among the offender's sanctions (date; a conviction day before a caution).
    seq: int
    date: dt.date
    #: ``conviction`` or ``caution``.
    kind: str
    #: The offence categories sanctioned, comma-separated; the first is the current offence.
    categories: str


class IndexEventRow(NamedTuple):
    """An event that can start a reoffending follow-up (caution, court sentence, release)."""

    offender_id: str
    event_id: str
    date: dt.date
    #: Order on one day: 0 caution, 1 court sentence, 2 release.
    rank: int
    kind: str
    #: ``adult`` (18+ on ``date``), ``juvenile`` (10-17) or ``unknown`` (no date of birth).
    age_group: str
    #: ``date`` + 1 year: the last offence date a reoffence may have.
    follow_up_end: dt.date
    #: ``date`` + 1 year 6 months: the last day a reoffence may be proven on.
    proof_deadline: dt.date
    #: Whether this is the day's first index event (by rank): the one an index date means.
    first_on_day: bool
    #: The offender's previous index date, if any: this event is the earliest of a window
    #: that holds its date when that window starts after ``previous_date``.
    previous_date: dt.date | None
    #: Proven reoffences after this event: offences (not breaches) dated after ``date`` up
    #: to ``follow_up_end``, proven by ``proof_deadline``.
    reoffences: int
    #: The offence date of the first of them.
    first_reoffence: dt.date | None


class QualityIssueRow(NamedTuple):
    """One oddity of the data-quality report and the day it counts on."""

    offender_id: str
    seq: int
    code: str
    event_id: str
    day: dt.date


#: A stored row that cannot be read back as an event (so in no other table): the store's
#: record of it, as the refresh that read the offender's stream found it.
UnreadableEventRow = Unreadable


class WarrantRow(NamedTuple):
    """A warrant (a re-sent ``warrant_id`` keeps its last record) and how it ended.

    Nothing here depends on the day asked about: whether a warrant is outstanding on a
    day is worked out at query time from its dates.
    """

    offender_id: str
    warrant_id: str
    event_id: str
    #: ``failed_to_appear``, ``breach``, ``recall`` or ``other``.
    kind: str
    #: ``A``, ``B`` or ``C``; null if ungraded.
    category: str | None
    issued_date: dt.date
    #: The earliest execution recorded for the warrant, whatever its date.
    executed_date: dt.date | None
    #: The earliest withdrawal recorded for the warrant, whatever its date.
    withdrawn_date: dt.date | None


class RecallRow(NamedTuple):
    """A recall of a licence and the first return to custody on that licence on or after it."""

    offender_id: str
    event_id: str
    licence_id: str
    recall_date: dt.date
    returned_date: dt.date | None


class RiskAssessmentRow(NamedTuple):
    """A supplied reoffending score (``risk_assessed``), numbered in valid-time order."""

    offender_id: str
    #: Order among the offender's assessments: date, then transaction order.
    seq: int
    event_id: str
    date: dt.date
    tool: str
    score_2y: float
    score_1y: float | None


class EffectiveEventRow(NamedTuple):
    """An event that counts: not retracted, not a retraction, not superseded by a re-send.

    Its JSON is the ``payload`` of the ``events`` row with the same ``source`` and
    ``event_id``.
    """

    offender_id: str
    #: The source that recorded it (``""``: the default source); an event id is unique
    #: only within its source, and a person's events may come from several.
    source: str
    event_id: str
    type: str
    date: dt.date
    #: Transaction time, µs since 1970 UTC (as in the ``events`` table).
    recorded_at: int


class PersonRecordRow(NamedTuple):
    """A source record of the person (the record itself when it is linked to nobody)."""

    offender_id: str
    #: The record's key, ``source:offender_id`` (the bare id for the default source).
    record: str
    #: Transaction time (µs since 1970 UTC) of the record's latest link decision, which
    #: placed it in this person; null when it has none (a person of its own).
    linked_at: int | None


# --- the tables --------------------------------------------------------------------------


@attrs.frozen
class Column:
    """One column: its name, logical type and whether it may be null."""

    name: str
    type: LogicalType
    nullable: bool


_LOGICAL: dict[Any, LogicalType] = {
    str: "text",
    int: "int",
    dt.date: "date",
    bool: "bool",
    float: "real",
}


def _columns(row: type[tuple[Any, ...]]) -> tuple[Column, ...]:
    hints = typing.get_type_hints(row)
    columns = []
    for name in row._fields:  # type: ignore[attr-defined]
        hint = hints[name]
        nullable = typing.get_origin(hint) in (typing.Union, types.UnionType)
        if nullable:
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        columns.append(Column(name, _LOGICAL[hint], nullable))
    return tuple(columns)


@attrs.frozen
class TableSpec:
    """A fact table: name, row type, primary key and secondary indexes."""

    name: str
    row: type[tuple[Any, ...]]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    columns: tuple[Column, ...] = attrs.field(init=False)

    @columns.default
    def _columns_default(self) -> tuple[Column, ...]:
        return _columns(self.row)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)


#: Every fact table, in the order they are documented and exported.
TABLES: tuple[TableSpec, ...] = (
    TableSpec("offenders", OffenderRow, ("offender_id",)),
    TableSpec("charges", ChargeRow, ("offender_id", "charge_id"), (("charge_date", "outcome"),)),
    TableSpec(
        "charge_occasions",
        ChargeOccasionRow,
        ("offender_id", "occasion", "charge_id"),
        # Days by occasion counts each measure's values per occasion: read in order, no sort.
        (
            ("arrest_to_conviction", "occasion", "occasion_date"),
            ("offence_to_arrest", "occasion", "occasion_date"),
        ),
    ),
    TableSpec("sentencing_occasions", SentencingOccasionRow, ("offender_id", "occasion")),
    TableSpec("episodes", EpisodeRow, ("offender_id", "start_event_id"), (("kind", "start_date"),)),
    TableSpec("offences", OffenceRow, ("offender_id", "kind", "ref")),
    TableSpec("sanctions", SanctionRow, ("offender_id", "seq")),
    TableSpec("index_events", IndexEventRow, ("offender_id", "date", "rank", "event_id")),
    TableSpec("quality_issues", QualityIssueRow, ("offender_id", "seq"), (("code",),)),
    TableSpec("effective_events", EffectiveEventRow, ("offender_id", "source", "event_id")),
    TableSpec("warrants", WarrantRow, ("offender_id", "warrant_id"), (("issued_date",),)),
    TableSpec("recalls", RecallRow, ("offender_id", "event_id")),
    TableSpec("risk_assessments", RiskAssessmentRow, ("offender_id", "seq")),
    TableSpec("person_records", PersonRecordRow, ("offender_id", "record"), (("record",),)),
    TableSpec("unreadable_events", UnreadableEventRow, ("offender_id", "position")),
)

#: The tables by name.
TABLE: dict[str, TableSpec] = {t.name: t for t in TABLES}


@attrs.frozen
class OffenderFacts:
    """Every fact row of one offender, a tuple per table (empty when not derived).

    What :func:`~offender_journey.facts.derive.derive` makes and the views read.
    """

    offender_id: str
    offenders: tuple[OffenderRow, ...] = ()
    charges: tuple[ChargeRow, ...] = ()
    charge_occasions: tuple[ChargeOccasionRow, ...] = ()
    sentencing_occasions: tuple[SentencingOccasionRow, ...] = ()
    episodes: tuple[EpisodeRow, ...] = ()
    offences: tuple[OffenceRow, ...] = ()
    sanctions: tuple[SanctionRow, ...] = ()
    index_events: tuple[IndexEventRow, ...] = ()
    quality_issues: tuple[QualityIssueRow, ...] = ()
    effective_events: tuple[EffectiveEventRow, ...] = ()
    warrants: tuple[WarrantRow, ...] = ()
    recalls: tuple[RecallRow, ...] = ()
    risk_assessments: tuple[RiskAssessmentRow, ...] = ()
    person_records: tuple[PersonRecordRow, ...] = ()
    unreadable_events: tuple[UnreadableEventRow, ...] = ()

    @property
    def offender(self) -> OffenderRow | None:
        """The ``offenders`` row, if derived."""
        return self.offenders[0] if self.offenders else None

    def rows(self, table: str) -> tuple[tuple[Any, ...], ...]:
        """The rows of one table by name."""
        if table not in TABLE:
            raise KeyError(f"no fact table {table!r}")
        rows: tuple[tuple[Any, ...], ...] = getattr(self, table)
        return rows


# --- SQL ---------------------------------------------------------------------------------


class _DayTexts(dict[dt.date, str]):
    """Each day's ISO text, made once: ``date.isoformat`` formats a new string every time
    (some 3,000 instructions), and a refresh writes the same few thousand days over and
    over. Bounded: past :data:`_MAX_DAYS` days, texts are made, not kept.
    """

    def __missing__(self, day: dt.date) -> str:
        text = day.isoformat()
        if len(self) < _MAX_DAYS:
            self[day] = text
        return text


#: Days whose text :class:`_DayTexts` keeps (four centuries: every day a fact could fall on).
_MAX_DAYS = 400 * 366

#: A date's ISO text, as the SQLite fact tables store it.
_day_text: Callable[[dt.date], str] = _DayTexts().__getitem__


def _text_to_date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _with_nul(value: str | None) -> str | None:
    return None if value is None else unescape_nul(value)


def _nul_free_list(values: Sequence[str]) -> list[str]:
    return [escape_nul(v) for v in values]


def _int_to_bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


@attrs.frozen
class Dialect:
    """How one SQL engine spells the contract: types, placeholders, value conversions."""

    name: str
    #: The DB-API parameter marker (``?`` for sqlite3, ``%s`` for psycopg).
    placeholder: str
    types: dict[LogicalType, str]
    #: Python value → stored value, per logical type (missing = as is); never given null.
    to_db: dict[LogicalType, Callable[[Any], Any]] = attrs.Factory(dict)
    #: Stored value → Python value, per logical type (missing = as is).
    from_db: dict[LogicalType, Callable[[Any], Any]] = attrs.Factory(dict)
    #: Appended to ``ORDER BY`` keys so text sorts by code point, as Python compares it.
    collate: str = ""
    #: A condition that ``{column}`` is none of a list bound (by :attr:`pack`) to ``{mark}``.
    excluding: str = "NOT ({column} = ANY({mark}))"
    #: Text values → the one parameter :attr:`excluding` binds.
    pack: Callable[[Sequence[str]], Any] = list

    def marks(self, count: int) -> str:
        """``count`` placeholders separated by commas."""
        return ", ".join([self.placeholder] * count)

    def writer(self, table: TableSpec) -> _Write:
        """A function turning offenders' facts into the values to bind for ``table``'s rows.

        Made once per table and dialect (cached): one comprehension over the rows that
        converts only the columns that need it, with no Python call per row or value.
        """
        return _writer(self, table)

    def reader(
        self, table: TableSpec, columns: Sequence[str] | None = None
    ) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
        """A function turning fetched values (of ``columns``, default all) into Python values."""
        chosen = table.columns if columns is None else [_column(table, n) for n in columns]
        steps = [(i, f) for i, c in enumerate(chosen) if (f := self.from_db.get(c.type))]
        if not steps:
            return tuple

        def read(values: Sequence[Any]) -> tuple[Any, ...]:
            out = list(values)
            for i, f in steps:
                out[i] = f(out[i])
            return tuple(out)

        return read


_Write = Callable[[Iterable[OffenderFacts]], list[tuple[Any, ...]]]

# Writers made so far, by dialect (its id, kept alive by the entry) and table.
_WRITERS: dict[tuple[int, TableSpec], tuple[Dialect, _Write]] = {}


def _writer(dialect: Dialect, table: TableSpec) -> _Write:
    known = _WRITERS.get((id(dialect), table))
    if known is not None and known[0] is dialect:
        return known[1]
    # Generated from the table's own columns (no input reaches the source), like the codec's
    # structuring functions: a value is converted only when it is not null.
    scope: dict[str, Any] = {}
    names, values = [], []
    for i, column in enumerate(table.columns):
        names.append(f"v{i}")
        convert = dialect.to_db.get(column.type)
        if convert is None:
            values.append(f"v{i}")
            continue
        scope[f"c{i}"] = convert
        values.append(f"None if v{i} is None else c{i}(v{i})" if column.nullable else f"c{i}(v{i})")
    row, bound = ", ".join(names), ", ".join(values)
    loop = f"for f in facts for ({row},) in f.{table.name}"
    source = f"def write(facts):\n    return [({bound},) {loop}]\n"
    exec(compile(source, f"<fact rows {dialect.name} {table.name}>", "exec"), scope)
    write: _Write = scope["write"]
    _WRITERS[id(dialect), table] = (dialect, write)
    return write


def _column(table: TableSpec, name: str) -> Column:
    for column in table.columns:
        if column.name == name:
            return column
    raise KeyError(f"no column {name!r} in {table.name}")


#: SQLite: dates as ISO text, booleans as 0/1 (bound as ``int``: sqlite3 binds a ``bool``,
#: like ``None``, only after looking for an adapter, several times slower).
SQLITE = Dialect(
    "sqlite",
    "?",
    {"text": "TEXT", "int": "INTEGER", "date": "TEXT", "bool": "INTEGER", "real": "REAL"},
    to_db={"date": _day_text, "bool": int},
    from_db={"date": _text_to_date, "bool": _int_to_bool},
    excluding="{column} NOT IN (SELECT value FROM json_each({mark}))",
    pack=json.dumps,
)

#: PostgreSQL: native dates and booleans (psycopg converts them both ways); text without
#: U+0000 (see :mod:`offender_journey.store.escaping`).
POSTGRESQL = Dialect(
    "postgresql",
    "%s",
    {
        "text": "TEXT",
        "int": "BIGINT",
        "date": "DATE",
        "bool": "BOOLEAN",
        "real": "DOUBLE PRECISION",
    },
    to_db={"text": escape_nul},
    from_db={"text": _with_nul},
    collate=' COLLATE "C"',
    pack=_nul_free_list,
)


def create_statements(dialect: Dialect, *, indexes: bool = True) -> list[str]:
    """``CREATE TABLE`` / ``CREATE INDEX`` statements (idempotent) for every fact table.

    ``indexes=False`` leaves the secondary indexes out: tables filled in bulk get them
    afterwards (:func:`index_statements`), built once from the rows in order instead of
    kept up to date row by row.
    """
    statements = []
    for table in TABLES:
        lines = [
            f"    {c.name} {dialect.types[c.type]}{'' if c.nullable else ' NOT NULL'},"
            for c in table.columns
        ]
        lines.append(f"    PRIMARY KEY ({', '.join(table.key)})")
        tail = " WITHOUT ROWID" if dialect.name == "sqlite" else ""
        body = "\n".join(lines)
        statements.append(f"CREATE TABLE IF NOT EXISTS {table.name} (\n{body}\n){tail}")
    if indexes:
        statements.extend(index_statements())
    statements.append(
        "CREATE TABLE IF NOT EXISTS facts_checkpoint (\n"
        "    name TEXT NOT NULL PRIMARY KEY,\n"
        f"    position {dialect.types['int']} NOT NULL,\n"
        f"    schema_version {dialect.types['int']} NOT NULL\n"
        ")"
    )
    return statements


def _indexes() -> list[tuple[str, TableSpec, tuple[str, ...]]]:
    return [
        (f"{t.name}_by_{'_'.join(columns)}", t, columns) for t in TABLES for columns in t.indexes
    ]


def index_statements() -> list[str]:
    """``CREATE INDEX`` statements (idempotent) for the fact tables' secondary indexes."""
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON {t.name} ({', '.join(columns)})"
        for name, t, columns in _indexes()
    ]


def drop_index_statements() -> list[str]:
    """``DROP INDEX`` statements (idempotent) for the fact tables' secondary indexes."""
    return [f"DROP INDEX IF EXISTS {name}" for name, _, _ in _indexes()]
