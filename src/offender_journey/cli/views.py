"""One command per cohort view: reoffending, history, iom, cost, warrants."""

from __future__ import annotations

import argparse

import attrs

from ._common import (
    Commands,
    UsageError,
    add_engine,
    add_json,
    add_store,
    add_window,
    date_arg,
    show_view,
)


def _cmd_reoffending(args: argparse.Namespace) -> int:
    return show_view(args, "reoffending")


def _cmd_history(args: argparse.Namespace) -> int:
    return show_view(args, "history_bands")


def _cmd_iom(args: argparse.Namespace) -> int:
    from ..events import Category
    from ..metrics import View
    from ..projections.iom import LONDON, IomCohort, IomProjection

    try:
        categories = (
            frozenset(Category(c.strip()) for c in args.categories.split(",") if c.strip())
            if args.categories
            else LONDON.categories
        )
    except ValueError as exc:
        raise UsageError(f"--categories: {exc}") from None
    custom = (args.threshold, args.lower_threshold, args.look_back, categories) != (
        LONDON.threshold,
        LONDON.lower_threshold,
        LONDON.look_back_months,
        LONDON.categories,
    )
    rule = attrs.evolve(
        LONDON,
        name="custom rule" if custom else LONDON.name,
        threshold=args.threshold,
        lower_threshold=args.lower_threshold,
        look_back_months=args.look_back,
        categories=categories,
        prefer_assessed=not args.computed_only,
    )
    projection = IomProjection(rule=rule, on=args.on)
    return show_view(args, View(projection, IomCohort), listing=args.list)


def _cmd_cost(args: argparse.Namespace) -> int:
    from ..metrics import View
    from ..projections.cost import CostProjection, CostReport, CostTable

    table = CostTable.home_office()
    if args.costs:
        try:
            extra = CostTable.load(
                args.costs, source=f"user rows from {args.costs}", price_year=table.price_year
            )
        except (OSError, ValueError) as exc:
            raise UsageError(f"--costs: {exc}") from None
        table = table.with_costs(extra.costs, source=extra.source)
    projection = CostProjection(table)
    return show_view(args, View(projection, CostReport, projection.accumulator))


def _cmd_warrants(args: argparse.Namespace) -> int:
    from ..metrics import View
    from ..projections.warrants import WarrantsProjection, WarrantTargets

    days = dict(WarrantTargets().days)
    for item in (args.targets or "").split(","):
        if not item.strip():
            continue
        category, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise UsageError(f"--targets: expected CATEGORY=DAYS, got {item!r}")
        days[category.strip()] = int(value)
    projection = WarrantsProjection(WarrantTargets(days=days, on_time_share=args.on_time))
    return show_view(args, View(projection, projection.empty))


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""

    def view_command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=description)
        add_store(sub)
        add_window(sub)
        add_json(sub)
        sub.add_argument(
            "--jobs",
            type=int,
            default=0,
            metavar="N",
            help="processes to share the work (default: automatic)",
        )
        add_engine(sub)
        return sub

    view_command(
        "reoffending",
        "proven reoffending of a cohort (MoJ measure)",
        "Proven reoffending (SPEC 3.4): the window [--from, --to] is the cohort period. "
        "Cohort size, reoffenders, reoffences, binary rate, frequency, by adult/juvenile "
        "and by index event. See docs/reoffending.md.",
    ).set_defaults(handler=_cmd_reoffending)
    view_command(
        "history",
        "criminal-history bands of offenders sanctioned in the window",
        "Offenders sanctioned in the window by previous sanctions and previous convictions "
        "(bands 0, 1-2, 3-6, 7-10, 11-14, 15+), and cautions given to offenders by their "
        "previous convictions. See docs/reoffending.md.",
    ).set_defaults(handler=_cmd_history)
    iom = view_command(
        "iom",
        "select an IOM cohort with an explainable rule",
        "Integrated Offender Management selection on a day (--on, else --to, else today). "
        "Default: the London preset as described in 2015 (unconfirmed): 2-year score >= 75 %, "
        "or 50-74 % with robbery or burglary in the previous 12 months. See docs/risk_and_iom.md.",
    )
    iom.add_argument("--on", type=date_arg, metavar="DATE", help="the selection day")
    iom.add_argument(
        "--threshold",
        type=float,
        default=0.75,
        help="2-year score selected whatever the offending (default 0.75)",
    )
    iom.add_argument(
        "--lower-threshold",
        type=float,
        default=0.50,
        help="lower 2-year score selected with recent qualifying offences (0.50)",
    )
    iom.add_argument(
        "--categories",
        metavar="LIST",
        help="qualifying offence categories, comma-separated "
        "(default robbery,burglary_domestic,burglary_other)",
    )
    iom.add_argument(
        "--look-back",
        type=int,
        default=12,
        metavar="MONTHS",
        help="months of recent offending to look at (default 12)",
    )
    iom.add_argument(
        "--list",
        action="store_true",
        help="also list every selected offender with the reason (long: one line each)",
    )
    iom.add_argument(
        "--computed-only",
        action="store_true",
        help="ignore supplied risk_assessed scores; use OGRS3 computed here",
    )
    iom.set_defaults(handler=_cmd_iom)
    cost = view_command(
        "cost",
        "estimated cost of crime and its concentration",
        "Home Office unit costs (2015/16 prices) applied to offences dated in the window: "
        "all charged or cautioned, and proven only; the share that could not be priced; the "
        "share from the costliest 10 %% of offenders. See docs/cost.md.",
    )
    cost.add_argument(
        "--costs",
        metavar="FILE.csv",
        help="extra or replacement unit costs: columns category,unit_cost_gbp",
    )
    cost.set_defaults(handler=_cmd_cost)
    warrants = view_command(
        "warrants",
        "outstanding warrants, execution and recall timeliness",
        "Warrants outstanding on the window's last day by kind and category; execution "
        "timeliness of warrants issued in the window against targets; recall to return. "
        "See docs/warrants.md.",
    )
    warrants.add_argument(
        "--targets", metavar="LIST", help="days per category, e.g. A=14,B=21,C=28 (the default)"
    )
    warrants.add_argument(
        "--on-time",
        type=float,
        default=0.70,
        help="share executed within target to reach (default 0.70)",
    )
    warrants.set_defaults(handler=_cmd_warrants)
