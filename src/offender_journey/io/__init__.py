"""Reading and writing events in interchange formats, with reports of what was rejected."""

from .jsonl import ImportReport, Rejection, export_jsonl, import_jsonl, write_rejection

__all__ = ["ImportReport", "Rejection", "export_jsonl", "import_jsonl", "write_rejection"]
