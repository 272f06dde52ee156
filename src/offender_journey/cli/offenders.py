"""``offenders``: the offender ids in a store, with their event counts and date spans."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import Commands, add_json, add_store, open_existing, print_json


def _cmd_offenders(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..facts.linked import linked_persons
    from ..tables import Column, Table, plural

    store = open_existing(args.store)
    try:
        persons = linked_persons(store)
        rows = tuple(store.offender_summaries("" if persons else args.prefix))
    finally:
        store.close()
    if persons:
        return _persons(args, persons, rows)
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


def _persons(args: argparse.Namespace, persons: dict[str, str], rows: tuple[Any, ...]) -> int:
    """The persons the records are linked into, each with their source records."""
    # start-up: loaded when the command runs
    from ..tables import Column, Table, plural

    held: dict[str, list[Any]] = {}
    for row in rows:
        held.setdefault(persons.get(row.offender_id, row.offender_id), []).append(row)
    listed = [
        (
            person,
            ", ".join(r.offender_id for r in records),
            sum(r.events for r in records),
            min(r.first_date for r in records),
            max(r.last_date for r in records),
        )
        for person, records in sorted(held.items())
        if person.startswith(args.prefix)
    ]
    if args.json:
        print_json(
            [
                {
                    "person_id": person,
                    "records": records.split(", "),
                    "events": events,
                    "first_date": first.isoformat(),
                    "last_date": last.isoformat(),
                }
                for person, records, events, first, last in listed
            ]
        )
        return 0
    columns = (
        Column("person_id"),
        Column("records"),
        Column("events", "int"),
        Column("first_date", "date", "first"),
        Column("last_date", "date", "last"),
    )
    print(Table("", columns, tuple(listed)).to_text(title=False) if listed else "(none)")
    print(f"{plural(len(listed), 'person')} from {plural(len(rows), 'source record')}")
    return 0


def register(commands: Commands) -> None:
    """Add the ``offenders`` command to the parser."""
    offenders = commands.add_parser(
        "offenders",
        description="Every offender in the store (or those whose id starts with --prefix), "
        "with the number of events stored (retracted ones included) and the first and last "
        "event dates. When the store holds link decisions: every person, with their source "
        "records.",
    )
    offenders.add_argument("--prefix", default="", metavar="TEXT", help="only ids starting so")
    add_store(offenders)
    add_json(offenders)
    offenders.set_defaults(handler=_cmd_offenders)
