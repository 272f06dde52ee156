"""Reading and writing events in interchange formats, with reports of what was rejected."""

from .csv import CsvMapping, MappingError, import_csv
from .importing import (
    ImportInterruptedError,
    ImportReport,
    Rejection,
    Row,
    ingest_rows,
    write_rejection,
)
from .jsonl import export_jsonl, import_jsonl

__all__ = [
    "CsvMapping",
    "MappingError",
    "import_csv",
    "ImportInterruptedError",
    "ImportReport",
    "Rejection",
    "Row",
    "export_jsonl",
    "import_jsonl",
    "ingest_rows",
    "write_rejection",
]
