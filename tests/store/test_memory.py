from offender_journey.store import EventStore, InMemoryStore
from offender_journey.testing import StoreContract


class TestInMemoryStore(StoreContract):
    def make_store(self) -> EventStore:
        return InMemoryStore()
