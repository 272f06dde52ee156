import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest

from decisions import linked
from offender_journey.builder import JourneyBuilder
from offender_journey.codec import Codec
from offender_journey.errors import ConcurrencyError, StoreError
from offender_journey.events import Arrest
from offender_journey.facts import POSTGRESQL, refresh_facts
from offender_journey.facts.linked import linked_persons
from offender_journey.facts.refresh import iter_rows
from offender_journey.io.importing import BATCH_SIZE, batch_size_for
from offender_journey.store import EventStore, open_store
from offender_journey.store.postgres import PostgresStore
from offender_journey.testing import StoreContract

_CODEC = Codec()  # made once: building the converter takes a while


class TestPostgresStore(StoreContract):
    new_url: Callable[[], str]
    opened: list[PostgresStore]

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _urls(cls, new_postgres_url: Callable[[], str]) -> Iterator[None]:
        cls.new_url, cls.opened = staticmethod(new_postgres_url), []  # type: ignore[assignment]
        yield
        for store in cls.opened:
            store.close()

    def make_store(self) -> EventStore:
        self.opened.append(PostgresStore(self.new_url(), _CODEC))
        return self.opened[-1]


# --- what PostgreSQL adds: one store for many writers, followed live ---------------------------


def _arrests(offender_id: str, n: int, start: int = 0) -> list[Arrest]:
    return [
        Arrest(
            event_id=f"{offender_id}-{i}",
            offender_id=offender_id,
            date=dt.date(2014, 1, 1) + dt.timedelta(days=i),
            arrest_id=f"a{i}",
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    with PostgresStore(postgres_url, _CODEC) as opened:
        yield opened


def test_open_store_takes_a_postgresql_url(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        assert isinstance(store, PostgresStore)
        store.append(_arrests("O1", 2))
    with open_store(postgres_url) as again:
        assert [e.event_id for e in again.read_stream("O1")] == ["O1-0", "O1-1"]


def test_a_file_is_imported_in_the_usual_batches(store: PostgresStore, tmp_path: Path) -> None:
    # Row-logged commits cost little, and large transactions would hold the append lock
    # longer against other writers.
    (tmp_path / "e.jsonl").write_bytes(b"")
    with open(tmp_path / "e.jsonl", "rb") as file:
        assert batch_size_for(file, store) == BATCH_SIZE


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot open") as caught:
        PostgresStore("postgresql://someone:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    assert "secret" not in str(caught.value)


def test_a_store_from_a_newer_release_is_refused(store: PostgresStore) -> None:
    with store.borrow() as conn:
        conn.execute("UPDATE store_meta SET value = '99'")
    with pytest.raises(StoreError, match="format 99"):
        PostgresStore(store.url, _CODEC)


def test_a_format_1_store_gets_sources_and_keeps_its_events(
    store: PostgresStore, as_format_2: Callable[[psycopg.Connection[Any]], None]
) -> None:
    """A store written before sources: its events are of the default source, unchanged."""
    store.append(_arrests("O1", 2))
    with store.borrow() as conn:  # as the release before sources left it
        as_format_2(conn)
        conn.execute("ALTER TABLE events DROP CONSTRAINT events_source_event_id_key")
        conn.execute("ALTER TABLE events DROP COLUMN source")
        conn.execute("ALTER TABLE events ADD CONSTRAINT events_event_id_key UNIQUE (event_id)")
        conn.execute("UPDATE store_meta SET value = '1'")
    with PostgresStore(store.url, _CODEC) as again:
        assert again.read_stream("O1") == store.read_stream("O1")
        assert again.append(_arrests("O1", 2)).duplicates == ("O1-0", "O1-1")
        police = [attrs.evolve(a, source="police") for a in _arrests("O1", 1)]
        assert again.append(police).stored == ("O1-0",)  # the same id, another source
        assert [e.source for e in again.read_stream("police:O1")] == ["police"]
        with again.borrow() as conn:
            assert conn.execute(
                "SELECT value FROM store_meta WHERE key = 'format_version'"
            ).fetchone() == ("3",)


def test_ids_with_any_characters_keep_their_order(store: PostgresStore) -> None:
    ids = ["a\x00b", "a", "a\x01", "a\x00", "\x01\x02", "b", "a\x02"]
    store.append([_arrests(o, 1)[0] for o in ids])
    assert list(store.offenders()) == sorted(ids)
    assert [o for o, _ in store.read_all()] == sorted(ids)
    assert [o for o, _ in store.read_all(offenders=("a\x00", "a\x02"))] == [
        "a\x00",
        "a\x00b",
        "a\x01",
    ]
    assert store.read_stream("a\x00b")[0].offender_id == "a\x00b"
    assert store.append([_arrests(o, 1)[0] for o in ids]).duplicates == tuple(f"{o}-0" for o in ids)


def test_read_all_pages_through_long_streams(store: PostgresStore) -> None:
    store.append(_arrests("A", 3) + _arrests("B", 7000) + _arrests("C", 2))
    assert [(o, len(evs)) for o, evs in store.read_all()] == [("A", 3), ("B", 7000), ("C", 2)]
    assert [e.event_id for e in store.read_stream("B")][-1] == "B-6999"


def test_the_server_refuses_to_rewrite_history(store: PostgresStore, postgres_url: str) -> None:
    store.append(_arrests("O1", 1))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE someone_else")
        conn.execute(
            "GRANT USAGE ON SCHEMA " + postgres_url.rsplit("%3D", 1)[1] + " TO someone_else"
        )  # type: ignore[operator]
        conn.execute("GRANT ALL ON events TO someone_else")
        conn.execute("SET ROLE someone_else")
        for statement in ("DELETE FROM events", "UPDATE events SET type = 'x'", "TRUNCATE events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)  # type: ignore[arg-type]
        conn.execute("RESET ROLE")
        conn.execute("DROP OWNED BY someone_else")
        conn.execute("DROP ROLE someone_else")
    assert store.count_events() == 1


def test_positions_follow_commit_order_across_threads(store: PostgresStore) -> None:
    def write(offender_id: str) -> None:
        for i in range(0, 60, 3):
            store.append(_arrests(offender_id, 3, start=i))

    threads = [threading.Thread(target=write, args=(f"T{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen = store.read_after(0, limit=10_000)
    assert [p for p, _ in seen] == list(range(1, 241))
    for n in range(4):
        mine = [e.event_id for _, e in seen if e.offender_id == f"T{n}"]
        assert mine == [f"T{n}-{i}" for i in range(60)]
    assert store.head() == 240
    assert store.touched_after(200) == sorted({e.offender_id for _, e in seen[200:]})


def test_follow_wakes_on_each_append_and_stops_when_asked(store: PostgresStore) -> None:
    store.append(_arrests("O1", 2))
    stop = threading.Event()
    got: list[tuple[int, str]] = []

    def follow() -> None:
        for position, event in store.follow(after=1, stop=stop):
            got.append((position, event.event_id))
            if len(got) == 4:
                stop.set()

    follower = threading.Thread(target=follow)
    follower.start()
    for i in range(2, 5):
        store.append(_arrests("O1", 1, start=i))
    follower.join(timeout=30)
    assert not follower.is_alive()
    assert got == [(2, "O1-1"), (3, "O1-2"), (4, "O1-3"), (5, "O1-4")]


def test_follow_ends_after_the_idle_timeout(store: PostgresStore) -> None:
    store.append(_arrests("O1", 3))
    assert [p for p, _ in store.follow(after=0, timeout=0.2, batch=2)] == [1, 2, 3]
    assert list(store.follow(after=3, timeout=0.1)) == []


def test_a_failed_append_sends_no_notification(store: PostgresStore) -> None:
    with psycopg.connect(store.url, autocommit=True) as listener:
        listener.execute("LISTEN offender_journey_events")
        store.append(_arrests("O1", 1))
        with pytest.raises(ConcurrencyError):
            store.append(_arrests("O1", 1, start=1), expected_versions={"O1": 0})
        payloads = [n.payload for n in listener.notifies(timeout=0.5)]
    assert payloads == ["1"]


def test_any_characters_reach_the_fact_tables(store: PostgresStore) -> None:
    j = JourneyBuilder("O\x00\x01")
    charge = j.charge("2014-01-02", "shoplifting", offence_date="2014-01-01")
    j.convict("2014-02-01", charge)
    store.append(j.events)
    refresh_facts(store)
    with store.borrow() as conn:
        rows = list(
            iter_rows(conn, "charges", columns=["offender_id", "outcome"], dialect=POSTGRESQL)
        )
    assert rows == [("O\x00\x01", "convicted")]
    store.append([_arrests("O\x00\x01", 1)[0]])
    assert refresh_facts(store).offenders == 1


def test_facts_made_before_the_warrant_and_risk_tables_are_derived_again(
    store: PostgresStore,
) -> None:
    j = JourneyBuilder("O1")
    j.execute_warrant("2014-01-20", j.warrant("2014-01-02", "breach", "A"))
    j.risk("2014-02-01", 0.8)
    store.append(j.events)
    refresh_facts(store)
    with store.borrow() as conn:  # as the previous version of the library left them
        for name in ("warrants", "recalls", "risk_assessments"):
            conn.execute(f"DROP TABLE {name}")  # type: ignore[arg-type]
        conn.execute("UPDATE facts_checkpoint SET schema_version = schema_version - 1")
        conn.commit()
    assert refresh_facts(store).offenders == 1
    with store.borrow() as conn:
        warrants = list(
            iter_rows(
                conn, "warrants", columns=["issued_date", "executed_date"], dialect=POSTGRESQL
            )
        )
        scores = list(iter_rows(conn, "risk_assessments", columns=["score_2y"], dialect=POSTGRESQL))
    assert warrants == [(dt.date(2014, 1, 2), dt.date(2014, 1, 20))]
    assert scores == [(0.8,)]


# --- the server refuses what the library would ------------------------------------------------

_RAW = (
    "INSERT INTO events (offender_id, version, event_id, type, date, recorded_at,"
    " recorded_at_given, payload, position, source) VALUES (%s, 1, %s, 'arrest', %s,"
    " 1700000000000000, false, %s, %s, '')"
)


def _payload(event_id: str, day: str) -> str:
    return (
        f'{{"type":"arrest","event_id":"{event_id}","offender_id":"R1",'
        f'"date":"{day}","arrest_id":"a1"}}'
    )


@pytest.fixture
def writer(store: PostgresStore, postgres_login: Callable[[str, str], str]) -> str:
    """The URL of a login in the writer group role (``pg-roles`` run on the store first)."""
    from offender_journey.facts.postgres import create_roles

    create_roles(store)
    return postgres_login(store.url, "writer")


def test_a_writer_may_not_insert_rows_of_its_own(store: PostgresStore, writer: str) -> None:
    """Not a row dated 9999-12-31, not a payload that is not JSON, not a position it picks."""
    store.append(_arrests("O1", 2))
    with psycopg.connect(writer, autocommit=True) as conn:
        for day, payload, position in [
            ("9999-12-31", _payload("r1", "9999-12-31"), 3),
            ("2014-01-01", "not JSON", 3),
            ("2014-01-01", _payload("r3", "2014-01-01"), 1_000_000),
        ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(_RAW, ("R1", "r", day, payload, position))
    with PostgresStore(writer, _CODEC) as appending:  # the library's appends still work
        assert appending.append(_arrests("O2", 2)).stored == ("O2-0", "O2-1")
    assert [p for p, _ in store.read_after(0)] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("day", "payload", "refused_by"),
    [
        ("9999-12-31", _payload("r1", "9999-12-31"), "events_date_plausible"),
        ("2014-01-01", _payload("r1", "9999-12-31"), "events_payload_plausible"),
        ("2014-01-01", "not JSON", "events_payload_plausible"),
        ("2014-01-01", "[1, 2]", "events_payload_plausible"),
        (
            "2014-01-01",
            _payload("r1", "2014-01-01").replace('"arrest"', '"charge"', 1),
            "events_payload_plausible",
        ),
    ],
)
def test_the_server_checks_every_row_whoever_writes_it(
    store: PostgresStore, day: str, payload: str, refused_by: str
) -> None:
    """The checks are constraints on the table: the owner's own INSERT meets them too."""
    with store.borrow() as conn, pytest.raises(psycopg.errors.CheckViolation) as refused:
        conn.execute(_RAW, ("R1", "r1", day, payload, 1))
    assert refused.value.diag.constraint_name == refused_by


def test_the_append_function_numbers_rows_whatever_the_caller_says(
    store: PostgresStore, writer: str
) -> None:
    store.append(_arrests("O1", 2))
    with psycopg.connect(writer, autocommit=True) as conn:
        conn.execute(
            "SELECT events_append(%b::text[], %b::text[], %b::text[], %b::date[],"
            " %b::bigint[], %b::boolean[], %b::text[], %b::text[])",
            (
                ["O1"],
                ["O1-9"],
                ["arrest"],
                ["2014-02-01"],
                [1_700_000_000_000_000],
                [False],
                [_payload("O1-9", "2014-02-01")],
                [""],
            ),
        )
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "SELECT events_append(%b::text[], %b::text[], %b::text[], %b::date[],"
                " %b::bigint[], %b::boolean[], %b::text[], %b::text[])",
                (
                    ["O1"],
                    ["O1-8"],
                    ["arrest"],
                    ["9999-12-31"],
                    [1_700_000_000_000_000],
                    [False],
                    [_payload("O1-8", "9999-12-31")],
                    [""],
                ),
            )
    with store.borrow() as conn:
        rows = conn.execute("SELECT position, version FROM events WHERE event_id = 'O1-9'")
        assert rows.fetchall() == [(3, 3)]


def test_a_format_2_store_is_checked_from_its_owners_first_open(
    store: PostgresStore, writer: str, as_format_2: Callable[[psycopg.Connection[Any]], None]
) -> None:
    """Rows already stored stay (a bad one is skipped by reads); writers lose INSERT."""
    store.append(_arrests("O1", 2))
    with store.borrow() as conn:
        as_format_2(conn)
    with psycopg.connect(writer, autocommit=True) as conn:  # a raw row, before the upgrade
        conn.execute(_RAW, ("R1", "R1-0", "9999-12-31", _payload("R1-0", "9999-12-31"), 3))
    with pytest.raises(StoreError, match="cannot open"):
        PostgresStore(writer, _CODEC)  # only the owner may bring the store up to date
    with PostgresStore(store.url, _CODEC) as upgraded:
        assert [o for o, _ in upgraded.read_all()] == ["O1"]
        assert upgraded.read_stream("R1") == []
        assert [(u.position, u.event_id) for u in upgraded.skipped()] == [(3, "R1-0")]
        assert "date" in upgraded.skipped()[0].reason
    with (
        psycopg.connect(writer, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(_RAW, ("R2", "R2-0", "2014-01-01", _payload("R2-0", "2014-01-01"), 4))
    with PostgresStore(writer, _CODEC) as appending:  # given the function instead
        assert appending.append(_arrests("O2", 1)).stored == ("O2-0",)
        assert appending.head() == 4


def test_follow_passes_over_rows_it_cannot_read(store: PostgresStore) -> None:
    """Even a whole batch of them: the follower goes on to the events after."""
    store.append(_arrests("O1", 1))
    with store.borrow() as conn:  # the owner, bypassing the checks
        conn.execute("ALTER TABLE events DROP CONSTRAINT events_payload_plausible")
        for position in (2, 3):
            conn.execute(_RAW, (f"R{position}", f"r{position}", "2014-01-01", "not JSON", position))
    store.append(_arrests("O2", 1))
    seen = [(p, e.event_id) for p, e in store.follow(after=0, timeout=0.2, batch=1)]
    assert seen == [(1, "O1-0"), (4, "O2-0")]
    assert [u.position for u in store.skipped()] == [2, 3]


def _indexed(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT to_regclass('events_links')").fetchone() != (None,)


def test_link_decisions_are_indexed_once_the_owner_opens_the_store(
    store: PostgresStore, writer: str
) -> None:
    store.append([*_arrests("O1", 2), linked("A1", "P1"), linked("B1", "P1")])
    assert _indexed(store.url)
    with psycopg.connect(store.url, autocommit=True) as conn:
        conn.execute("DROP INDEX events_links")  # as an earlier release left the store
    with PostgresStore(writer, _CODEC) as writing:  # not the owner: read without it
        assert linked_persons(writing) == {"police:A1": "P1", "police:B1": "P1"}
    assert not _indexed(store.url)
    with PostgresStore(store.url, _CODEC) as owned:  # the owner's next opening makes it
        assert linked_persons(owned) == {"police:A1": "P1", "police:B1": "P1"}
    assert _indexed(store.url)
