"""One command per cohort view: reoffending, history, iom, cost, warrants."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import Any

import attrs

from ..dates import add_months, in_words
from ._common import (
    NO_NUMBERS,
    Commands,
    UsageError,
    add_by_record,
    add_engine,
    add_jobs,
    add_reading,
    at_least,
    data_end,
    date_arg,
    share_arg,
    show_view,
)

#: Months from the end of a cohort's period until its follow-up is complete: a year's
#: follow-up and six months for the courts to catch up.
FOLLOW_UP_MONTHS = 18


def _cmd_reoffending(args: argparse.Namespace) -> int:
    note = ""
    if args.start is None and args.end is None and args.engine == "local":
        end = _data_end(args)
        if end is not None:
            args.start, args.end = last_followed_quarter(end)
            note = (
                f"Cohort period {in_words(args.start)} to {in_words(args.end)}: the last "
                f"quarter with {FOLLOW_UP_MONTHS} months' follow-up by the data's end "
                f"({in_words(end)}, the latest event date); give --from and --to to choose."
            )
    return show_view(args, "reoffending", note=note)


def last_followed_quarter(end: dt.date) -> tuple[dt.date, dt.date]:
    """The last calendar quarter whose follow-up is complete on ``end``: the quarter's
    last day plus :data:`FOLLOW_UP_MONTHS` is on or before ``end``.

    Examples:
        >>> last_followed_quarter(dt.date(2016, 9, 30))
        (datetime.date(2015, 1, 1), datetime.date(2015, 3, 31))
        >>> last_followed_quarter(dt.date(2016, 9, 29))
        (datetime.date(2014, 10, 1), datetime.date(2014, 12, 31))
    """
    first = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)  # the quarter of ``end``
    while True:
        last = add_months(first, 3) - dt.timedelta(days=1)
        if add_months(last, FOLLOW_UP_MONTHS) <= end:
            return first, last
        first = add_months(first, -3)


def _data_end(args: argparse.Namespace) -> dt.date | None:
    """The store's data's end (``None`` for an empty or remote Parquet source)."""
    if getattr(args, "parquet", None) or args.store == ":memory:":
        return None
    if "://" in args.store:
        return None  # a server's reader may read the fact tables only, not the events
    if not os.path.exists(args.store):
        return None  # the view says the store is missing, as every command does
    return data_end(args.store)


def _cmd_history(args: argparse.Namespace) -> int:
    return show_view(args, "history_bands")


def rule_of(args: argparse.Namespace) -> Any:
    """The IOM rule the options of :func:`add_rule_options` describe (the London preset by
    default, named "custom rule" once any value differs)."""
    # start-up: loaded when the command runs
    from ..views.iom import LONDON

    categories = args.categories or LONDON.categories
    if args.lower_threshold > args.threshold:
        raise UsageError(
            f"--lower-threshold {args.lower_threshold:g} is above --threshold {args.threshold:g}"
        )
    custom = (args.threshold, args.lower_threshold, args.look_back, categories) != (
        LONDON.threshold,
        LONDON.lower_threshold,
        LONDON.look_back_months,
        LONDON.categories,
    )
    return attrs.evolve(
        LONDON,
        name="custom rule" if custom else LONDON.name,
        threshold=args.threshold,
        lower_threshold=args.lower_threshold,
        look_back_months=args.look_back,
        categories=categories,
        prefer_assessed=not args.computed_only,
    )


def _cmd_iom(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..views.iom import IomView

    on, note = args.on or args.end, ""
    if (
        on is None
        and args.as_of is None  # else the as-of day, as the view itself takes it
        and args.engine == "local"
        and (on := _data_end(args)) is not None
    ):
        note = (
            f"Selection on {in_words(on)}, the data's end (the latest event date); "
            "give --on to choose the day."
        )
    return show_view(args, IomView(rule=rule_of(args), on=on), listing=args.list, note=note)


def _cmd_cost(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..views.cost import CostTable, CostView

    table = CostTable.home_office()
    if args.costs:
        try:
            extra = CostTable.load(
                args.costs, source=f"user rows from {args.costs}", price_year=table.price_year
            )
        except (OSError, ValueError) as exc:
            raise UsageError(f"--costs: {exc}") from None
        table = table.with_costs(extra.costs, source=extra.source)
    return show_view(args, CostView(table))


def _cmd_warrants(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..views.warrants import WarrantsView, WarrantTargets

    days = {**WarrantTargets().days, **(args.targets or {})}
    return show_view(args, WarrantsView(WarrantTargets(days=days, on_time_share=args.on_time)))


def _categories_arg(text: str) -> frozenset[Any]:
    """``--categories``: offence categories, comma-separated, each one a known category."""
    # start-up: loaded when the command runs
    from ..events import Category

    names = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [n for n in names if n not in Category.__members__.values()]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown categor{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(map(repr, unknown)) or repr(text)}; choose from "
            + ", ".join(c.value for c in Category)
        )
    return frozenset(Category(n) for n in names)


def _targets_arg(text: str) -> dict[str, int]:
    """``--targets``: ``CATEGORY=DAYS`` pairs, comma-separated, for the warrant categories."""
    # start-up: loaded when the command runs
    from ..views.warrants import WarrantTargets

    known = sorted(WarrantTargets().days)
    days: dict[str, int] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        category, _, value = (part.strip() for part in item.partition("="))
        if category not in known:
            raise argparse.ArgumentTypeError(
                f"unknown warrant category {category!r} in {item.strip()!r}; "
                f"the categories are {', '.join(known)}"
            )
        if not value.isdigit():
            raise argparse.ArgumentTypeError(
                f"expected CATEGORY=DAYS with DAYS a whole number >= 0, got {item.strip()!r}"
            )
        days[category] = int(value)
    return days


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    """``--on`` and the options of the IOM rule (read back by :func:`rule_of`)."""
    parser.add_argument("--on", type=date_arg, metavar="DATE", help="the selection day")
    parser.add_argument(
        "--threshold",
        type=share_arg,
        default=0.75,
        metavar="SHARE",
        help="2-year score selected whatever the offending: a share from 0 to 1, or a "
        "percentage written with %% (default 0.75)",
    )
    parser.add_argument(
        "--lower-threshold",
        type=share_arg,
        default=0.50,
        metavar="SHARE",
        help="lower 2-year score selected with recent qualifying offences (default 0.50)",
    )
    parser.add_argument(
        "--categories",
        type=_categories_arg,
        metavar="LIST",
        help="qualifying offence categories, comma-separated "
        "(default robbery,burglary_domestic,burglary_other)",
    )
    parser.add_argument(
        "--look-back",
        type=at_least(1),
        default=12,
        metavar="MONTHS",
        help="months of recent offending to look at (default 12)",
    )
    parser.add_argument(
        "--computed-only",
        action="store_true",
        help="use OGRS3 computed here rather than the latest supplied risk_assessed score; "
        "a supplied score still stands in for an offender OGRS3 cannot be computed for",
    )


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""

    def view_command(name: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, description=description)
        add_reading(sub)
        add_by_record(sub)
        add_jobs(sub, "processes to share the work (default: automatic)")
        add_engine(sub)
        sub.set_defaults(after_fault=NO_NUMBERS)
        return sub

    view_command(
        "reoffending",
        "Proven reoffending: the window [--from, --to] is the cohort period; without one, "
        "the last calendar quarter with 18 months' follow-up by the data's end (the latest "
        "event date). "
        "Cohort size, reoffenders, reoffences, binary rate, frequency, by adult/juvenile "
        "and by index event. See docs/reoffending.md.",
    ).set_defaults(handler=_cmd_reoffending)
    view_command(
        "history",
        "Offenders sanctioned in the window by previous sanctions and previous convictions "
        "(bands 0, 1-2, 3-6, 7-10, 11-14, 15+), and cautions given to offenders by their "
        "previous convictions. See docs/reoffending.md.",
    ).set_defaults(handler=_cmd_history)
    iom = view_command(
        "iom",
        "Integrated Offender Management selection on a day (--on, else --to, else the "
        "--as-of day, else the data's end: the latest event date in the store). "
        "Default: the London preset as described in 2015 (unconfirmed): 2-year score >= 75 %, "
        "or 50-74 % with robbery or burglary in the previous 12 months. See docs/risk_and_iom.md.",
    )
    add_rule_options(iom)
    iom.add_argument(
        "--list",
        action="store_true",
        help="also list every selected offender with the reason (long: one line each)",
    )
    iom.set_defaults(handler=_cmd_iom)
    cost = view_command(
        "cost",
        "Home Office unit costs (2015/16 prices) applied to offences dated in the window: "
        "all charged or cautioned, and proven only; the share that could not be priced; the "
        "share from the costliest 10 % of offenders. See docs/cost.md.",
    )
    cost.add_argument(
        "--costs",
        metavar="FILE.csv",
        help="extra or replacement unit costs: columns category,unit_cost_gbp",
    )
    cost.set_defaults(handler=_cmd_cost)
    warrants = view_command(
        "warrants",
        "Warrants outstanding on the window's last day by kind and category; execution "
        "timeliness of warrants issued in the window against targets; recall to return. "
        "See docs/warrants.md.",
    )
    warrants.add_argument(
        "--targets",
        type=_targets_arg,
        metavar="LIST",
        help="days per category A, B or C, e.g. A=14,B=21,C=28 (the default)",
    )
    warrants.add_argument(
        "--on-time",
        type=share_arg,
        default=0.70,
        metavar="SHARE",
        help="share executed within target to reach: from 0 to 1, or a percentage written "
        "with %% (default 0.70)",
    )
    warrants.set_defaults(handler=_cmd_warrants)
