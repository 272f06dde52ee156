"""Event stores: the :class:`EventStore` protocol and its backends.

:class:`SQLiteStore` is the default (a file, ``journeys.db``); :class:`InMemoryStore`
suits tests and notebooks; ``PostgresStore`` (the ``postgres`` extra, loaded on first
use) serves many writers. :func:`open_store` picks one from a path or URL.
"""

from __future__ import annotations

import os
from typing import Any

from .base import AppendResult, EventStore, Record
from .memory import InMemoryStore
from .sqlite import APPLICATION_ID, BUSY_TIMEOUT, FORMAT_VERSION, SQLiteStore

__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT",
    "FORMAT_VERSION",
    "DEFAULT_STORE",
    "AppendResult",
    "EventStore",
    "InMemoryStore",
    "PostgresStore",
    "Record",
    "SQLiteStore",
    "open_store",
]

#: Where the command line keeps its store unless told otherwise.
DEFAULT_STORE = "journeys.db"


def open_store(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    busy_timeout: float = BUSY_TIMEOUT,
) -> EventStore:
    """Open the store at ``path``: SQLite (``":memory:"`` for a throw-away one), or
    PostgreSQL for a ``postgresql://USER@HOST:PORT/DATABASE`` URL.

    By default the store must exist: a mistyped path raises
    :class:`~offender_journey.errors.StoreError` instead of quietly starting an empty
    store. ``create=True`` makes a new one when there is none (what ``ingest`` does).
    ``busy_timeout``: seconds a write waits for another writer (see :class:`SQLiteStore`).

    Examples:
        >>> store = open_store(":memory:")
        >>> store.count_offenders()
        0
    """
    if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
        # the postgres extra (psycopg)
        from .postgres import PostgresStore

        return PostgresStore(path)
    return SQLiteStore(
        DEFAULT_STORE if path is None else path, create=create, busy_timeout=busy_timeout
    )


def __getattr__(name: str) -> Any:
    """``PostgresStore`` is imported on first use: it needs the ``postgres`` extra."""
    if name == "PostgresStore":
        # the postgres extra (psycopg)
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
