"""``quality``: the data-quality report."""

from __future__ import annotations

import argparse

from ._common import (
    NO_NUMBERS,
    Commands,
    add_by_record,
    add_reading,
    output,
    report_of,
)


def _cmd_quality(args: argparse.Namespace) -> int:
    # From the quality_issues table, as every view: a reader role, which may not read the
    # events, gets the report too (the numbers are those of folding every stream).
    report = report_of(args, ["quality"])
    return output(
        args,
        report,
        text=lambda: f"{report.headline()}\n{report.quality}",
    )


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    quality = commands.add_parser(
        "quality",
        description="Counts, by kind, of every oddity the store holds (outcome for an "
        "unknown charge, conviction before its charge, offence after its arrest, bail "
        "ended but never granted, negative durations, events recorded in the future, ...), "
        "with example event ids. See docs/quality.md.",
    )
    add_reading(quality)
    add_by_record(quality)
    quality.set_defaults(handler=_cmd_quality, after_fault=NO_NUMBERS)
