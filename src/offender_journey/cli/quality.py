"""``quality``: the data-quality report."""

from __future__ import annotations

import argparse

from ._common import (
    Commands,
    add_json,
    add_store,
    add_window,
    open_existing,
    print_json,
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
    if args.json:
        print_json(report.to_json())
    else:
        print(f"{report.offenders} offenders, {report.events} events")
        print(report.quality)
    return 0


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    quality = commands.add_parser(
        "quality",
        description="Counts, by kind, of every oddity the store holds (outcome for an "
        "unknown charge, conviction before its charge, offence after its arrest, bail "
        "ended but never granted, negative durations, events recorded in the future, ...), "
        "with example event ids. See docs/quality.md.",
    )
    add_store(quality)
    add_window(quality)
    add_json(quality)
    quality.set_defaults(handler=_cmd_quality)
