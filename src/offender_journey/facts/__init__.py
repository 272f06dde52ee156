"""Facts: what each offender's log says, kept as tables that views and SQL read.

:mod:`.schema` defines every table once (row types, keys, DDL per SQL dialect);
:func:`.derive.derive` runs the folds that make an offender's rows;
:mod:`.refresh` (SQLite) and :mod:`.postgres` keep the tables of a store up to date
with its log, incrementally, the rows and the checkpoint written in one transaction;
:mod:`.follow` is how the tables follow the store (:func:`refresh_facts`, and the
follower told of every restriction and erasure, registered here on import);
:mod:`.scratch` holds facts derived on the fly.
"""

from ..store.privacy import follow_privacy
from .follow import FOLLOWER, keeps_facts, may_refresh, refresh_facts
from .schema import (
    POSTGRESQL,
    SCHEMA_VERSION,
    SQLITE,
    TABLE,
    TABLES,
    Dialect,
    OffenderFacts,
    TableSpec,
    create_statements,
)

follow_privacy(FOLLOWER)

__all__ = [
    "POSTGRESQL",
    "SCHEMA_VERSION",
    "SQLITE",
    "TABLE",
    "TABLES",
    "Dialect",
    "OffenderFacts",
    "TableSpec",
    "create_statements",
    "keeps_facts",
    "may_refresh",
    "refresh_facts",
]
