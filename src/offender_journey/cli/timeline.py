"""``timeline``: one offender's IDIOM-style timeline, as text, JSON or a picture."""

from __future__ import annotations

import argparse

from ._common import (
    Commands,
    add_reading,
    at_least,
    check_picture,
    draw,
    output,
    read_person,
    refuse_overwriting,
    window_of,
)


def _cmd_timeline(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..timeline import build_timeline

    refuse_overwriting("--png", args.png, store=args.store)
    check_picture(args.png)
    window = window_of(args)
    history = read_person(args)
    result = build_timeline(history, window, as_of=args.as_of)
    if args.png:
        draw(
            args.png,
            "plot_timeline",
            history,
            window,
            size=args.size,
            title=args.title,
            cases=args.cases,
            dpi=args.dpi,
        )
    return output(args, result)


def _size(text: str) -> tuple[float, float]:
    """``13x7`` → (13.0, 7.0), for ``--size``."""
    try:
        width, height = (float(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT in inches, e.g. 13x7: {text!r}"
        ) from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"width and height must be positive: {text!r}")
    return width, height


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    timeline = commands.add_parser(
        "timeline",
        description="The IDIOM-style timeline of one offender: events in the "
        "window, episodes (on bail, remanded, in custody, on licence, suspended sentence, "
        "community order, warrant outstanding), offences flagged as committed on bail / "
        "licence / order, and counts before and within the window.",
    )
    timeline.add_argument(
        "offender_id",
        metavar="PERSON",
        help="whose timeline: a person id, or a source record (SOURCE:ID, or the ID of a "
        "record of the default source), which gives the timeline of the record's person",
    )
    timeline.add_argument(
        "--png",
        metavar="FILE",
        help="also draw the IDIOM-style picture into this file: PNG, or SVG, PDF … by its "
        "suffix (plot extra)",
    )
    timeline.add_argument(
        "--size",
        type=_size,
        default=(13.0, 7.0),
        metavar="WxH",
        help="picture size in inches, width x height (default 13x7)",
    )
    timeline.add_argument("--title", help="picture title (default: the offender id)")
    timeline.add_argument(
        "--cases",
        choices=("auto", "bars", "counts"),
        default="auto",
        help="court cases in the picture: a bar per case, in rows that do not overlap "
        "(bars), or cases open and appearances per month (counts); default auto: bars "
        "while they fit in four rows",
    )
    timeline.add_argument(
        "--dpi",
        type=at_least(1),
        default=130,
        help="picture resolution, dots per inch (default 130)",
    )
    add_reading(timeline)
    timeline.set_defaults(handler=_cmd_timeline)
