"""``link`` and ``links``: say who is who across sources, and list the persons."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import os
import sys
from typing import Any

from ..tables import plural
from ._common import (
    Commands,
    StoppedByUserError,
    UsageError,
    add_json,
    add_store,
    instant_arg,
    open_existing,
    print_json,
    progress,
    stop_on_ctrl_c,
    stopped,
)


def _records(args: list[str]) -> tuple[str, str]:
    # start-up: loaded when the command runs
    from ..events import record_key
    from ..linkage.decisions import parse_record

    try:
        a, b = (record_key(*parse_record(text)) for text in args)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if a == b:
        raise UsageError(f"{a} and {b} are the same record")
    return a, b


def _cmd_link(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..linkage.decisions import read_state

    with open_existing(args.store) as store:
        state = read_state(store)
        if args.explain:
            return _explain(args, state)
        if args.join or args.never_join or args.joins:
            return _review(args, store, state)
        return _run(args, store, state)


def _review(args: argparse.Namespace, store: Any, state: Any) -> int:
    """Record people's decisions about pairs (no model is run)."""
    # start-up: loaded when the command runs
    from ..events import LinkDecision
    from ..linkage.decisions import decision_events, joined, review_events
    from ..linkage.model import ModelError

    wanted: list[tuple[str, str, LinkDecision, str]] = []
    if args.join or args.never_join:
        if not args.reason:
            raise UsageError("a decision needs --reason TEXT (it is kept with the decision)")
        pair = _records(args.join or args.never_join)
        wanted.append((*pair, LinkDecision.JOIN if args.join else LinkDecision.NEVER, args.reason))
    if args.joins:
        wanted += _read_joins(args.joins)
    for a, b, decision, _ in wanted:
        for record in (a, b):
            if record not in state.records:
                raise UsageError(f"no source record {record} in the store")
        if decision is LinkDecision.JOIN:
            _check_join(state, a, b)
    now = dt.datetime.now(dt.UTC)
    events: list[Any] = [
        e for a, b, d, reason in wanted for e in review_events(a, b, d, reason, now)
    ]
    # A join holds from now, in the same transaction as the decision; a never-join
    # separates the two at the next run, which decides where each record goes.
    try:
        persons = joined(state, [(a, b) for a, b, d, _ in wanted if d is LinkDecision.JOIN])
    except ModelError as error:
        raise UsageError(str(error)) from None
    decisions = ((record, persons[record], None, "manual") for record in sorted(persons))
    events += decision_events(decisions, state, "manual", now)
    store.append(events)
    if args.json:
        print_json({"recorded": [{"a": a, "b": b, "decision": str(d)} for a, b, d, _ in wanted]})
    else:
        for a, b, decision, _ in wanted:
            print(f"recorded: {decision} {a} {b}; every later run honours it")
        if persons:
            together = plural(len(set(persons.values())), "person")
            print(f"{plural(len(persons), 'record')} now in {together}")
    return 0


def _check_join(state: Any, a: str, b: str) -> None:
    """Refuse a join of two records with different valid PNC IDs: never one person."""
    # start-up: loaded when the command runs
    from ..linkage.identifiers import canonical_pnc

    given = [(state.identities.get(r) or {}).get("pnc_id") for r in (a, b)]
    pncs = {canonical_pnc(value) for value in given if value}
    pncs.discard(None)
    if len(pncs) > 1:
        raise UsageError(f"{a} and {b} hold different valid PNC IDs: they are never one person")


def _read_joins(path: str) -> list[tuple[str, str, Any, str]]:
    # start-up: loaded when the command runs
    from ..events import LinkDecision

    out = []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"a", "b", "decision", "reason"} - set(reader.fieldnames or ())
            if missing:
                raise UsageError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            for line, row in enumerate(reader, start=2):
                decision = {"join": LinkDecision.JOIN, "never": LinkDecision.NEVER}.get(
                    (row["decision"] or "").strip()
                )
                if decision is None:
                    raise UsageError(
                        f"{path} line {line}: decision must be join or never, "
                        f"got {row['decision']!r}"
                    )
                if not (row["reason"] or "").strip():
                    raise UsageError(f"{path} line {line}: reason is empty")
                try:
                    a, b = _records([row["a"] or "", row["b"] or ""])
                except UsageError as error:
                    raise UsageError(f"{path} line {line}: {error}") from None
                out.append((a, b, decision, row["reason"].strip()))
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    return out


def _run(args: argparse.Namespace, store: Any, state: Any) -> int:
    # start-up: loaded when the command runs
    from ..linkage.decisions import decision_events
    from ..linkage.link import BATCH, MIN_RECORDS, run
    from ..linkage.model import ModelError

    model = args.model if args.model and os.path.exists(args.model) else None
    with (
        progress(None if not args.json else False, unit="steps") as bar,
        stop_on_ctrl_c(bar) as stopping,
    ):
        try:
            result = run(
                state.identities.values(),
                state.records,
                threshold=args.threshold,
                model=model,
                joins=state.joins(),
                nevers=state.nevers(),
                previous=state.persons,
                first_new=state.highest + 1,
                progress=stopping,
            )
        except ModelError as error:
            raise UsageError(str(error)) from None
        except StoppedByUserError:
            # A run records its decisions after its last step: none were written.
            return stopped("no link decisions were recorded and no model was saved")
    if args.model and model is None and result.model is not None:
        result.model.save(args.model)
    now = dt.datetime.now(dt.UTC)
    recorded = 0
    events = decision_events(result.decisions(), state, result.model_version, now)
    while batch := list(itertools.islice(events, BATCH)):
        store.append(batch)
        recorded += len(batch)
    summary: dict[str, Any] = {
        "records": result.table.num_rows,
        "persons": result.person_count,
        "threshold": result.threshold,
        "model_version": result.model_version,
        "decisions_recorded": recorded,
        "at_other_thresholds": [
            {"threshold": level, "persons": count}
            for level, count in sorted(result.alternatives.items())
        ],
        "quality_issues": [
            {"a": c.a, "b": c.b, "identifier": c.identifier, "issue": _CONFLICT}
            for c in result.conflicts
        ],
    }
    if args.json:
        print_json(summary)
        return 0
    print(
        f"{summary['records']} source records -> {summary['persons']} persons at match weight "
        f"{result.threshold:g} (model {result.model_version}); "
        f"{recorded} decisions recorded"
    )
    for other in summary["at_other_thresholds"]:
        print(f"  at {other['threshold']:g} there would be {other['persons']} persons")
    if args.model and model is None and result.model is not None:
        print(f"  model saved to {args.model}")
    if result.model is None:
        print(
            f"  too few identity records to train a model (fewer than {MIN_RECORDS}): "
            "linked by shared identifiers and people's joins only"
        )
    for issue in summary["quality_issues"]:
        print(f"  quality issue: {issue['a']} and {issue['b']} {issue['issue']}")
    return 0


_CONFLICT = "share a valid identifier but their names and dates of birth disagree: not linked"


def _explain(args: argparse.Namespace, state: Any) -> int:
    # start-up: loaded when the command runs
    from ..linkage.model import Model, ModelError, connect, prepare

    a, b = _records(args.explain)
    rows = []
    for record in (a, b):
        if record not in state.identities:
            raise UsageError(f"no identity record for {record} in the store")
        rows.append(state.identities[record])
    try:
        database = connect(state.identities.values())
        if args.model and os.path.exists(args.model):
            model = Model.load(database, args.model)
        else:
            model = Model(database, None)
            model.train()
    except ModelError as error:
        raise UsageError(str(error)) from None
    pair = prepare(rows)
    left = {name: values[0] for name, values in pair.items()}
    right = {name: values[1] for name, values in pair.items()}
    explanation = model.explain(left, right)
    if args.json:
        print_json(
            {
                "a": a,
                "b": b,
                "match_weight": explanation.weight,
                "prior": explanation.prior,
                "comparisons": [
                    {"name": p.name, "level": p.level, "weight": p.weight}
                    for p in explanation.parts
                ],
            }
        )
    else:
        print(explanation)
    return 0


def _cmd_links(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..linkage.decisions import changes, parse_record, read_state

    with open_existing(args.store) as store:
        after = read_state(store, as_of=args.as_of)
        if args.changes:
            if args.since is None:
                raise UsageError("--changes needs --since DATETIME")
            before = read_state(store, as_of=args.since)
            found = changes(before, after)
            if args.json:
                print_json(
                    {
                        "changes": [
                            {"kind": c.kind, "person_id": c.person_id, "others": list(c.others)}
                            for c in found
                        ]
                    }
                )
            else:
                for change in found:
                    verb = "merged from" if change.kind == "merge" else "split into"
                    print(f"{change.person_id} {verb} {', '.join(change.others)}")
                if not found:
                    print("no merges or splits")
            return 0
    listing = after.listing()
    if args.json:
        persons = []
        for person, records in listing.items():
            parts = [parse_record(r) for r in records]
            persons.append(
                {
                    "person_id": person,
                    "records": [{"source": s, "offender_id": o} for s, o in parts],
                }
            )
        print_json({"persons": persons})
    else:
        for person, records in listing.items():
            print(f"{person}  {' '.join(records)}")
        print(f"{len(listing)} persons, {len(after.records)} source records", file=sys.stderr)
    return 0


def register(commands: Commands) -> None:
    """Add ``link`` and ``links``."""
    # start-up: loaded when the command runs
    from ..linkage.link import DEFAULT_THRESHOLD

    link = commands.add_parser(
        "link",
        description="Decide which source records are one person (the link extra: Splink). "
        "Deterministic links on valid PNC IDs and CRO numbers first, then a probabilistic "
        "model trained on the store's identity records; every decision is recorded as an "
        "event, and people's join and never-join decisions are honoured by every run.",
    )
    add_store(link)
    link.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="W",
        help=f"match weight at which two records are linked (default {DEFAULT_THRESHOLD:g})",
    )
    link.add_argument(
        "--model",
        metavar="FILE",
        help="a saved model (JSON) to reuse; trained and saved there when FILE does not exist",
    )
    what = link.add_mutually_exclusive_group()
    what.add_argument(
        "--explain", nargs=2, metavar=("A", "B"), help="show the match weight of two records"
    )
    what.add_argument(
        "--join", nargs=2, metavar=("A", "B"), help="record that A and B are one person"
    )
    what.add_argument(
        "--never-join", nargs=2, metavar=("A", "B"), help="record that A and B are never one"
    )
    what.add_argument(
        "--joins",
        metavar="FILE.csv",
        help="record a review's decisions: columns a,b,decision,reason",
    )
    link.add_argument("--reason", metavar="TEXT", help="why (with --join and --never-join)")
    add_json(link)
    link.set_defaults(handler=_cmd_link)

    links = commands.add_parser(
        "links",
        description="List the persons: every source record (SOURCE:ID) in exactly one.",
    )
    add_store(links)
    links.add_argument(
        "--as-of", type=instant_arg, metavar="DATETIME", help="who was linked to whom then"
    )
    links.add_argument("--changes", action="store_true", help="list merges and splits")
    links.add_argument("--since", type=instant_arg, metavar="DATETIME", help="with --changes")
    add_json(links)
    links.set_defaults(handler=_cmd_links)
