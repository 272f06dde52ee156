"""``metrics``: the headline numbers over every offender in the store."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._common import (
    NO_NUMBERS,
    Commands,
    UsageError,
    add_by_record,
    add_engine,
    add_jobs,
    add_reading,
    check_picture,
    draw,
    output,
    refuse_overwriting,
    report_of,
)


def _cmd_metrics(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..metrics import VIEWS

    refuse_overwriting("--png", args.png, store=args.store)
    check_picture(args.png)
    views: Sequence[str] | None = None
    if args.all:
        views = list(VIEWS)
    elif args.views:
        views = [v.strip() for v in args.views.split(",") if v.strip()]
    report = report_of(args, views)
    if args.png:
        if "days_by_sentencing_occasion" not in report.results:
            raise UsageError("--png draws days by sentencing occasion: include that view")
        draw(
            args.png,
            "plot_days_by_occasion",
            report.occasions,
            window=report.window,
            as_of=report.as_of,
        )
    return output(args, report)


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    metrics = commands.add_parser(
        "metrics",
        description="Charge-to-conviction conversion, days from arrest to conviction by "
        "sentencing occasion, proven reoffending and the data-quality report, counted over "
        "the store's fact tables (brought up to date first). See docs/definitions.md, "
        "docs/views.md and docs/as_of.md.",
    )
    add_reading(metrics)
    add_by_record(metrics)
    add_jobs(
        metrics,
        "processes to share the work (default 0: every core for stores of 200,000+ "
        "events, else 1); with --engine dask, workers of the local cluster; the numbers "
        "are the same for any N",
    )
    metrics.add_argument(
        "--views",
        metavar="NAMES",
        help="comma-separated views to compute in the one pass (default: "
        "conversion, days_by_sentencing_occasion, reoffending, quality)",
    )
    metrics.add_argument(
        "--all", action="store_true", help="every view: also history_bands, iom, cost, warrants"
    )
    metrics.add_argument(
        "--png",
        metavar="FILE",
        help="also draw days by sentencing occasion into this PNG (plot extra)",
    )
    add_engine(metrics)
    metrics.set_defaults(handler=_cmd_metrics, after_fault=NO_NUMBERS)
