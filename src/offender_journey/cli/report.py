"""``report``: a case report for one person, or the panel pack of an IOM cohort, as HTML."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from ._common import (
    Commands,
    UsageError,
    add_store,
    add_window,
    atomic_output,
    open_existing,
    person_of,
    progress,
    refuse_overwriting,
    report_of,
    window_of,
)
from .views import add_rule_options, rule_of


def _cmd_report(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..facts.linked import linked_persons
    from ..history import as_of_date
    from ..persons import read_rules
    from ..report import MARKING, Pack, case_of, require_extra, selection_day, write_html

    if (args.offender_id is None) == (not args.iom):
        raise UsageError("name one person (PERSON) or ask for the IOM cohort (--iom), not both")
    if not args.marking.strip():
        raise UsageError(f"--marking must say something (e.g. {MARKING})")
    refuse_overwriting("--html", args.html, store=args.store)
    require_extra()
    window = window_of(args)
    rule = rule_of(args)
    args.as_of = args.as_of or dt.datetime.now(dt.UTC)  # one instant for every part
    day = selection_day(rule, args.on, window, args.as_of)
    if day > as_of_date(args.as_of):
        raise UsageError(
            f"the report's day {day} is after the as-of day {as_of_date(args.as_of)}: "
            "nothing recorded about it is known yet (give --on, or a later --as-of)"
        )
    if args.iom:
        ids = _cohort(args, rule)
        title = args.title or f"IOM panel pack: cohort selected on {day.isoformat()}"
    else:
        ids = (args.offender_id,)
        title = args.title or f"Case report: {args.offender_id}"
    store = open_existing(args.store)
    try:
        persons = linked_persons(store, args.as_of)
        streams = [person_of(store, asked, persons, args.as_of) for asked in ids]
        rules = read_rules(store)
    finally:
        store.close()
    if not args.iom and not streams[0][1]:
        raise UsageError(f"no events for offender {args.offender_id!r} in {args.store!r}")
    cases = tuple(
        case_of(person, records, as_of=args.as_of, day=day, window=window, rule=rule, rules=rules)
        for person, records in streams
    )
    pack = Pack(title, cases, args.as_of, window, rule, marking=args.marking, docs=args.docs)
    with progress() as bar, atomic_output(args.html) as temporary:
        if bar is not None:
            bar.set_description("drawing")
            bar.reset(len(cases))
        write_html(pack, temporary, progress=None if bar is None else bar.update)
    people = f"{len(cases)} {'person' if len(cases) == 1 else 'people'}"
    print(f"report written to {args.html} ({people})", file=sys.stderr)
    return 0


def _cohort(args: argparse.Namespace, rule: Any) -> tuple[str, ...]:
    """The ids the IOM view selects, in its order: the cohort the ``iom`` command lists."""
    # start-up: loaded when the command runs
    from ..views.iom import IomCohort, IomView

    cohort: IomCohort = report_of(args, [IomView(rule=rule, on=args.on)]).results["iom"]
    return cohort.offender_ids


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    report = commands.add_parser(
        "report",
        description="One self-contained, accessible HTML page for a panel (the report "
        "extra): per person, identifiers, status on the day, OGRS3 and the IOM rule's "
        "reason, the timeline (picture and tables), offences flagged by kind, the window "
        "summary and conversion, recent offences, data-quality issues and the definitions "
        "used. Prints one person per A4 page. See docs/report.md.",
    )
    report.add_argument(
        "offender_id",
        metavar="PERSON",
        nargs="?",
        help="whose case report: a person id, or a source record of the person (or --iom)",
    )
    report.add_argument(
        "--iom",
        action="store_true",
        help="the panel pack: everyone the IOM rule selects on the day, in the cohort's order",
    )
    report.add_argument(
        "--html", metavar="FILE", required=True, help="where to write the page (mode 0600)"
    )
    report.add_argument(
        "--marking",
        default="OFFICIAL-SENSITIVE",
        metavar="TEXT",
        help="the security marking at the top and bottom of every page "
        "(default OFFICIAL-SENSITIVE)",
    )
    report.add_argument("--title", help="the page's title (default: names the person or day)")
    report.add_argument(
        "--docs",
        default="docs/",
        metavar="PATH",
        help="where the definitions link to: the folder (or site) of the project's docs "
        "pages, relative to the report (default docs/)",
    )
    add_store(report)
    add_window(report)
    add_rule_options(report)
    report.set_defaults(handler=_cmd_report)
