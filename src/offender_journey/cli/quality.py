"""``quality``: the data-quality report."""

from __future__ import annotations

import argparse

from ._common import (
    Commands,
    add_reading,
    open_existing,
    output,
    progress,
    window_of,
)


def _cmd_quality(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..metrics import compute

    window = window_of(args)
    store = open_existing(args.store)
    try:
        with progress() as bar:
            if bar is not None:
                bar.set_description("reading events")
                bar.reset(store.count_offenders())
            report = compute(
                store.read_all(as_of=args.as_of),
                window=window,
                as_of=args.as_of,
                views=["quality"],
                progress=bar,
            )
    finally:
        store.close()
    return output(
        args,
        report,
        text=lambda: f"{report.offenders} offenders, {report.events} events\n{report.quality}",
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
    quality.set_defaults(handler=_cmd_quality)
