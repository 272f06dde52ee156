"""offender-journey: justice-system journeys as immutable event streams, and their views.

A tour, in the order a user meets it:

>>> from offender_journey import JourneyBuilder, InMemoryStore
>>> j = JourneyBuilder("O1")
>>> arrest = j.arrest("2013-02-01")
>>> charge = j.charge("2013-02-02", "shoplifting", arrest=arrest)
>>> _ = j.convict("2013-04-01", charge)
>>> store = InMemoryStore()
>>> len(store.append(j.events).stored)
3
>>> [e.TYPE for e in store.read_stream("O1")]
['arrest', 'charge', 'conviction']

Everything here is re-exported from its own module: ``events`` (the vocabulary),
``codec`` (JSON), ``store`` (SQLite and in-memory stores), ``io`` (imports),
``projections`` and ``metrics`` (the views), ``synth`` (synthetic journeys).
"""

from .builder import JourneyBuilder
from .codec import Codec, make_converter
from .errors import (
    ConcurrencyError,
    ConflictError,
    InvalidEventError,
    MissingExtraError,
    OffenderJourneyError,
    Problem,
    StoreError,
)
from .events import EVENT_TYPES, Category, Event
from .io import ImportReport, export_jsonl, import_jsonl
from .projections import History, Window
from .store import EventStore, InMemoryStore, SQLiteStore, open_store

__all__ = [
    "EVENT_TYPES",
    "Category",
    "Codec",
    "ConcurrencyError",
    "ConflictError",
    "Event",
    "EventStore",
    "History",
    "ImportReport",
    "InMemoryStore",
    "InvalidEventError",
    "JourneyBuilder",
    "MissingExtraError",
    "OffenderJourneyError",
    "Problem",
    "SQLiteStore",
    "StoreError",
    "Window",
    "export_jsonl",
    "import_jsonl",
    "make_converter",
    "open_store",
]

__version__ = "0.1.0"
