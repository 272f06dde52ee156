"""The fact tables keep their promises on every backend that keeps them: SQLite and PostgreSQL."""

from collections.abc import Callable, Iterator

import pytest

from offender_journey.store import EventStore, SQLiteStore
from offender_journey.store.postgres import PostgresStore
from offender_journey.testing import FactsContract


class TestSQLiteFacts(FactsContract):
    def make_store(self) -> EventStore:
        return SQLiteStore(":memory:")


class TestPostgresFacts(FactsContract):
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
        self.opened.append(PostgresStore(self.new_url()))
        return self.opened[-1]
