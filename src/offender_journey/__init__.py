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
>>> from offender_journey import compute
>>> compute(store.read_all()).conversion.rate
1.0

Everything here is re-exported from its own module: ``events`` (the vocabulary),
``codec`` (JSON), ``store`` (SQLite and in-memory stores), ``io`` (imports),
``history`` (one offender's history), ``views`` and ``metrics`` (the views),
``synth`` (synthetic journeys), ``tables`` (DataFrames and notebook HTML) and ``plot``
(pictures; the ``plot`` extra).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .builder import JourneyBuilder
    from .codec import Codec, make_converter
    from .errors import (
        ConcurrencyError,
        ConflictError,
        ErasedOffenderError,
        InvalidEventError,
        MissingExtraError,
        OffenderJourneyError,
        Problem,
        StoreBusyError,
        StoreError,
    )
    from .events import EVENT_TYPES, Category, Event
    from .history import History, Window
    from .io import ImportReport, export_jsonl, import_csv, import_jsonl
    from .metrics import MetricsReport, compute, compute_store, timeline
    from .store import EventStore, InMemoryStore, SQLiteStore, open_store

#: Where each public name lives; imported on first use, so a command that needs little
#: (``offender-journey --help``) loads little.
_HOMES = {
    "JourneyBuilder": "builder",
    "Codec": "codec",
    "make_converter": "codec",
    "ConcurrencyError": "errors",
    "ConflictError": "errors",
    "ErasedOffenderError": "errors",
    "InvalidEventError": "errors",
    "MissingExtraError": "errors",
    "OffenderJourneyError": "errors",
    "Problem": "errors",
    "StoreBusyError": "errors",
    "StoreError": "errors",
    "EVENT_TYPES": "events",
    "Category": "events",
    "Event": "events",
    "ImportReport": "io",
    "export_jsonl": "io",
    "import_csv": "io",
    "import_jsonl": "io",
    "MetricsReport": "metrics",
    "compute": "metrics",
    "compute_store": "metrics",
    "timeline": "metrics",
    "History": "history",
    "Window": "history",
    "EventStore": "store",
    "InMemoryStore": "store",
    "SQLiteStore": "store",
    "open_store": "store",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # start-up: each name's module loads on first use
    from importlib import import_module

    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = [
    "EVENT_TYPES",
    "Category",
    "Codec",
    "ConcurrencyError",
    "ConflictError",
    "ErasedOffenderError",
    "Event",
    "EventStore",
    "History",
    "ImportReport",
    "MetricsReport",
    "InMemoryStore",
    "InvalidEventError",
    "JourneyBuilder",
    "MissingExtraError",
    "OffenderJourneyError",
    "Problem",
    "SQLiteStore",
    "StoreBusyError",
    "StoreError",
    "Window",
    "compute",
    "compute_store",
    "export_jsonl",
    "import_csv",
    "import_jsonl",
    "make_converter",
    "open_store",
    "timeline",
]

__version__ = "0.1.0"
