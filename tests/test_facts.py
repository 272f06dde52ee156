"""Facts kept as tables: incremental refresh equals one pass, crashes leave them right,
and the metrics read from them equal the metrics folded from the log."""

import datetime as dt
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Event
from offender_journey.facts import refresh_facts
from offender_journey.facts.derive import derive
from offender_journey.facts.refresh import checkpoint, iter_rows, status, write_facts
from offender_journey.facts.schema import (
    SQLITE,
    TABLE,
    TABLES,
    create_statements,
    index_statements,
)
from offender_journey.facts.scratch import Scratch, scratch_of
from offender_journey.history import History, Window
from offender_journey.metrics import (
    VIEWS,
    _fold_store,
    compute,
    compute_store,
    resolve_views,
)
from offender_journey.store import SQLiteStore
from offender_journey.synth import generate
from offender_journey.views.iom import LONDON, IomView
from strategies import RISK_STEPS, cohorts

WINDOWS = [Window(), Window(dt.date(2009, 1, 1), dt.date(2011, 6, 30)), Window(dt.date(2011, 1, 1))]
SLOW = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def dump(store: SQLiteStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact table's rows, in key order."""
    return {t.name: list(iter_rows(store, t.name)) for t in TABLES}


def interleave(streams: list[tuple[str, list[Event]]], rnd: random.Random) -> list[Event]:
    """All offenders' events in one sequence, each offender's in stream order."""
    queues = [list(events) for _, events in streams]
    out: list[Event] = []
    while any(queues):
        queue = rnd.choice([q for q in queues if q])
        out.append(queue.pop(0))
    return out


def late_arrest(offender_id: str, event_id: str) -> list[Event]:
    """One more arrest for an offender, under a fresh event id."""
    arrest = JourneyBuilder(offender_id).arrest("2016-06-01")
    return [attrs.evolve(arrest, event_id=event_id, arrest_id=event_id)]


def one_pass(events: list[Event]) -> dict[str, list[tuple[Any, ...]]]:
    with SQLiteStore(":memory:") as store:
        store.append(events)
        refresh_facts(store)
        return dump(store)


@SLOW
@given(
    cohorts(steps=RISK_STEPS),
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 80), max_size=4),
)
def test_facts_built_in_any_split_of_the_input_equal_facts_built_in_one_pass(
    streams, rnd, cuts
) -> None:
    events = interleave(streams, rnd)
    bounds = sorted({min(c, len(events)) for c in cuts} | {0, len(events)})
    with SQLiteStore(":memory:") as store:
        for start, stop in itertools.pairwise(bounds):
            store.append(events[start:stop])
            if rnd.random() < 0.7:  # sometimes two imports before a refresh
                refresh_facts(store)
        refresh_facts(store)
        assert status(store).current
        assert dump(store) == one_pass(events)


def test_a_refresh_with_nothing_new_does_nothing() -> None:
    with SQLiteStore(":memory:") as store:
        store.append(list(generate(5, seed=1)))
        assert refresh_facts(store).offenders == 5
        again = refresh_facts(store)
        assert again.offenders == 0
        assert "up to date" in str(again)


def test_only_offenders_with_new_events_are_re_derived() -> None:
    with SQLiteStore(":memory:") as store:
        store.append(list(generate(6, seed=2)))
        refresh_facts(store)
        store.append(late_arrest("S2-O000003", "late-1"))
        report = refresh_facts(store)
        assert report.offenders == 1
        (row,) = [r for r in iter_rows(store, "offenders") if r[0] == "S2-O000003"]
        assert row.position == store.head()


def test_an_exception_between_delete_and_insert_leaves_facts_agreeing_with_the_log() -> None:
    first = list(generate(8, seed=4))
    extra = late_arrest("S4-O000002", "late-2")
    with SQLiteStore(":memory:") as store:
        store.append(first)
        refresh_facts(store)
        before, position = dump(store), checkpoint(store.connection.cursor())
        store.append(extra + list(generate(10, seed=5)))
        touched = sorted({e.offender_id for e in extra} | {f"S5-O{i:06d}" for i in range(10)})

        def crashing():
            for offender_id in touched[:3]:
                yield derive(History.build(offender_id, store.read_stream(offender_id)))
            raise RuntimeError("killed half-way through the inserts")

        def write() -> None:
            with store.atomic():
                write_facts(store.connection.cursor(), touched, crashing(), store.head())

        with pytest.raises(RuntimeError, match="half-way"):
            write()
        assert dump(store) == before
        assert checkpoint(store.connection.cursor()) == position
        refresh_facts(store)
        assert dump(store) == one_pass(first + extra + list(generate(10, seed=5)))


def _indexes(store: SQLiteStore) -> set[str]:
    rows = store.connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    )
    return {row[0] for row in rows}


#: The secondary indexes every fact table is documented to have.
INDEXES = {statement.split()[5] for statement in index_statements()}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_first_refresh_leaves_every_index_in_place_and_the_same_rows(
    tmp_path: Path, jobs: int
) -> None:
    """The first fill builds the secondary indexes after the rows: same rows, same indexes."""
    events = list(generate(12, seed=6))
    with SQLiteStore(tmp_path / "first.db") as store:
        store.append(events)
        (cache,) = store.connection.execute("PRAGMA cache_size").fetchone()
        refresh_facts(store, jobs=jobs)
        assert _indexes(store) >= INDEXES
        # the refresh ran with a smaller page cache: the store has its own back
        assert store.connection.execute("PRAGMA cache_size").fetchone() == (cache,)
        assert store.connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert dump(store) == one_pass(events)
        plan = store.connection.execute(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM charges WHERE charge_date >= '2014-01-01'"
        ).fetchall()
        assert "charges_by_charge_date_outcome" in str(plan)


def test_a_first_refresh_that_fails_keeps_the_indexes(tmp_path: Path) -> None:
    """The indexes dropped for a first fill come back with the rest when it rolls back."""

    class Failing:
        def set_description(self, desc: str) -> None:
            pass

        def reset(self, total: int | None = None) -> None:
            pass

        def update(self, n: int = 1) -> None:
            raise RuntimeError("stopped half-way through the first fill")

    with SQLiteStore(tmp_path / "failed.db") as store:
        refresh_facts(store)  # empty tables, as a store's first refresh makes them
        assert _indexes(store) >= INDEXES
        store.append(list(generate(6, seed=7)))
        (cache,) = store.connection.execute("PRAGMA cache_size").fetchone()
        with pytest.raises(RuntimeError, match="half-way"):
            refresh_facts(store, progress=Failing())
        assert _indexes(store) >= INDEXES
        assert store.connection.execute("PRAGMA cache_size").fetchone() == (cache,)
        assert all(not rows for rows in dump(store).values())
        refresh_facts(store)
        assert _indexes(store) >= INDEXES


def test_a_scratch_database_is_indexed_when_read_and_stays_so(tmp_path: Path) -> None:
    """Facts derived on the fly get the tables' indexes once, when first read; rows added
    after that are found through them as well."""
    with SQLiteStore(":memory:") as store:
        store.append(list(generate(8, seed=3)))
        histories = [History.build(o, events) for o, events in store.read_all()]
    with scratch_of(histories[:5]) as scratch:
        first = scratch.source
        indexes = {
            row[0]
            for row in scratch.connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
        assert indexes == INDEXES
        scratch.extend(derive(h) for h in histories[5:])
        query = "SELECT COUNT(*) FROM charges WHERE charge_date >= '2014-01-01'"
        assert "charges_by_charge_date_outcome" in str(
            scratch.connection.execute(f"EXPLAIN QUERY PLAN {query}").fetchall()
        )
        with scratch_of(histories) as whole:
            assert scratch.source.fetch(query) == whole.source.fetch(query)
        assert first.fetch("SELECT COUNT(*) FROM offenders") == [(8,)]
        assert scratch.connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_scratch_database_keeps_only_the_tables_asked_for() -> None:
    """A scratch database made for some views holds their tables' rows, the same as one
    keeping everything, and nothing in the other tables."""
    with SQLiteStore(":memory:") as store:
        store.append(list(generate(8, seed=3)))
        facts = [derive(History.build(o, events)) for o, events in store.read_all()]
    whole, some = Scratch(), Scratch({"offenders", "charges"})
    with whole, some:
        whole.extend(facts)
        some.extend(facts)
        for table in TABLES:
            query = f"SELECT * FROM {table.name} ORDER BY 1, 2, 3"
            kept = some.source.fetch(query)
            if table.name in {"offenders", "charges"}:
                assert kept == whole.source.fetch(query)
                assert kept
            else:
                assert kept == []


_REFRESH = (
    "import sys; from offender_journey.store import SQLiteStore; "
    "from offender_journey.facts import refresh_facts; refresh_facts(SQLiteStore(sys.argv[1]))"
)


def test_a_refresh_killed_by_a_signal_leaves_facts_agreeing_with_the_log(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    events = list(generate(150, seed=6))
    with SQLiteStore(path) as store:
        store.append(events[:2000])
        refresh_facts(store)
        store.append(events[2000:])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", _REFRESH, str(path)], env=env)
    time.sleep(1.5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with SQLiteStore(path) as store:
        state = status(store)
        assert state.checkpoint in (2000, state.head)
        refresh_facts(store)
        assert dump(store) == one_pass(events)


# --- metrics from the tables ------------------------------------------------------------


FACT_VIEWS = [name for name, view in VIEWS.items() if view.tables is not None]


def _both_ways(
    path: str, window: Window, as_of: dt.datetime | None, names: list[str] | None = None
) -> tuple[Any, Any]:
    views = resolve_views(names)
    from_tables = compute_store(path, window=window, as_of=as_of, views=names).to_json()
    folded = _fold_store(path, window=window, as_of=as_of, views=views, jobs=1).to_json()
    return from_tables, folded


@SLOW
@given(
    cohorts(steps=RISK_STEPS),
    st.sampled_from(WINDOWS),
    st.booleans(),
    st.sampled_from([None, "now", dt.datetime(2010, 6, 1, tzinfo=dt.UTC)]),
    st.integers(0, 8),
)
def test_metrics_from_the_tables_equal_metrics_folded_from_the_log(
    streams, window, future, when, cut
):
    """The SQL over a store's tables, over facts derived on the fly (the whole log
    folded), over ``compute(streams)``, and over parts added up (as the Dask engine
    adds its partitions) give one answer for any journeys, window and as_of."""
    events = [e for _, stream in streams for e in stream]
    if future:  # recorded in the future: not seen as of now, seen with as_of=None
        events.append(
            attrs.evolve(
                events[0],
                event_id="from-the-future",
                recorded_at=dt.datetime(2090, 1, 1, tzinfo=dt.UTC),
            )
        )
    as_of = dt.datetime.now(dt.UTC) if when == "now" else when
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "j.db")
        with SQLiteStore(path) as store:
            store.append(events)
        from_tables, folded = _both_ways(path, window, as_of, FACT_VIEWS)
        assert from_tables == folded
        with SQLiteStore(path) as store:
            logged = list(store.read_all())
    options: dict[str, Any] = {"window": window, "as_of": as_of, "views": FACT_VIEWS}
    assert compute(logged, **options).to_json() == from_tables
    parts = compute(logged[:cut], **options) + compute(logged[cut:], **options)
    assert parts.to_json() == from_tables


def test_metrics_on_a_synthetic_cohort_read_the_tables_and_agree(tmp_path: Path) -> None:
    path = str(tmp_path / "j.db")
    with SQLiteStore(path) as store:
        store.append(list(generate(120, seed=8)))
        assert not status(store).current
    for window in WINDOWS:
        from_tables, folded = _both_ways(path, window, None, FACT_VIEWS)
        assert from_tables == folded
    with SQLiteStore(path) as store:
        assert status(store).current  # the first query brought the tables up to date


def test_every_view_that_reads_facts_says_which_tables() -> None:
    assert set(FACT_VIEWS) >= {"conversion", "days_by_sentencing_occasion", "reoffending"}
    assert set(FACT_VIEWS) >= {"quality", "history_bands", "cost"}
    assert set(FACT_VIEWS) == set(VIEWS)  # warrants and IOM too: no view folds histories
    for view in VIEWS.values():
        if view.tables is not None:
            assert set(view.tables) <= set(TABLE)


# --- the SQL contract -------------------------------------------------------------------


def test_the_tables_answer_plain_sql_with_dates_as_text(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.append(list(generate(60, seed=9)))
        refresh_facts(store)
    db = sqlite3.connect(path)
    counts = dict(
        db.execute(
            "SELECT outcome, COUNT(*) FROM charges "
            "WHERE charge_date BETWEEN '2011-01-01' AND '2014-12-31' GROUP BY outcome"
        ).fetchall()
    )
    window = Window(dt.date(2011, 1, 1), dt.date(2014, 12, 31))
    conversion = compute_store(str(path), window=window).conversion
    assert counts.get("convicted", 0) == conversion.convicted
    assert counts.get("not_convicted", 0) == conversion.not_convicted
    assert counts.get("pending", 0) == conversion.pending
    (offenders, events) = db.execute(
        "SELECT COUNT(*), SUM(events) FROM offenders WHERE events > 0"
    ).fetchone()
    report = compute_store(str(path))
    assert (offenders, events) == (report.offenders, report.events)
    # An open episode has no end; effective events are the events that count.
    assert db.execute("SELECT COUNT(*) FROM episodes WHERE end_date IS NULL").fetchone()[0] >= 0
    (effective,) = db.execute("SELECT COUNT(*) FROM effective_events").fetchone()
    assert effective <= report.events
    (payloads,) = db.execute(
        "SELECT COUNT(*) FROM effective_events JOIN events USING (event_id)"
    ).fetchone()
    assert payloads == effective


def test_the_schema_is_one_create_statement_per_table_and_index() -> None:
    statements = create_statements(SQLITE)
    tables = [s for s in statements if s.startswith("CREATE TABLE")]
    assert len(tables) == len(TABLES) + 1  # and the checkpoint
    db = sqlite3.connect(":memory:")
    for statement in statements:
        db.execute(statement)
    for table in TABLES:
        names = [row[1] for row in db.execute(f"PRAGMA table_info({table.name})")]
        assert tuple(names) == table.names


@settings(max_examples=40, deadline=None)
@given(cohorts(max_offenders=1), st.sets(st.sampled_from([t.name for t in TABLES]), min_size=1))
def test_deriving_some_tables_gives_those_rows_of_deriving_them_all(streams, tables) -> None:
    ((offender_id, events),) = streams
    history = History.build(offender_id, events)
    everything = derive(history)
    some = derive(history, tables)
    for table in TABLES:
        expected = everything.rows(table.name) if table.name in tables else ()
        assert some.rows(table.name) == expected


def test_every_derived_row_is_its_tables_row_type_with_exactly_its_columns() -> None:
    # Rows are made with tuple.__new__ for speed, which checks neither the type nor the
    # number of values: a field added to a row type and not to derive must fail here.
    seen: set[str] = set()
    for offender_id, events in itertools.groupby(generate(60, seed=3), lambda e: e.offender_id):
        facts = derive(History.build(offender_id, list(events)))
        for table in TABLES:
            for row in facts.rows(table.name):
                assert type(row) is table.row, table.name
                assert len(row) == len(table.names), table.name
                seen.add(table.name)
    assert seen >= {t.name for t in TABLES} - {"quality_issues", "unreadable_events"}


def test_a_store_locked_by_a_writer_is_folded_instead_of_refreshed(tmp_path: Path) -> None:
    path = str(tmp_path / "j.db")
    with SQLiteStore(path) as store:
        store.append(list(generate(20, seed=11)))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of an import
    try:
        from_tables, folded = _both_ways(path, Window(), None)
        assert from_tables == folded
        with SQLiteStore(path) as store:
            assert not status(store).current
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# --- warrants, recalls and risk: the tables the warrants and IOM views read --------------


def refreshed(path: Path, offenders: int, seed: int) -> None:
    """A store of a synthetic cohort, its tables up to date."""
    with SQLiteStore(path) as store:
        store.append(list(generate(offenders, seed=seed)))
        refresh_facts(store)


def test_warrants_recalls_and_risk_tables_answer_plain_sql(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    refreshed(path, 120, 12)
    db = sqlite3.connect(path)
    start, day = "2012-01-01", "2014-12-31"
    window = Window(dt.date(2012, 1, 1), dt.date(2014, 12, 31))
    rule = attrs.evolve(LONDON, threshold=0.5, lower_threshold=0.4)
    iom = IomView(rule)
    report = compute_store(str(path), window=window, views=["warrants", iom])
    warrants = report["warrants"]
    # Outstanding on a day: issued by then, neither executed nor withdrawn by then.
    outstanding = db.execute(
        """
        SELECT kind || '/' || COALESCE(category, 'none'), COUNT(*) FROM warrants
        WHERE issued_date <= :day
          AND (executed_date IS NULL OR executed_date > :day)
          AND (withdrawn_date IS NULL OR withdrawn_date > :day)
        GROUP BY 1 ORDER BY 1
        """,
        {"day": day},
    ).fetchall()
    assert dict(outstanding) == warrants.outstanding
    executed = db.execute(
        """
        SELECT COALESCE(category, 'none'), COUNT(*),
               SUM(julianday(executed_date) - julianday(issued_date)
                   <= CASE category WHEN 'A' THEN 14 WHEN 'B' THEN 21 WHEN 'C' THEN 28 END)
        FROM warrants
        WHERE issued_date BETWEEN :start AND :day AND executed_date >= issued_date
        GROUP BY 1 ORDER BY 1
        """,
        {"start": start, "day": day},
    ).fetchall()
    assert executed
    assert [(c, n, on_time or 0) for c, n, on_time in executed] == [
        (c, t.executed, t.on_time) for c, t in warrants.executed.items()
    ]
    (waiting,) = db.execute(
        "SELECT COUNT(*) FROM recalls WHERE recall_date BETWEEN ? AND ? AND returned_date IS NULL",
        (start, day),
    ).fetchone()
    assert waiting == warrants.recalls_outstanding
    # The latest supplied score on the selection day: at the threshold (as the whole
    # percentage it is shown as) it selects alone.
    high = db.execute(
        """
        SELECT r.offender_id FROM risk_assessments AS r
        WHERE r.date <= :day AND CAST(r.score_2y * 100 + 0.5 AS INTEGER) >= 50 AND r.seq = (
            SELECT MAX(seq) FROM risk_assessments WHERE offender_id = r.offender_id
            AND date <= :day)
        ORDER BY 1
        """,
        {"day": day},
    ).fetchall()
    assert high
    cohort = report["iom"]
    assert [oid for (oid,) in high] == [
        s.offender_id for s in cohort.selected if s.source.startswith("assessed") and not s.recent
    ]


def test_warrants_and_iom_are_answered_from_the_tables_without_reading_the_events(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "j.db")
    with SQLiteStore(path) as store:
        store.append(list(generate(60, seed=13)))
    window = Window(dt.date(2013, 1, 1), dt.date(2014, 12, 31))
    names = ["warrants", "iom"]
    from_tables, folded = _both_ways(path, window, None, names)
    assert from_tables == folded
    assert from_tables["iom"]["size"] > 0
    db = sqlite3.connect(path)
    with db:  # every payload unreadable: only the fact tables can answer now
        db.execute("UPDATE events SET payload = 'not an event'")
    db.close()
    assert compute_store(path, window=window, views=names).to_json() == from_tables
    # The log itself gives nothing now: a fold skips every row it cannot read back.
    emptied = _fold_store(path, window=window, as_of=None, views=resolve_views(names), jobs=1)
    assert emptied.offenders == 0


def _left_by_an_earlier_layout(path: Path, *statements: str) -> dict[str, list[tuple[Any, ...]]]:
    """A store of 30 offenders, refreshed, then changed by ``statements`` and marked as
    refreshed by the facts' previous layout; what its fact tables held before the change."""
    refreshed(path, 30, 14)
    with SQLiteStore(path) as store:
        expected = dump(store)
    db = sqlite3.connect(path)
    with db:
        for statement in statements:
            db.execute(statement)
        db.execute("UPDATE facts_checkpoint SET schema_version = schema_version - 1")
    db.close()
    return expected


def test_facts_made_before_the_warrant_and_risk_tables_are_derived_again(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    expected = _left_by_an_earlier_layout(
        path, *(f"DROP TABLE {name}" for name in ("warrants", "recalls", "risk_assessments"))
    )
    with SQLiteStore(path) as store:
        assert not status(store).current
    report = compute_store(str(path), views=["warrants", "iom"])
    assert report["iom"].considered == 30
    with SQLiteStore(path) as store:
        assert status(store).current
        assert dump(store) == expected


def test_the_index_of_effective_events_by_type_goes_when_the_facts_are_derived_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    expected = _left_by_an_earlier_layout(
        path, "CREATE INDEX effective_events_by_type ON effective_events (type)"
    )
    with SQLiteStore(path) as store:
        assert not status(store).current
        refresh_facts(store)
        assert status(store).current
        assert _indexes(store) >= INDEXES
        assert "effective_events_by_type" not in _indexes(store)
        assert dump(store) == expected


def test_outstanding_warrants_and_iom_selection_are_judged_on_the_as_of_day(
    tmp_path: Path,
) -> None:
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", "1980-01-01", recorded_at="2010-01-01T12:00:00+00:00")
    w = j.warrant("2014-01-01", "breach", "B", recorded_at="2014-01-01T12:00:00+00:00")
    j.execute_warrant("2014-03-01", w, recorded_at="2014-03-01T12:00:00+00:00")
    j.risk("2014-02-01", 0.8, recorded_at="2014-02-01T12:00:00+00:00")
    j.risk("2014-04-01", 0.3, recorded_at="2014-04-01T12:00:00+00:00")
    path = str(tmp_path / "j.db")
    with SQLiteStore(path) as store:
        store.append(j.events)
    names = ["warrants", "iom"]
    for as_of, outstanding, selected in [
        (dt.date(2014, 2, 15), {"breach/B": 1}, ("O1",)),
        (None, {}, ()),
    ]:
        folded = compute([("O1", j.events)], as_of=as_of, views=names)
        stored = compute_store(path, as_of=as_of, views=names)
        assert stored.to_json() == folded.to_json()
        assert stored["warrants"].outstanding == outstanding
        assert stored["iom"].offender_ids == selected
