"""The ``offender-journey`` command: import events, then ask for the numbers.

Each command is a function ``_cmd_<name>(args) -> int`` (the exit code) and is
registered in :func:`build_parser`. Exit codes: 0 success, 1 the job ran but
some input was rejected, 2 usage errors (bad arguments, unreadable files).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

import attrs

from .codec import parse_date, parse_instant
from .errors import OffenderJourneyError
from .io import CsvMapping, MappingError, Rejection, import_csv, import_jsonl, write_rejection
from .store import DEFAULT_STORE, open_store

__all__ = ["build_parser", "main"]

_DESCRIPTION = """\
Offenders' journeys through the criminal justice system of England and Wales,
kept as immutable event streams in a store (SQLite file, default journeys.db).

Typical session:
  offender-journey synth cohort.jsonl --offenders 500   # make synthetic data
  offender-journey ingest cohort.jsonl                  # store it
  offender-journey metrics                              # the headline numbers
  offender-journey timeline OFFENDER_ID                 # one person's journey
"""


class UsageError(Exception):
    """Bad arguments or unreadable input: exit code 2."""


# --- argument types -----------------------------------------------------------------


def _date_arg(text: str) -> dt.date:
    try:
        return parse_date(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {exc}") from None


def _instant_arg(text: str) -> dt.datetime:
    """``--as-of``: a datetime with offset, or a bare date meaning the end of that UTC day."""
    try:
        if len(text) == 10:
            day = parse_date(text)
            return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        return parse_instant(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(
            f"not a datetime with a UTC offset (e.g. 2024-03-31T23:59:59+00:00): {exc}"
        ) from None


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=DEFAULT_STORE,
        metavar="PATH",
        help=f"the SQLite store to use (default: {DEFAULT_STORE} in the working directory)",
    )


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _add_window(parser: argparse.ArgumentParser, *, as_of: bool = True) -> None:
    parser.add_argument(
        "--from",
        dest="start",
        type=_date_arg,
        metavar="DATE",
        help="first day of the valid-time window (inclusive)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=_date_arg,
        metavar="DATE",
        help="last day of the valid-time window (inclusive)",
    )
    if as_of:
        parser.add_argument(
            "--as-of",
            dest="as_of",
            type=_instant_arg,
            metavar="DATETIME",
            help="see only what was recorded by then (ISO datetime with offset; "
            "a bare date means the end of that day, UTC); default: now",
        )


def _print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


# --- ingest ---------------------------------------------------------------------------


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A tqdm line counter on a terminal (the ``progress`` extra); silent otherwise."""
    if not enabled:
        yield None
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield None
        return
    bar = tqdm(unit=" lines", unit_scale=True, file=sys.stderr, leave=False)
    seen = 0

    def update(lines: int) -> None:
        nonlocal seen
        bar.update(lines - seen)
        seen = lines

    try:
        yield update
    finally:
        bar.close()


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.mapping or args.type or str(args.events).lower().endswith(".csv"):
        return "csv"
    return "jsonl"


def _mapping_of(args: argparse.Namespace) -> CsvMapping:
    """The CSV mapping: from ``--mapping FILE``, with ``--type`` fixing the event type."""
    try:
        mapping = CsvMapping.load(args.mapping) if args.mapping else CsvMapping()
        return attrs.evolve(mapping, type=args.type) if args.type else mapping
    except (MappingError, ValueError) as exc:
        raise UsageError(str(exc)) from None


def _cmd_ingest(args: argparse.Namespace) -> int:
    source = args.events
    if source != "-" and not os.path.isfile(source):
        raise UsageError(f"cannot read {source!r}: no such file")
    rejects: IO[bytes] | None = None
    with contextlib.ExitStack() as stack:
        if args.rejects:
            try:
                rejects = stack.enter_context(open(args.rejects, "wb"))
            except OSError as exc:
                raise UsageError(f"cannot write rejects file {args.rejects!r}: {exc}") from None
        store = open_store(args.store)
        stack.callback(store.close)
        shown = 0

        def on_reject(rejection: Rejection) -> None:
            nonlocal shown
            if rejects is not None:
                write_rejection(rejects, rejection)
            if not args.json and shown < 20:
                print(f"rejected {rejection}", file=sys.stderr)
            shown += 1

        interactive = sys.stderr.isatty() and not args.json
        with _progress(interactive) as on_progress:
            options: dict[str, Any] = {
                "strict": args.strict,
                "on_reject": on_reject,
                "on_progress": on_progress,
            }
            if _format_of(args) == "csv":
                report = import_csv(source, store, mapping=_mapping_of(args), **options)
            else:
                report = import_jsonl(source, store, **options)
    if args.json:
        _print_json(report.to_json())
    else:
        if report.rejected > 20:
            print(
                f"... and {report.rejected - 20} more rejected lines"
                + (
                    f" (all in {args.rejects})"
                    if args.rejects
                    else " (use --rejects FILE to keep them)"
                ),
                file=sys.stderr,
            )
        if report.lines == 0:
            print(f"no events found in {source}", file=sys.stderr)
        print(f"{report} -> {args.store}")
    return 1 if report.rejected else 0


# --- synth -----------------------------------------------------------------------------------


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth import PRESETS, write_jsonl

    if args.preset not in PRESETS:
        raise UsageError(f"unknown preset {args.preset!r}; choose from {', '.join(PRESETS)}")
    if args.out == "-":
        count = write_jsonl(sys.stdout, args.offenders, seed=args.seed, preset=args.preset)
    else:
        count = write_jsonl(args.out, args.offenders, seed=args.seed, preset=args.preset)
        print(f"{count} events for {args.offenders} offenders -> {args.out}", file=sys.stderr)
    return 0


# --- metrics, timeline, quality ----------------------------------------------------------


def _open_existing(path: str) -> Any:
    if path != ":memory:" and not os.path.exists(path):
        raise UsageError(f"no store at {path!r} (run `offender-journey ingest` first)")
    return open_store(path)


def _window_of(args: argparse.Namespace) -> Any:
    from .projections import Window

    if args.start and args.end and args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}")
    return Window(args.start, args.end)


def _jobs(args: argparse.Namespace, store_path: str) -> int:
    """``--jobs``: as asked, or (0, the default) every core once the store is large."""
    asked: int = args.jobs
    if asked > 0 or store_path == ":memory:":
        return max(asked, 1)
    with open_store(store_path) as store:
        large = store.count_events() >= 200_000
    return (os.cpu_count() or 1) if large else 1


def _report(args: argparse.Namespace, views: Sequence[Any] | None) -> Any:
    """One pass over the store for the given views (names or configured views)."""
    from .metrics import compute_store

    window = _window_of(args)
    _open_existing(args.store).close()
    jobs = _jobs(args, args.store) if hasattr(args, "jobs") else 1
    try:
        return compute_store(args.store, window=window, as_of=args.as_of, views=views, jobs=jobs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _cmd_metrics(args: argparse.Namespace) -> int:
    from .metrics import VIEWS

    views: Sequence[str] | None = None
    if args.all:
        views = list(VIEWS)
    elif args.views:
        views = [v.strip() for v in args.views.split(",") if v.strip()]
    report = _report(args, views)
    if args.png:
        if "days_by_sentencing_occasion" not in report.results:
            raise UsageError("--png draws days by sentencing occasion: include that view")
        _draw(args.png, "plot_days_by_occasion", report.occasions)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report)
    return 0


def _show_view(args: argparse.Namespace, view: Any) -> int:
    """Print one view's result over the whole store (text or ``--json``)."""
    report = _report(args, [view])
    result = report.results[view if isinstance(view, str) else view.projection.name]
    if args.json:
        _print_json({"offenders": report.offenders, "events": report.events, **result.to_json()})
    else:
        print(f"{report.offenders} offenders, {report.events} events")
        print(result)
    return 0


def _cmd_reoffending(args: argparse.Namespace) -> int:
    return _show_view(args, "reoffending")


def _cmd_history(args: argparse.Namespace) -> int:
    return _show_view(args, "history_bands")


def _cmd_iom(args: argparse.Namespace) -> int:
    from .events import Category
    from .metrics import View
    from .projections.iom import LONDON, IomCohort, IomProjection

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
    return _show_view(args, View(projection, IomCohort))


def _cmd_cost(args: argparse.Namespace) -> int:
    from .metrics import View
    from .projections.cost import CostProjection, CostReport, CostTable

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
    return _show_view(args, View(projection, CostReport, projection.accumulator))


def _cmd_warrants(args: argparse.Namespace) -> int:
    from .metrics import View
    from .projections.warrants import WarrantsProjection, WarrantTargets

    days = dict(WarrantTargets().days)
    for item in (args.targets or "").split(","):
        if not item.strip():
            continue
        category, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise UsageError(f"--targets: expected CATEGORY=DAYS, got {item!r}")
        days[category.strip()] = int(value)
    projection = WarrantsProjection(WarrantTargets(days=days, on_time_share=args.on_time))
    return _show_view(args, View(projection, projection.empty))


def _cmd_risk(args: argparse.Namespace) -> int:
    from .projections.base import History, as_of_date
    from .projections.history_bands import history_at
    from .projections.ogrs3 import ogrs3_at, risk_at

    store = _open_existing(args.store)
    try:
        events = store.read_stream(args.offender_id, as_of=args.as_of)
    finally:
        store.close()
    if not events:
        raise UsageError(f"no events for offender {args.offender_id!r} in {args.store!r}")
    history = History.build(args.offender_id, events, args.as_of)
    day = args.on or as_of_date(args.as_of)
    ogrs3 = ogrs3_at(history, day)
    chosen = risk_at(history, day)
    record = history_at(history, day)
    out = {
        "offender_id": args.offender_id,
        "on": day.isoformat(),
        "ogrs3": ogrs3.to_json(),
        "score_used": attrs.asdict(chosen) if not hasattr(chosen, "missing") else None,
        "previous_convictions": record.previous_convictions,
        "previous_cautions": record.previous_cautions,
    }
    if args.json:
        _print_json(json.loads(json.dumps(out, default=str)))
        return 0
    print(
        f"{args.offender_id} on {day}: {record.previous_convictions} previous convictions, "
        f"{record.previous_cautions} previous cautions"
    )
    if ogrs3.missing:
        print("OGRS3: cannot be computed, missing " + ", ".join(ogrs3.missing))
    else:
        print(
            f"OGRS3: {ogrs3.percent_1y} % within 1 year, {ogrs3.percent_2y} % within 2 years "
            f"({ogrs3.band}); inputs {ogrs3.inputs}"
        )
    if out["score_used"]:
        used = out["score_used"]
        print(
            f"score used for selection: {100 * used['score_2y']:.0f} % ({used['source']}, "
            f"{used['date']})"
        )
    return 0


def _cmd_quality(args: argparse.Namespace) -> int:
    from .metrics import compute

    window = _window_of(args)
    store = _open_existing(args.store)
    try:
        report = compute(
            store.read_all(as_of=args.as_of), window=window, as_of=args.as_of, views=["quality"]
        )
    finally:
        store.close()
    if args.json:
        _print_json(report.to_json())
    else:
        print(f"{report.offenders} offenders, {report.events} events")
        print(report.quality)
    return 0


def _cmd_timeline(args: argparse.Namespace) -> int:
    from .metrics import timeline

    window = _window_of(args)
    store = _open_existing(args.store)
    try:
        events = store.read_stream(args.offender_id, as_of=args.as_of)
    finally:
        store.close()
    if not events:
        raise UsageError(f"no events for offender {args.offender_id!r} in {args.store}")
    result = timeline(events, window=window, as_of=args.as_of)
    if args.png:
        from .projections import History

        _draw(
            args.png, "plot_timeline", History.build(args.offender_id, events, args.as_of), window
        )
    if args.json:
        _print_json(result.to_json())
    else:
        print(result)
    return 0


def _draw(path: str, function: str, *arguments: Any) -> None:
    """Draw with :mod:`offender_journey.plot` into a PNG file, without any window popping up."""
    try:
        import matplotlib
    except ImportError:
        from .errors import MissingExtraError

        raise MissingExtraError("--png", "plot", "matplotlib") from None
    matplotlib.use("Agg")
    from . import plot

    try:
        plot.save(getattr(plot, function)(*arguments), path)
    except OSError as exc:
        raise UsageError(f"cannot write {path!r}: {exc}") from None
    print(f"picture written to {path}", file=sys.stderr)


# --- the parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar (also used to document it)."""
    parser = argparse.ArgumentParser(
        prog="offender-journey",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = commands.add_parser(
        "ingest",
        help="import events from a JSON Lines file",
        description="Import events (one JSON object per line, SPEC section 2) into the store. "
        "Every line is stored, recognised as already present, or rejected with its line "
        "number, field and reason. Exit 0: nothing rejected; 1: some lines rejected (the "
        "rest stored, or nothing with --strict); 2: usage error.",
    )
    ingest.add_argument(
        "events",
        metavar="EVENTS.jsonl",
        help="the file to import (JSON Lines, or CSV); - for stdin",
    )
    _add_store(ingest)
    ingest.add_argument(
        "--strict", action="store_true", help="store nothing at all if any line is rejected"
    )
    ingest.add_argument(
        "--rejects",
        metavar="FILE",
        help="write each rejected line here: line number, reasons, the line "
        "verbatim (tab-separated)",
    )
    ingest.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        help="input format (default: csv for *.csv files, else jsonl)",
    )
    ingest.add_argument(
        "--mapping",
        metavar="FILE.toml",
        help="CSV column mapping (see docs/csv.md); default: SPEC field names",
    )
    ingest.add_argument(
        "--type", metavar="TYPE", help="CSV: every row is this event type (one file per kind)"
    )
    _add_json(ingest)
    ingest.set_defaults(handler=_cmd_ingest)

    synth = commands.add_parser(
        "synth",
        help="write a synthetic cohort as JSON Lines",
        description="Generate seeded, realistic synthetic journeys (deterministic per seed).",
    )
    synth.add_argument("out", metavar="OUT.jsonl", help="where to write; - for stdout")
    synth.add_argument(
        "--offenders", type=int, default=200, metavar="N", help="how many offenders (default 200)"
    )
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument(
        "--preset",
        default="default",
        help="population preset: default or prolific (default: default)",
    )
    synth.set_defaults(handler=_cmd_synth)

    metrics = commands.add_parser(
        "metrics",
        help="the headline numbers over every offender in the store",
        description="Charge-to-conviction conversion (SPEC 3.1), days from arrest to "
        "conviction by sentencing occasion (3.2) and the data-quality report, in one pass "
        "over the store. See docs/views.md and docs/as_of.md.",
    )
    _add_store(metrics)
    _add_window(metrics)
    _add_json(metrics)
    metrics.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes to share the work (default 0: every core for stores of 200,000+ "
        "events, else 1); the numbers are the same for any N",
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
    metrics.set_defaults(handler=_cmd_metrics)

    def view_command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=description)
        _add_store(sub)
        _add_window(sub)
        _add_json(sub)
        sub.add_argument(
            "--jobs",
            type=int,
            default=0,
            metavar="N",
            help="processes to share the work (default: automatic)",
        )
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
    iom.add_argument("--on", type=_date_arg, metavar="DATE", help="the selection day")
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

    risk = commands.add_parser(
        "risk",
        help="OGRS3 and criminal history of one offender",
        description="OGRS3 (1- and 2-year probabilities, band) computed from the stream on a "
        "day, with the inputs used or the inputs missing; and the score IOM selection would use.",
    )
    risk.add_argument("offender_id", metavar="OFFENDER_ID")
    _add_store(risk)
    risk.add_argument("--on", type=_date_arg, metavar="DATE", help="the day (default today)")
    risk.add_argument(
        "--as-of",
        dest="as_of",
        type=_instant_arg,
        metavar="DATETIME",
        help="see only what was recorded by then",
    )
    _add_json(risk)
    risk.set_defaults(handler=_cmd_risk)

    timeline = commands.add_parser(
        "timeline",
        help="one offender's timeline: events, episodes, flags, window summary",
        description="The IDIOM-style timeline of one offender (SPEC 3.3): events in the "
        "window, episodes (on bail, remanded, in custody, on licence, suspended sentence, "
        "community order, warrant outstanding), offences flagged as committed on bail / "
        "licence / order, and counts before and within the window.",
    )
    timeline.add_argument("offender_id", metavar="OFFENDER_ID", help="whose timeline")
    timeline.add_argument(
        "--png", metavar="FILE", help="also draw the IDIOM-style picture into this PNG (plot extra)"
    )
    _add_store(timeline)
    _add_window(timeline)
    _add_json(timeline)
    timeline.set_defaults(handler=_cmd_timeline)

    quality = commands.add_parser(
        "quality",
        help="the data-quality report: stored facts that are not trusted, by kind",
        description="Counts, by kind, of every oddity the store holds (outcome for an "
        "unknown charge, conviction before its charge, offence after its arrest, bail "
        "ended but never granted, negative durations, ...), with example event ids. "
        "See docs/quality.md.",
    )
    _add_store(quality)
    _add_window(quality)
    _add_json(quality)
    quality.set_defaults(handler=_cmd_quality)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (UsageError, OffenderJourneyError) as exc:
        print(f"offender-journey {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
