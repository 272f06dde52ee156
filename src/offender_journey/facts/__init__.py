"""Facts: what each offender's log says, kept as tables that views and SQL read.

:mod:`.schema` defines every table once (row types, keys, DDL per SQL dialect);
:func:`.derive.derive` is the one fold that makes an offender's rows;
:mod:`.refresh` keeps the tables of a store up to date with its log, incrementally,
the rows and the checkpoint written in one transaction. Import those submodules
directly; this package re-exports only the schema, which everything else builds on.
"""

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
]
