"""A PostgreSQL server for the whole session (started on first use), and fresh schemas in it."""

from collections.abc import Callable, Iterator
from itertools import count
from urllib.parse import quote

import psycopg
import pytest

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
