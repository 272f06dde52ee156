"""``refresh``: bring the store's fact tables up to date with its log."""

from __future__ import annotations

import argparse

from ..facts import refresh_facts
from ._common import (
    Commands,
    StoppedByUserError,
    add_engine,
    add_jobs,
    add_json,
    add_store,
    open_existing,
    print_json,
    progress,
    refresh_on_dask,
    stop_on_ctrl_c,
    stopped,
)


def _cmd_refresh(args: argparse.Namespace) -> int:
    if args.engine == "dask" or args.parquet or args.out:
        return refresh_on_dask(args)
    try:
        with (
            open_existing(args.store) as store,
            progress() as bar,
            stop_on_ctrl_c(bar) as stopping,
        ):
            report = refresh_facts(store, jobs=args.jobs, progress=stopping)
    except StoppedByUserError:
        # One transaction: what was derived so far is rolled back, the tables are as before.
        return stopped("the fact tables were left as they were before this refresh")
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
        description="Re-derive the facts (the tables analysts query with SQL, and that "
        "metrics reads) of every offender with events appended since the last refresh, "
        "in one transaction with the checkpoint. ingest does this itself unless told "
        "--no-refresh. See docs/tables.md.",
    )
    add_store(refresh)
    add_jobs(
        refresh,
        "processes deriving facts, this one among them, which writes them (default: "
        "automatic, every core once 200,000 new events are to be derived)",
    )
    add_json(refresh)
    add_engine(refresh)
    refresh.add_argument(
        "--out",
        metavar="DIR",
        help="with --engine dask: the new directory to write the fact tables into, as "
        "Parquet partitions in the layout of export --format parquet",
    )
    refresh.set_defaults(
        handler=_cmd_refresh,
        after_fault="the fact tables are as they were (a refresh keeps all of its work or none)",
    )
