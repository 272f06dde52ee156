"""Test support that ships with the library: hypothesis strategies and the store contract.

Write your own :class:`~offender_journey.store.EventStore` and prove it behaves by
subclassing :class:`StoreContract`::

    class TestMyStore(StoreContract):
        def make_store(self) -> EventStore:
            return MyStore()

Needs the ``test`` extra (pytest and hypothesis).
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import enum
import io
import json
import types
import typing
from typing import Any

import attrs

try:
    import pytest
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - only without the extra
    from .errors import MissingExtraError

    raise MissingExtraError("offender_journey.testing", "test", "pytest and hypothesis") from exc

from .codec import Codec
from .errors import ConcurrencyError, ConflictError, RecordClashError
from .events import (
    EVENT_TYPES,
    IDENTIFIER_FIELDS,
    Alias,
    Arrest,
    Category,
    Charge,
    Event,
    Offence,
    PersonRecorded,
    record_key,
)
from .facts import POSTGRESQL, SQLITE, TABLES, refresh_facts
from .facts.refresh import iter_rows
from .io import import_jsonl
from .store.base import EventStore
from .synth import generate

__all__ = ["FactsContract", "StoreContract", "events", "event_of"]

_ID_CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])
identifiers = st.text(_ID_CHARS, min_size=1, max_size=12)
#: Transaction times: aware, any offset, microsecond precision.
instants = st.datetimes(
    min_value=dt.datetime(1990, 1, 1),  # noqa: DTZ001 - hypothesis adds the zones
    max_value=dt.datetime(2040, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from(
        [
            dt.UTC,
            dt.timezone(dt.timedelta(hours=1)),
            dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
        ]
    ),
)
days = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2040, 12, 31))
#: Source names: none (the default source) most often, else one of a few systems.
sources = st.none() | st.sampled_from(["police", "courts", "probation", "prison"])


def _for_type(hint: Any, name: str) -> st.SearchStrategy[Any]:
    """A strategy for one field's type, as the vocabulary uses it."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return st.none() | _for_type(inner[0], name)
    if origin is tuple and typing.get_args(hint)[0] is Alias:
        alias = st.builds(
            Alias,
            forenames=identifiers,
            surname=st.none() | identifiers,
            date_of_birth=st.none() | days,
        )
        return st.lists(alias, max_size=3).map(tuple)
    if origin is tuple:
        return st.lists(identifiers, max_size=4).map(tuple)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    if hint is Offence:
        return st.builds(
            Offence,
            code=identifiers,
            category=st.sampled_from(list(Category)),
            description=st.none() | st.text(max_size=20),
        )
    if hint is dt.datetime:
        return instants
    if hint is dt.date:
        return days
    if hint is int:
        return st.integers(min_value=0, max_value=20_000)
    if hint is float:
        return st.floats(min_value=0.0, max_value=1.0)
    if hint is str and name == "source":
        return sources
    if hint is str:
        return st.text(max_size=30) if name in ("reason", "description", "court") else identifiers
    raise TypeError(f"no strategy for {hint!r}")  # pragma: no cover


def event_of(
    cls: type[Event], offender_ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Event]:
    """Any valid event of one type (``schema_version`` current)."""
    attrs.resolve_types(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        if field.name == "schema_version":
            continue
        fields[field.name] = _for_type(field.type, field.name)
    if offender_ids is not None:
        fields["offender_id"] = offender_ids
    if cls is PersonRecorded:  # a name or an identifier, at least
        named = ("forenames", "surname", *IDENTIFIER_FIELDS)
        return (
            st.fixed_dictionaries(fields)
            .filter(lambda given: any(given[name] is not None for name in named))
            .map(lambda given: cls(**given))
        )
    return st.builds(cls, **fields)


def events(offender_ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Event]:
    """Any valid event of any type."""
    return st.one_of([event_of(cls, offender_ids) for cls in EVENT_TYPES.values()])


def _arrest(event_id: str, offender_id: str = "O1", day: int = 1, **extra: Any) -> Arrest:
    return Arrest(
        event_id=event_id,
        offender_id=offender_id,
        date=dt.date(2014, 1, day),
        arrest_id=f"a-{event_id}",
        **extra,
    )


def _at(hour: int) -> dt.datetime:
    return dt.datetime(2014, 2, 1, hour, tzinfo=dt.UTC)


class StoreContract(abc.ABC):
    """Everything an event store must do; subclass it and implement :meth:`make_store`."""

    @abc.abstractmethod
    def make_store(self) -> EventStore:
        """A new, empty store."""

    # --- writing --------------------------------------------------------------------

    def test_new_store_is_empty(self) -> None:
        store = self.make_store()
        assert store.count_events() == 0
        assert store.count_offenders() == 0
        assert list(store.read_all()) == []
        assert store.read_stream("nobody") == []
        assert store.version("nobody") == 0

    def test_append_then_read_back_in_stream_order(self) -> None:
        store = self.make_store()
        batch = [_arrest("e2", day=5, recorded_at=_at(1)), _arrest("e1", day=1, recorded_at=_at(2))]
        result = store.append(batch)
        assert result.stored == ("e2", "e1")
        assert store.read_stream("O1") == batch
        assert store.version("O1") == 2

    def test_recorded_at_is_assigned_when_missing(self) -> None:
        store = self.make_store()
        before = dt.datetime.now(dt.UTC)
        store.append([_arrest("e1")])
        (event,) = store.read_stream("O1")
        assert event.recorded_at is not None
        assert before - dt.timedelta(seconds=1) <= event.recorded_at <= dt.datetime.now(dt.UTC)

    def test_recorded_at_given_reads_back_as_the_instant_it_names(self) -> None:
        # Imported lines keep their own spelling; reads give the instant, in UTC.
        spellings = {
            "2015-02-01T09:30:00+00:00": dt.datetime(2015, 2, 1, 9, 30, tzinfo=dt.UTC),
            "2015-02-01T09:30:00Z": dt.datetime(2015, 2, 1, 9, 30, tzinfo=dt.UTC),
            "2015-02-01T10:30:00.250001+01:00": dt.datetime(2015, 2, 1, 9, 30, 0, 250_001, dt.UTC),
            "2015-02-01T09:30:00.5+00:00": dt.datetime(2015, 2, 1, 9, 30, 0, 500_000, dt.UTC),
        }
        lines = [
            json.dumps(
                {"type": "arrest", "event_id": f"e{i}", "offender_id": "O1", "date": "2015-02-01"}
                | {"arrest_id": f"a{i}", "recorded_at": spelt}
            )
            for i, spelt in enumerate(spellings)
        ]
        store = self.make_store()
        assert import_jsonl(io.BytesIO("\n".join(lines).encode()), store).stored == len(lines)
        expected = [Codec().decode(json.loads(line)) for line in lines]
        assert [event.recorded_at for event in expected] == list(spellings.values())
        read = store.read_stream("O1")
        assert read == expected
        assert all(event.recorded_at.tzinfo is dt.UTC for event in read)  # type: ignore[union-attr]
        assert list(store.read_all()) == [("O1", expected)]
        assert [event for _, event in store.read_after(0)] == expected

    def test_identical_event_is_a_no_op(self) -> None:
        store = self.make_store()
        store.append([_arrest("e1")])
        again = store.append([_arrest("e1"), _arrest("e2")])
        assert again.duplicates == ("e1",)
        assert again.stored == ("e2",)
        assert store.count_events() == 2

    def test_same_id_with_other_content_is_a_conflict_and_stores_nothing(self) -> None:
        store = self.make_store()
        store.append([_arrest("e1", day=1)])
        with pytest.raises(ConflictError, match="'e1'") as caught:
            store.append([_arrest("e2"), _arrest("e1", day=2)])
        assert caught.value.event_ids == ("e1",)
        assert store.count_events() == 1

    def test_conflict_inside_one_batch(self) -> None:
        store = self.make_store()
        with pytest.raises(ConflictError):
            store.append([_arrest("e1", day=1), _arrest("e1", day=2)])
        assert store.count_events() == 0

    def test_duplicate_inside_one_batch(self) -> None:
        store = self.make_store()
        result = store.append([_arrest("e1"), _arrest("e1")])
        assert (result.stored, result.duplicates) == (("e1",), ("e1",))

    def test_expected_version_guards_each_stream(self) -> None:
        store = self.make_store()
        store.append([_arrest("e1")], expected_versions={"O1": 0})
        with pytest.raises(ConcurrencyError) as caught:
            store.append(
                [_arrest("e2"), _arrest("x1", offender_id="O2")],
                expected_versions={"O1": 0, "O2": 0},
            )
        assert (caught.value.offender_id, caught.value.expected, caught.value.actual) == (
            "O1",
            0,
            1,
        )
        assert store.count_events() == 1
        store.append([_arrest("e2")], expected_versions={"O1": 1})
        assert store.version("O1") == 2

    def test_atomic_block_keeps_all_or_nothing(self) -> None:
        store = self.make_store()

        def crash_half_way() -> None:
            with store.atomic():
                store.append([_arrest("e1")])
                store.append([_arrest("e2")])
                raise RuntimeError("crash half-way")

        with pytest.raises(RuntimeError):
            crash_half_way()
        assert store.count_events() == 0
        with store.atomic():
            store.append([_arrest("e1")])
        assert store.count_events() == 1

    def test_every_event_gets_the_next_global_position(self) -> None:
        store = self.make_store()
        assert store.head() == 0
        assert store.read_after(0) == []
        store.append([_arrest("b1", "B"), _arrest("a1", "A")])
        store.append([_arrest("a1", "A"), _arrest("b2", "B", day=2)])  # a1: a duplicate
        assert store.head() == 3
        after = store.read_after(0)
        assert [(p, e.event_id) for p, e in after] == [(1, "b1"), (2, "a1"), (3, "b2")]
        assert [(p, e.event_id) for p, e in store.read_after(1, limit=1)] == [(2, "a1")]
        assert store.read_after(3) == []

    def test_touched_after_names_each_offender_with_a_later_event_once(self) -> None:
        store = self.make_store()
        assert store.touched_after(0) == []
        store.append([_arrest("b1", "B"), _arrest("a1", "A")])
        store.append([_arrest("b2", "B", day=2), _arrest("c1", "C")])
        assert store.touched_after(0) == ["A", "B", "C"]
        assert store.touched_after(2) == ["B", "C"]
        assert store.touched_after(store.head()) == []

    def test_a_failed_append_takes_no_position(self) -> None:
        store = self.make_store()
        store.append([_arrest("e1", day=1)])
        with pytest.raises(ConflictError):
            store.append([_arrest("e2"), _arrest("e1", day=2)])

        def crash() -> None:
            with store.atomic():
                store.append([_arrest("e3")])
                raise RuntimeError("crash")

        with pytest.raises(RuntimeError):
            crash()
        store.append([_arrest("e4")])
        assert [(p, e.event_id) for p, e in store.read_after(0)] == [(1, "e1"), (2, "e4")]

    # --- reading ----------------------------------------------------------------------------

    def test_read_all_groups_by_offender_in_order(self) -> None:
        store = self.make_store()
        store.append([_arrest("b1", "B"), _arrest("a1", "A"), _arrest("b2", "B", day=2)])
        grouped = [(o, [e.event_id for e in evs]) for o, evs in store.read_all()]
        assert grouped == [("A", ["a1"]), ("B", ["b1", "b2"])]
        assert list(store.offenders()) == ["A", "B"]
        assert store.count_offenders() == 2

    def test_read_all_shares_out_by_offender_range(self) -> None:
        store = self.make_store()
        store.append([_arrest(f"{o}1", o) for o in "ABCD"] + [_arrest("B2", "B", day=2)])
        assert list(store.stream_sizes()) == [("A", 1), ("B", 2), ("C", 1), ("D", 1)]
        ids = [o for o, _ in store.read_all(offenders=("B", "D"))]
        assert ids == ["B", "C"]
        assert [o for o, _ in store.read_all(offenders=(None, "B"))] == ["A"]
        assert [o for o, _ in store.read_all(offenders=("C", None))] == ["C", "D"]

    def test_read_all_of_some_types_leaves_the_others_unread(self) -> None:
        store = self.make_store()
        charge = Charge(
            event_id="c1",
            offender_id="B",
            date=dt.date(2014, 1, 2),
            charge_id="ch1",
            offence_date=dt.date(2014, 1, 1),
            offence=Offence(code="theft", category=Category.THEFT_FROM_PERSON),
            recorded_at=_at(1),
        )
        store.append([_arrest("a1", "A", recorded_at=_at(1)), charge])
        store.append([_arrest("b1", "B", recorded_at=_at(3))])
        read = [(o, [e.event_id for e in evs]) for o, evs in store.read_all(types={"arrest"})]
        assert read == [("A", ["a1"]), ("B", ["b1"])]
        assert [o for o, _ in store.read_all(types={"charge"})] == ["B"]
        assert list(store.read_all(types=())) == []
        assert [o for o, _ in store.read_all(as_of=_at(2), types={"arrest"})] == ["A"]

    def test_offenders_as_of_a_time_are_those_with_an_event_recorded_by_then(self) -> None:
        store = self.make_store()
        store.append(
            [_arrest("a1", "A", recorded_at=_at(1)), _arrest("b1", "B", recorded_at=_at(3))]
        )
        assert list(store.offenders(as_of=_at(2))) == ["A"]
        assert list(store.offenders(as_of=_at(3))) == list(store.offenders()) == ["A", "B"]

    def test_offender_summaries_by_prefix(self) -> None:
        store = self.make_store()
        store.append(
            [
                _arrest("x1", "S1-A", day=3),
                _arrest("x2", "S1-A", day=9),
                _arrest("y1", "S1-B"),
                _arrest("z1", "S2-A", day=5),
            ]
        )
        every = list(store.offender_summaries())
        assert [(s.offender_id, s.events) for s in every] == [("S1-A", 2), ("S1-B", 1), ("S2-A", 1)]
        assert (every[0].first_date, every[0].last_date) == (
            dt.date(2014, 1, 3),
            dt.date(2014, 1, 9),
        )
        assert [s.offender_id for s in store.offender_summaries("S1-")] == ["S1-A", "S1-B"]
        assert list(store.offender_summaries("nobody")) == []

    def test_as_of_hides_what_was_recorded_later(self) -> None:
        store = self.make_store()
        store.append([_arrest("e1", recorded_at=_at(1)), _arrest("e2", recorded_at=_at(3))])
        assert [e.event_id for e in store.read_stream("O1", as_of=_at(2))] == ["e1"]
        assert [e.event_id for e in store.read_stream("O1", as_of=_at(3))] == ["e1", "e2"]
        assert [len(evs) for _, evs in store.read_all(as_of=_at(2))] == [1]
        assert list(store.read_all(as_of=_at(0))) == []

    def test_as_of_must_be_aware(self) -> None:
        store = self.make_store()
        with pytest.raises(ValueError, match="UTC offset"):
            store.read_stream("O1", as_of=dt.datetime(2014, 1, 1))  # noqa: DTZ001

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    @given(
        st.lists(
            events(st.sampled_from(["O1", "O2", "O3"])), max_size=15, unique_by=lambda e: e.event_id
        )
    )
    def test_round_trip_any_events(self, batch: list[Event]) -> None:
        store = self.make_store()
        store.append(batch)
        for key in {record_key(e.source, e.offender_id) for e in batch}:
            mine = [e for e in batch if record_key(e.source, e.offender_id) == key]
            read = store.read_stream(key)
            assert [
                attrs.evolve(r, recorded_at=m.recorded_at) if m.recorded_at is None else r
                for r, m in zip(read, mine, strict=True)
            ] == mine
        assert store.append(batch).stored == ()

    def test_each_source_record_is_a_stream_of_its_own(self) -> None:
        """Two sources may use the same person id and the same event ids: never mixed up."""
        store = self.make_store()
        police = _arrest("e1", source="police")
        courts = _arrest("e1", day=2, source="courts")
        result = store.append([police, courts, _arrest("e1", day=3)])
        assert result.stored == ("e1", "e1", "e1")
        assert [(e.source, e.offender_id, e.date.day) for e in store.read_stream("police:O1")] == [
            ("police", "O1", 1)
        ]
        assert [(e.source, e.date.day) for e in store.read_stream("courts:O1")] == [("courts", 2)]
        assert [(e.source, e.date.day) for e in store.read_stream("O1")] == [(None, 3)]
        assert list(store.offenders()) == ["O1", "courts:O1", "police:O1"]
        assert store.append([police]).duplicates == ("e1",)
        with pytest.raises(ConflictError, match="'e1'"):
            store.append([_arrest("e1", day=9, source="police")])
        assert store.count_events() == 3

    def test_a_default_source_id_spelt_as_a_record_key_is_refused(self) -> None:
        """``police:O1`` without a source would land in the police's record O1: refused."""
        store = self.make_store()
        store.append([_arrest("e1", source="police")])
        with pytest.raises(RecordClashError, match="'police:O1'") as caught:
            store.append([_arrest("e2", offender_id="police:O1")])
        assert caught.value.field == "offender_id"
        with pytest.raises(RecordClashError):  # within one batch too
            store.append([_arrest("e3", offender_id="a:b"), _arrest("e4", "b", source="a")])
        assert store.count_events() == 1
        store.append([_arrest("e5", offender_id="police:O2")])  # no police O2: allowed
        with pytest.raises(RecordClashError):
            store.append([_arrest("e6", offender_id="O2", source="police")])
        assert list(store.offenders()) == ["police:O1", "police:O2"]

    def test_codec_is_used_consistently(self) -> None:
        """What is read back encodes to the same JSON as what was written."""
        store = self.make_store()
        event = _arrest("e1", recorded_at=_at(1))
        store.append([event])
        codec = Codec()
        assert codec.encode(store.read_stream("O1")[0]) == codec.encode(event)


class _CrashError(Exception):
    """Raised part-way through a refresh by :class:`_CrashAfter`."""


class _CrashAfter:
    """A progress report that fails once ``n`` offenders are done: a crash mid-refresh."""

    def __init__(self, n: int) -> None:
        self.left = n

    def set_description(self, desc: str) -> None:
        """Stages are not counted."""

    def reset(self, total: int | None = None) -> None:
        """Stages are not counted."""

    def update(self, n: int = 1) -> None:
        self.left -= n
        if self.left <= 0:
            raise _CrashError


class FactsContract(abc.ABC):
    """What the fact tables beside a store's log must do; subclass it per backend.

    Implement :meth:`make_store` (a new, empty store that keeps fact tables). The rows
    are compared table by table, as :func:`~offender_journey.facts.refresh.iter_rows`
    reads them.
    """

    @abc.abstractmethod
    def make_store(self) -> EventStore:
        """A new, empty store that keeps fact tables."""

    def rows(self, store: EventStore) -> dict[str, list[tuple[Any, ...]]]:
        """Every fact table's rows, in key order."""
        dialect = {SQLITE.name: SQLITE, POSTGRESQL.name: POSTGRESQL}[
            getattr(store, "dialect_name", SQLITE.name)
        ]
        borrow = getattr(store, "borrow", None)
        opened = borrow() if borrow else contextlib.nullcontext(store.connection)  # type: ignore[attr-defined]
        with opened as connection:
            return {t.name: list(iter_rows(connection, t.name, dialect=dialect)) for t in TABLES}

    def about(self, store: EventStore, offender_id: str) -> int:
        """Rows about one person, over every fact table."""
        rows = self.rows(store)
        return sum(1 for table in rows.values() for row in table if row[0] == offender_id)

    def test_a_second_refresh_changes_nothing(self) -> None:
        store = self.make_store()
        store.append(generate(12, seed=5))
        assert refresh_facts(store).offenders == 12
        first = self.rows(store)
        again = refresh_facts(store)
        assert (again.offenders, again.start) == (0, again.position)
        assert self.rows(store) == first

    def test_a_crash_part_way_leaves_the_tables_as_they_were(self) -> None:
        store = self.make_store()
        journeys = list(generate(20, seed=6))
        store.append(journeys)
        done = refresh_facts(store)
        before = self.rows(store)
        people = sorted({e.offender_id for e in journeys})
        # A late event for everyone: the refresh replaces every stored row, then fails.
        store.append([_arrest(f"late-{i}", person, day=28) for i, person in enumerate(people)])
        with pytest.raises(_CrashError):
            refresh_facts(store, progress=_CrashAfter(3))
        assert self.rows(store) == before
        after = refresh_facts(store)
        assert after.start == done.position  # the checkpoint did not move either
        assert (after.offenders, after.position) == (len(people), store.head())

    def test_restricted_people_have_no_rows(self) -> None:
        store = self.make_store()
        journeys = list(generate(8, seed=7))
        store.append(journeys)
        refresh_facts(store)
        person = journeys[0].offender_id
        whole = self.rows(store)
        store.restrict(person, reason="disputed")  # type: ignore[attr-defined]
        assert self.about(store, person) == 0
        store.append([_arrest("late-1", person, day=20)])
        refresh_facts(store)
        assert self.about(store, person) == 0  # not even from events that came meanwhile
        store.lift_restriction(person, reason="resolved")  # type: ignore[attr-defined]
        assert self.about(store, person) > 0
        rows = self.rows(store)
        assert {t: [r for r in v if r[0] != person] for t, v in rows.items()} == {
            t: [r for r in v if r[0] != person] for t, v in whole.items()
        }

    def test_an_erasure_lowers_the_checkpoint_to_the_head(self) -> None:
        store = self.make_store()
        store.append(generate(5, seed=8))
        store.append([_arrest(f"last-{i}", "LAST", day=i) for i in range(1, 4)])
        refresh_facts(store)
        key = b"k" * 32
        store.erase("LAST", reason="court order", key=key)  # type: ignore[attr-defined]
        assert self.about(store, "LAST") == 0
        head = store.head()
        store.use_key(key)  # type: ignore[attr-defined]
        store.append([_arrest("next-1", "NEXT")])  # takes the erased person's position
        report = refresh_facts(store)
        assert report.start == head
        assert report.offenders == 1
        assert self.about(store, "NEXT") > 0
