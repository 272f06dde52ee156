"""Facts and views follow persons: agencies' records linked by the truth count as one source.

A synthetic population split into the agencies' extracts (the split ``agencies`` makes),
each record linked to its true person, answers every view as the single-source store of
the same events does; a merge or a split re-derives only the persons it touches.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import offender_journey.facts  # noqa: F401 - the fact tables follow privacy changes
from decisions import linked
from offender_journey import agencies
from offender_journey.cli import main
from offender_journey.codec import Codec
from offender_journey.events import RecordLinked, record_key
from offender_journey.facts import refresh_facts
from offender_journey.facts.refresh import iter_rows
from offender_journey.linkage.decisions import parse_record
from offender_journey.metrics import compute_store
from offender_journey.store import SQLiteStore
from offender_journey.synth import generate

ALL = ["conversion", "days_by_sentencing_occasion", "reoffending", "quality"]
ALL += ["history_bands", "iom", "cost", "warrants"]


def _single(n: int, seed: int, population: agencies.Population) -> list[Any]:
    """The population's events under one source, as the agencies hold them between them:
    a person no agency saw is left out, and so is the profile the police never took."""
    seen = {r.person for r in population.records}
    police = {r.person for r in population.records if r.source == "police"}
    return [
        e
        for e in generate(n, seed=seed)
        if e.offender_id in seen and (e.TYPE != "offender_profile" or e.offender_id in police)
    ]


#: Identity records without faults: the quality report then flags nothing of linkage's.
_FAULTLESS = agencies.ErrorRates(**{f.name: 0.0 for f in attrs.fields(agencies.ErrorRates)})


def _split(n: int, seed: int) -> agencies.Population:
    return agencies.build(n, seed=seed, errors=_FAULTLESS)


def _links(records: Iterable[tuple[str, str]], at: dt.datetime) -> list[RecordLinked]:
    """A ``record_linked`` per record ``(key, person)``, all at ``at``."""
    out = []
    for number, (key, person) in enumerate(records):
        source, offender_id = parse_record(key)
        event_id = f"link-{at:%Y%m%dT%H%M%S%f}-{number}"
        out.append(linked(offender_id, person, source, at=at, event_id=event_id))
    return out


def _truth(population: agencies.Population) -> list[tuple[str, str]]:
    return [(record_key(r.source, r.offender_id), r.person) for r in population.records]


def _same_views(single: dict[str, Any], linked: dict[str, Any]) -> None:
    """Every view's numbers agree (a fact two agencies report is one fact)."""
    assert linked["offenders"] == single["offenders"]
    for name in ALL:
        assert linked[name] == single[name], name


def _stores(tmp: Path, n: int, seed: int) -> tuple[str, str, agencies.Population]:
    population = _split(n, seed)
    one, many = str(tmp / "one.db"), str(tmp / "many.db")
    with SQLiteStore(one) as store:
        store.append(_single(n, seed, population))
    codec = Codec()
    with SQLiteStore(many) as store:
        store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
    return one, many, population


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(n=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_agencies_linked_by_the_truth_count_as_the_single_source(
    tmp_path_factory: pytest.TempPathFactory, n: int, seed: int
) -> None:
    one, many, population = _stores(tmp_path_factory.mktemp("persons"), n, seed)
    by_record = compute_store(many, views=ALL).to_json()
    assert by_record["offenders"] == len(population.records)
    now = dt.datetime.now(dt.UTC)
    with SQLiteStore(many) as store:
        store.append(_links(_truth(population), now))
    single = compute_store(one, views=ALL).to_json()
    linked = compute_store(many, views=ALL).to_json()
    _same_views(single, linked)
    # every event counted once; the agencies' identity records come on top
    identities = sum(e["type"] == "person_recorded" for r in population.records for e in r.events)
    assert linked["events"] == single["events"] + identities
    # folded afresh (as of a moment after the links): the same numbers as the tables give
    later = now + dt.timedelta(seconds=1)
    _same_views(single, compute_store(many, views=ALL, as_of=later, jobs=2).to_json())
    # per record, links aside: as before they were linked
    apart = compute_store(many, views=ALL, by_record=True).to_json()
    assert apart["offenders"] == len(population.records)
    assert {k: v for k, v in apart.items() if k not in ("events",)} == {
        k: v for k, v in by_record.items() if k not in ("events",)
    }
    # as of before the links: the records as they stood then, each its own person
    before = compute_store(many, views=ALL, as_of=now - dt.timedelta(microseconds=1)).to_json()
    assert before["offenders"] == len(population.records)
    assert before["conversion"] == by_record["conversion"]


def test_the_commands_count_persons_once_the_agencies_records_are_joined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    n, seed = 12, 5
    one, many, population = _stores(tmp_path, n, seed)
    joins = tmp_path / "joins.csv"
    by_person: dict[str, list[str]] = {}
    for key, person in _truth(population):
        by_person.setdefault(person, []).append(key)
    lines = ["a,b,decision,reason"]
    for keys in by_person.values():
        lines += [f"{a},{b},join,the truth" for a, b in itertools.pairwise(keys)]
    joins.write_text("\n".join(lines) + "\n", encoding="utf-8")

    said: list[str] = []

    def run(*args: str) -> Any:
        assert main(list(args)) == 0
        out, err = capsys.readouterr()
        said.append(err)
        return json.loads(out)

    per_record = run("metrics", "--all", "--json", "--store", many)
    assert per_record["offenders"] == len(population.records)
    run("link", "--joins", str(joins), "--json", "--store", many)
    single = run("metrics", "--all", "--json", "--store", one)
    linked = run("metrics", "--all", "--json", "--store", many)
    assert linked["offenders"] == single["offenders"] == len(by_person)
    for name in ALL:  # the IOM cohort names persons by their ids: the same people
        if name == "iom":
            assert linked[name]["size"] == single[name]["size"]
            assert linked[name]["considered"] == single[name]["considered"]
        else:
            assert linked[name] == single[name], name
    assert (
        run("metrics", "--all", "--json", "--by-record", "--store", many)["conversion"]
        == (per_record["conversion"])
    )
    listed = run("offenders", "--json", "--store", many)
    assert sorted(r for p in listed for r in p["records"]) == sorted(
        k for k, _ in _truth(population)
    )
    assert len(listed) == len(by_person)
    # a record's timeline is its person's, from every record, and it says so
    person = next(p for p in listed if len(p["records"]) > 1)
    record = person["records"][0]
    timeline = run("timeline", record, "--json", "--store", many)
    assert timeline["offender_id"] == person["person_id"]
    assert {record_key(e.get("source"), e["offender_id"]) for e in timeline["events"]} <= set(
        person["records"]
    )
    assert f"{record} belongs to person {person['person_id']}" in said[-1]
    assert run("timeline", person["person_id"], "--json", "--store", many) == timeline


# --- a merge and a split re-derive only the persons they touch --------------------------


def _rows(store: Any, *persons: str) -> int:
    """Fact rows of every table held by ``persons``."""
    from offender_journey.facts.schema import POSTGRESQL, SQLITE, TABLES

    dialect = SQLITE if isinstance(store, SQLiteStore) else POSTGRESQL
    if isinstance(store, SQLiteStore):
        connection = store.connection
        return sum(
            1
            for table in TABLES
            for row in iter_rows(connection, table.name, dialect=dialect)
            if row[0] in persons
        )
    with store.borrow() as conn:
        return sum(
            1
            for table in TABLES
            for row in iter_rows(conn, table.name, dialect=dialect)
            if row[0] in persons
        )


def _merge_and_split(store: Any, rewritten: Callable[[Callable[[], Any], int], int]) -> None:
    """Records of two persons merged into one, then split again, counting rows rewritten.

    ``rewritten(refresh, old)`` runs the refresh and returns how many fact rows it wrote
    (deleted and inserted), given the ``old`` rows of the persons it should touch; a
    backend that can count only the rows inserted returns those.
    """
    population = _split(4, 7)
    codec = Codec()
    store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
    refresh_facts(store)
    records = sorted(k for k, _ in _truth(population))
    first, second = records[:2]
    everyone = _rows(store, *records)
    old = _rows(store, first, second)
    store.append(_links([(first, "P000001"), (second, "P000001")], dt.datetime.now(dt.UTC)))
    count = rewritten(lambda: refresh_facts(store), old)
    merged = _rows(store, "P000001")
    assert merged > 0
    assert _rows(store, first, second) == 0
    assert count == merged + old  # the merged person's rows and theirs before: no others
    assert _rows(store, *records[2:]) == everyone - old  # everyone else as they were
    store.append(_links([(second, "P000002")], dt.datetime.now(dt.UTC)))
    count = rewritten(lambda: refresh_facts(store), merged)
    assert count == _rows(store, "P000001", "P000002") + merged
    assert _rows(store, *records[2:]) == everyone - old


def test_a_merge_and_a_split_rewrite_only_their_persons_rows_on_sqlite(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:

        def rewritten(refresh: Callable[[], Any], old: int) -> int:
            before = store.connection.total_changes
            refresh()
            return store.connection.total_changes - before - 1  # less the checkpoint

        _merge_and_split(store, rewritten)


def test_a_merge_and_a_split_rewrite_only_their_persons_rows_on_postgresql(
    postgres_url: str,
) -> None:
    from offender_journey.facts.schema import TABLES
    from offender_journey.store.postgres import PostgresStore

    store = PostgresStore(postgres_url)
    try:

        def rewritten(refresh: Callable[[], Any], old: int) -> int:
            refresh()
            # rows written by the refresh's transaction carry its id, as its checkpoint does
            with store.borrow() as conn:
                return (
                    sum(
                        conn.execute(
                            f"SELECT COUNT(*) FROM {t.name} WHERE xmin::text = "
                            "(SELECT xmin::text FROM facts_checkpoint WHERE name = 'facts')"
                        ).fetchone()[0]
                        for t in TABLES
                    )
                    + old
                )  # the rows deleted are gone: count them as the old rows

        _merge_and_split(store, rewritten)
    finally:
        store.close()


def test_erasing_or_restricting_a_linked_record_takes_it_out_of_its_person(
    tmp_path: Path,
) -> None:
    population = _split(3, 11)
    codec = Codec()
    truth = _truth(population)
    person, records = next(
        (p, [k for k, q in truth if q == p])
        for p in sorted({p for _, p in truth})
        if sum(q == p for _, q in truth) > 1
    )
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
        store.append(_links(truth, dt.datetime.now(dt.UTC)))
        refresh_facts(store)
        held = {row[1] for row in iter_rows(store.connection, "person_records") if row[0] == person}
        assert held == set(records)
        whole = _rows(store, person)
        store.restrict(records[0], reason="a test")
        kept = {row[1] for row in iter_rows(store.connection, "person_records") if row[0] == person}
        assert kept == set(records[1:])
        assert 0 < _rows(store, person) < whole
        store.lift_restriction(records[0])
        assert _rows(store, person) == whole
        store.erase(records[0], reason="a test", key=b"k" * 32)
        kept = {row[1] for row in iter_rows(store.connection, "person_records") if row[0] == person}
        assert kept == set(records[1:])
        assert 0 < _rows(store, person) < whole


def test_as_of_a_time_uses_the_links_as_they_stood_then(tmp_path: Path) -> None:
    from offender_journey.metrics import compute_persons

    population = _split(40, 3)
    truth = _truth(population)
    codec = Codec()
    path = str(tmp_path / "s.db")
    with SQLiteStore(path) as store:
        store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
        store.append(_links(truth, dt.datetime.now(dt.UTC)))
    then = dt.datetime.now(dt.UTC)
    quarter = compute_store(path, views=ALL).to_json()
    # a later run splits two persons' records off and merges them into one person
    people = sorted({p for _, p in truth})
    moved = [next(k for k, p in truth if p == person) for person in people[:2]]
    with SQLiteStore(path) as store:
        store.append(_links([(k, "P999999") for k in moved], dt.datetime.now(dt.UTC)))
    now = compute_store(path, views=ALL).to_json()
    assert now["offenders"] == quarter["offenders"] + 1
    # as of then: the stored persons touched since are derived as linked then
    again = compute_store(path, views=ALL, as_of=then).to_json()
    assert {k: v for k, v in again.items() if k != "as_of"} == {
        k: v for k, v in quarter.items() if k != "as_of"
    }
    with SQLiteStore(path) as store:
        folded = compute_persons(store, views=ALL, as_of=then).to_json()
    assert folded == again


def test_postgresql_counts_the_same_persons_as_sqlite(tmp_path: Path, postgres_url: str) -> None:
    from offender_journey.store.postgres import PostgresStore

    population = _split(8, 21)
    codec = Codec()
    events = [codec.decode(dict(e)) for r in population.records for e in r.events]
    links = _links(_truth(population), dt.datetime.now(dt.UTC))
    path = str(tmp_path / "s.db")
    with SQLiteStore(path) as store:
        store.append(events)
        store.append(links)
    store = PostgresStore(postgres_url)
    try:
        store.append(events)
        store.append(links)
    finally:
        store.close()
    assert (
        compute_store(postgres_url, views=ALL).to_json() == compute_store(path, views=ALL).to_json()
    )
    people = compute_store(postgres_url, views=["conversion"])
    assert people.offenders == len({p for _, p in _truth(population)})


def test_new_rules_re_derive_the_linked_persons_and_no_one_else(tmp_path: Path) -> None:
    from offender_journey.persons import Rules, write_rules

    population = _split(6, 13)
    truth = _truth(population)
    codec = Codec()
    linked = {p for p in {p for _, p in truth} if sum(q == p for _, q in truth) > 1}
    alone = [k for k, p in truth if p not in linked]
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
        store.append(_links([(k, p) for k, p in truth if p in linked], dt.datetime.now(dt.UTC)))
        refresh_facts(store)
        assert refresh_facts(store).offenders == 0  # up to date
        write_rules(store, Rules().with_precedence("outcome", ["police", "courts"]))
        assert refresh_facts(store).offenders == len(linked)
        assert refresh_facts(store).offenders == 0
        write_rules(store, None)  # back to the defaults
        assert refresh_facts(store).offenders == len(linked)
        assert {row[0] for row in iter_rows(store.connection, "offenders")} == linked | set(alone)


def test_a_reader_role_asking_before_a_relink_is_told_to_ask_later(
    postgres_url: str,
    postgres_login: Callable[[str, str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from offender_journey.errors import StoreError
    from offender_journey.store.postgres import PostgresStore

    population = _split(4, 17)
    codec = Codec()
    truth = _truth(population)
    with PostgresStore(postgres_url) as store:
        store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
        store.append(_links(truth, dt.datetime.now(dt.UTC)))
        then = dt.datetime.now(dt.UTC)
        store.append(_links([(truth[0][0], "P999999")], dt.datetime.now(dt.UTC)))
        refresh_facts(store)
    assert main(["pg-roles", "--store", postgres_url]) == 0
    analyst = postgres_login(postgres_url, "reader")
    now = compute_store(analyst, views=["conversion"])
    assert now.offenders == len({p for _, p in truth}) + 1
    with pytest.raises(StoreError, match="linked after"):
        compute_store(analyst, views=["conversion"], as_of=then)
    capsys.readouterr()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moves=st.lists(
        st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["P1", "P2", "P3"])), max_size=4),
        min_size=1,
        max_size=4,
    )
)
def test_facts_kept_through_merges_and_splits_equal_facts_derived_afresh(
    tmp_path_factory: pytest.TempPathFactory, moves: list[list[tuple[int, str]]]
) -> None:
    """Refreshed after each run of link decisions, the tables hold what one refresh of
    the final log derives: no person left behind, none re-derived from stale records."""
    import shutil

    from offender_journey.facts.schema import TABLES

    work = tmp_path_factory.mktemp("moves")
    population = _split(4, 29)
    records = sorted(k for k, _ in _truth(population))
    codec = Codec()
    with SQLiteStore(work / "kept.db") as store:
        store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
        refresh_facts(store)
        for run in moves:
            links = [(records[i % len(records)], person) for i, person in run]
            store.append(_links(dict(links).items(), dt.datetime.now(dt.UTC)))
            refresh_facts(store)
        kept = {t.name: list(iter_rows(store.connection, t.name)) for t in TABLES}
    shutil.copy(work / "kept.db", work / "afresh.db")
    with SQLiteStore(work / "afresh.db") as store:
        for table in TABLES:
            store.connection.execute(f"DELETE FROM {table.name}")
        store.connection.execute("DELETE FROM facts_checkpoint")
        store.connection.commit()
        refresh_facts(store)
        afresh = {t.name: list(iter_rows(store.connection, t.name)) for t in TABLES}
    assert kept == afresh


def test_an_export_carries_person_ids_hashed_when_pseudonymised(tmp_path: Path) -> None:
    from offender_journey.io.export import export
    from offender_journey.io.pseudonymise import Pseudonymiser

    population = _split(3, 31)
    truth = _truth(population)
    codec = Codec()
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append([codec.decode(dict(e)) for r in population.records for e in r.events])
        store.append(_links(truth, dt.datetime.now(dt.UTC)))
        export(store, tmp_path / "plain", format="jsonl")
        pseudonymiser = Pseudonymiser(b"k" * 32)
        export(store, tmp_path / "hashed", format="jsonl", pseudonymiser=pseudonymiser)

    def rows(folder: str, table: str) -> list[dict[str, Any]]:
        text = (tmp_path / folder / f"{table}.jsonl").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines()]

    people = {p for _, p in truth}
    assert {r["offender_id"] for r in rows("plain", "offenders")} == people
    assert sorted((r["offender_id"], r["record"]) for r in rows("plain", "person_records")) == (
        sorted((p, k) for k, p in truth)
    )
    hashed = rows("hashed", "person_records")
    assert {r["offender_id"] for r in hashed} == {pseudonymiser.offender(p) for p in people}
    events = {(e["source"], e["offender_id"]) for e in rows("hashed", "events")}
    assert {tuple(parse_record(r["record"])) for r in hashed} <= events  # they join up
    assert not {r["record"] for r in hashed} & {k for k, _ in truth}
