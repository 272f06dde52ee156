"""The in-memory store shared between threads loses nothing."""

import datetime as dt
import sys
import threading
from collections.abc import Iterator

import pytest

from offender_journey.errors import ConcurrencyError
from offender_journey.events import Arrest
from offender_journey.store import InMemoryStore

THREADS = 8
APPENDS = 200


@pytest.fixture(autouse=True)
def switch_threads_often() -> Iterator[None]:
    """Make the interpreter switch threads very often, as a busy server would."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_eight_threads_appending_with_expected_versions_lose_nothing() -> None:
    store = InMemoryStore()
    start = threading.Barrier(THREADS)
    accepted_at: list[int] = []  # the version each successful append expected

    def writer(n: int) -> None:
        start.wait()
        done = 0
        while done < APPENDS:
            version = store.version("O1")  # read, then append expecting that version
            event = Arrest(
                event_id=f"t{n}-{done}",
                offender_id="O1",
                date=dt.date(2014, 1, 1),
                arrest_id=f"a{n}",
            )
            try:
                store.append([event], expected_versions={"O1": version})
            except ConcurrencyError:
                continue  # someone else appended in between: read again
            accepted_at.append(version)
            done += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = THREADS * APPENDS
    # Each version was granted to exactly one writer: no update was lost.
    assert sorted(accepted_at) == list(range(total))
    assert store.version("O1") == store.count_events() == len(store.read_stream("O1")) == total


def test_threads_resending_the_same_events_store_each_once() -> None:
    store = InMemoryStore()
    start = threading.Barrier(THREADS)
    events = [
        Arrest(event_id=f"e{i}", offender_id=f"O{i % 7}", date=dt.date(2014, 1, 1), arrest_id="a")
        for i in range(APPENDS)
    ]
    stored: list[str] = []

    def writer() -> None:
        start.wait()
        for event in events:
            stored.extend(store.append([event]).stored)

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(stored) == sorted(e.event_id for e in events)
    assert store.count_events() == sum(len(s) for _, s in store.read_all()) == APPENDS
