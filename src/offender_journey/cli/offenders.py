"""``offenders``: the offender ids in a store, with their event counts and date spans."""

from __future__ import annotations

import argparse

from ._common import Commands, add_json, add_store, open_existing, print_json


def _cmd_offenders(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..tables import Column, Table, plural

    store = open_existing(args.store)
    try:
        rows = tuple(store.offender_summaries(args.prefix))
    finally:
        store.close()
    if args.json:
        print_json(
            [
                {
                    "offender_id": r.offender_id,
                    "events": r.events,
                    "first_date": r.first_date.isoformat(),
                    "last_date": r.last_date.isoformat(),
                }
                for r in rows
            ]
        )
        return 0
    columns = (
        Column("offender_id"),
        Column("events", "int"),
        Column("first_date", "date", "first"),
        Column("last_date", "date", "last"),
    )
    print(Table("", columns, rows).to_text(title=False) if rows else "(none)")
    print(plural(len(rows), "offender"))
    return 0


def register(commands: Commands) -> None:
    """Add the ``offenders`` command to the parser."""
    offenders = commands.add_parser(
        "offenders",
        description="Every offender in the store (or those whose id starts with --prefix), "
        "with the number of events stored (retracted ones included) and the first and last "
        "event dates.",
    )
    offenders.add_argument("--prefix", default="", metavar="TEXT", help="only ids starting so")
    add_store(offenders)
    add_json(offenders)
    offenders.set_defaults(handler=_cmd_offenders)
