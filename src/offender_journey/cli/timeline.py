"""``timeline``: one offender's IDIOM-style timeline, as text, JSON or a picture."""

from __future__ import annotations

import argparse

from ._common import (
    Commands,
    UsageError,
    add_json,
    add_store,
    add_window,
    draw,
    open_existing,
    print_json,
    refuse_overwriting,
    window_of,
)


def _cmd_timeline(args: argparse.Namespace) -> int:
    from ..metrics import timeline

    refuse_overwriting("--png", args.png, store=args.store)
    window = window_of(args)
    store = open_existing(args.store)
    try:
        events = store.read_stream(args.offender_id, as_of=args.as_of)
    finally:
        store.close()
    if not events:
        raise UsageError(f"no events for offender {args.offender_id!r} in {args.store}")
    result = timeline(events, window=window, as_of=args.as_of)
    if args.png:
        from ..projections import History

        draw(args.png, "plot_timeline", History.build(args.offender_id, events, args.as_of), window)
    if args.json:
        print_json(result.to_json())
    else:
        print(result)
    return 0


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    timeline = commands.add_parser(
        "timeline",
        help="one offender's timeline: events, episodes, flags, window summary",
        description="The IDIOM-style timeline of one offender (SPEC 3.3): events in the "
        "window, episodes (on bail, remanded, in custody, on licence, suspended sentence, "
        "community order, warrant outstanding), offences flagged as committed on bail / "
        "licence / order, and counts before and within the window.",
    )
    timeline.add_argument("offender_id", metavar="OFFENDER_ID", help="whose timeline")
    timeline.add_argument(
        "--png", metavar="FILE", help="also draw the IDIOM-style picture into this PNG (plot extra)"
    )
    add_store(timeline)
    add_window(timeline)
    add_json(timeline)
    timeline.set_defaults(handler=_cmd_timeline)
