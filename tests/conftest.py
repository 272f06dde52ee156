"""A PostgreSQL server for the whole session (started on first use), and fresh schemas in it."""

from collections.abc import Callable, Iterator
from itertools import count
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from offender_journey.store.postgres_server import TemporaryServer


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryServer]:
    """A throw-away cluster (initdb in a temporary directory, private port), deleted at the end."""
    with TemporaryServer() as server:
        yield server


@pytest.fixture(scope="session")
def new_postgres_url(postgres_server: TemporaryServer) -> Callable[[], str]:
    """Makes the URL of a new, empty schema: a store of its own, in milliseconds."""
    numbers = count(1)

    def make() -> str:
        name = f"s{next(numbers)}"
        with psycopg.connect(postgres_server.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")  # type: ignore[arg-type]
        return f"{postgres_server.url}?options={quote(f'-csearch_path={name}')}"

    return make


@pytest.fixture
def postgres_url(new_postgres_url: Callable[[], str]) -> str:
    """The URL of an empty store of its own."""
    return new_postgres_url()


_logins = count(1)


@pytest.fixture
def postgres_login(postgres_server: TemporaryServer) -> Iterator[Callable[[str, str], str]]:
    """Makes a login in one of the store's group roles (``writer``, ``follower`` or
    ``reader``; ``pg-roles`` run on the store first) and gives the store's ``url`` as that
    login. Roles belong to the whole server, not to a store's schema: each login has a name
    of its own and is dropped after the test, passed or failed, so none outlives its test."""
    made: list[str] = []

    def make(url: str, group: str) -> str:
        name = f"{group}_login{next(_logins)}"
        with psycopg.connect(postgres_server.url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                    sql.Identifier(name), sql.Identifier(f"offender_journey_{group}")
                )
            )
        made.append(name)
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{name}@{host}"))

    yield make
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        for name in made:
            admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _as_format_2(conn: psycopg.Connection[Any]) -> None:
    """Turn a store into what format 2 made: no checks, no append function, writers INSERT."""
    from offender_journey.store.postgres import _CHECK_NAMES

    drop = ", ".join(f"DROP CONSTRAINT {name}" for name in _CHECK_NAMES)
    conn.execute(f"ALTER TABLE events {drop}".encode())
    conn.execute("DROP FUNCTION events_append, events_payload_problem")
    conn.execute("DELETE FROM store_meta WHERE key = 'checks'")
    conn.execute("UPDATE store_meta SET value = '2' WHERE key = 'format_version'")
    if conn.execute("SELECT to_regrole('offender_journey_writer')").fetchone() != (None,):
        conn.execute("GRANT INSERT ON events TO offender_journey_writer")  # as pg-roles did


@pytest.fixture
def as_format_2() -> Callable[[psycopg.Connection[Any]], None]:
    """Turns a store (a connection of its owner) into what format 2 of the store made."""
    return _as_format_2
