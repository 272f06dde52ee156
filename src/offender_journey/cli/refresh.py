"""``refresh``: bring the store's fact tables up to date with its log."""

from __future__ import annotations

import argparse

from ._common import Commands, UsageError, add_json, add_store, open_existing, print_json, progress


def _cmd_refresh(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    with open_existing(args.store) as store, progress() as bar:
        report = store.refresh(jobs=args.jobs, progress=bar)
    if args.json:
        print_json(
            {
                "offenders": report.offenders,
                "from_position": report.start,
                "position": report.position,
                "seconds": round(report.seconds, 3),
            }
        )
    else:
        print(report)
    return 0


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    refresh = commands.add_parser(
        "refresh",
        help="bring the fact tables up to date with the events",
        description="Re-derive the facts (the tables analysts query with SQL, and that "
        "metrics reads) of every offender with events appended since the last refresh, "
        "in one transaction with the checkpoint. ingest does this itself unless told "
        "--no-refresh. See docs/tables.md.",
    )
    add_store(refresh)
    refresh.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="processes deriving facts (default 1); this one writes them",
    )
    add_json(refresh)
    refresh.set_defaults(handler=_cmd_refresh)
