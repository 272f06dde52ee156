"""``risk``: OGRS3 and criminal history of one offender on a day."""

from __future__ import annotations

import argparse
import json
from typing import Any

import attrs

from ..dates import in_words
from ..labels import label
from ..tables import plural
from ._common import (
    Commands,
    add_json,
    add_store,
    data_end,
    date_arg,
    instant_arg,
    print_json,
    read_person,
)


def _cmd_risk(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    # start-up: loaded when the command runs
    from ..facts.derive import derive
    from ..folds.history_bands import history_at
    from ..history import as_of_date
    from ..tables import Column, Table
    from ..views.ogrs3 import RISK_TABLES, ogrs3_of, risk_of

    history = read_person(args)  # sanctions counted across the person's records
    person = history.offender_id
    chosen_day = args.on or (as_of_date(args.as_of) if args.as_of else data_end(args.store))
    day = chosen_day or as_of_date(None)
    facts = derive(history, RISK_TABLES)
    ogrs3 = ogrs3_of(facts, day)
    chosen = risk_of(facts, day)
    record = history_at(history, day)
    out: dict[str, Any] = {
        "offender_id": person,
        "on": day.isoformat(),
        "ogrs3": ogrs3.to_json(),
        "score_used": attrs.asdict(chosen) if not hasattr(chosen, "missing") else None,
        "previous_convictions": record.previous_convictions,
        "previous_cautions": record.previous_cautions,
    }
    if args.json:
        print_json(json.loads(json.dumps(out, default=str)))
        return 0
    if args.on is None and args.as_of is None:
        print(f"On {in_words(day)}, the data's end (the latest event date); give --on to choose.")
    print(
        f"{person} on {day}: {plural(record.previous_convictions, 'previous conviction')}"
        f", {plural(record.previous_cautions, 'previous caution')}"
    )
    if ogrs3.missing:
        missing = ", ".join(label(m, capital=False) for m in ogrs3.missing)
        print(f"OGRS3: cannot be computed, missing {missing}")
    else:
        print(
            f"OGRS3: {ogrs3.percent_1y} % within 1 year, {ogrs3.percent_2y} % within 2 years "
            f"({ogrs3.band}), from these inputs:"
        )
        # Words in text (the JSON keeps the codes).
        inputs = tuple(
            (label(name), label(value, capital=False) if isinstance(value, str) else str(value))
            for name, value in ogrs3.inputs.items()
        )
        print(Table("", (Column("input"), Column("value")), inputs).to_text(title=False))
    if out["score_used"]:
        used = out["score_used"]
        print(
            f"score used for selection: {100 * used['score_2y']:.0f} % ({used['source']}, "
            f"{used['date']})"
        )
    return 0


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    risk = commands.add_parser(
        "risk",
        description="OGRS3 (1- and 2-year probabilities, band) computed from the stream on a "
        "day, with the inputs used or the inputs missing; and the score IOM selection would use.",
    )
    risk.add_argument(
        "offender_id",
        metavar="PERSON",
        help="whose score: a person id, or a source record (SOURCE:ID) of the person",
    )
    add_store(risk)
    risk.add_argument(
        "--on",
        type=date_arg,
        metavar="DATE",
        help="the day (default: the as-of day, else the data's end: the latest event date)",
    )
    risk.add_argument(
        "--as-of",
        dest="as_of",
        type=instant_arg,
        metavar="DATETIME",
        help="see only what was recorded by then",
    )
    add_json(risk)
    risk.set_defaults(handler=_cmd_risk)
