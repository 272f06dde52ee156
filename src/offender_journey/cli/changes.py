"""``changes``: the numbers as of two times, and the events recorded between that moved them."""

from __future__ import annotations

import argparse

from ._common import (
    Commands,
    UsageError,
    add_reading,
    instant_arg,
    open_existing,
    output,
    window_of,
)


def _cmd_changes(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..revisions import revision
    from ..tables import printable

    window = window_of(args)
    store = open_existing(args.store)
    try:
        result = revision(store, since=args.since, as_of=args.as_of, window=window)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        store.close()

    def text() -> str:
        lines = [str(result)]
        if args.by_offender:
            lines.append("\nEvents recorded between, by offender")
            lines += [f"{printable(who)}  {n}" for who, n in sorted(result.by_offender.items())]
        return "\n".join(lines)

    return output(
        args, result, text=text, as_json=lambda: result.to_json(by_offender=args.by_offender)
    )


def register(commands: Commands) -> None:
    """Add the ``changes`` command to the parser."""
    changes = commands.add_parser(
        "changes",
        description="Compute the headline numbers as of --since and as of --as-of (default "
        "now) for the same window, list every number that moved, and the events recorded in "
        "between that explain it: late records (something that happened by --since, recorded "
        "after), new records and retractions, by event type. See docs/as_of.md.",
    )
    changes.add_argument(
        "--since",
        required=True,
        type=instant_arg,
        metavar="DATETIME",
        help="when the figures were first produced (ISO datetime with offset; a bare date "
        "means the end of that day, UTC)",
    )
    add_reading(changes)
    changes.add_argument(
        "--by-offender",
        action="store_true",
        help="also count the events recorded between for each offender",
    )
    changes.set_defaults(handler=_cmd_changes)
