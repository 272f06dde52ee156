"""What the commands share: argument types, common options, store opening, output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeAlias

from ..codec import parse_date, parse_instant
from ..store import DEFAULT_STORE, open_store

__all__ = [
    "Commands",
    "UsageError",
    "add_engine",
    "add_json",
    "add_store",
    "add_window",
    "date_arg",
    "draw",
    "instant_arg",
    "jobs_for",
    "open_existing",
    "print_json",
    "progress",
    "report_of",
    "show_view",
    "window_of",
]

#: What each command module's ``register(commands)`` adds its sub-parser to.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """Bad arguments or unreadable input: exit code 2."""


def date_arg(text: str) -> dt.date:
    try:
        return parse_date(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {exc}") from None


def instant_arg(text: str) -> dt.datetime:
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


def add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=DEFAULT_STORE,
        metavar="PATH",
        help=f"the store to use: a SQLite file (default: {DEFAULT_STORE} in the working "
        "directory) or a postgresql://USER@HOST:PORT/DATABASE URL",
    )


def add_engine(parser: argparse.ArgumentParser) -> None:
    """``--engine dask`` and its options: the same numbers, computed on a Dask cluster."""
    group = parser.add_argument_group("on a Dask cluster (the dask extra; see docs/scale.md)")
    group.add_argument(
        "--engine",
        choices=["local", "dask"],
        default="local",
        help="local: processes on this machine (default); dask: one task per partition "
        "on a Dask cluster",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an existing Dask scheduler, e.g. tcp://host:8786 (default: a local cluster "
        "with one worker per core, or --jobs workers)",
    )
    group.add_argument(
        "--parquet",
        metavar="DIR",
        help="read the Parquet partitions exported to DIR instead of the store",
    )
    group.add_argument(
        "--scheduler-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for --scheduler to answer (default 10)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def add_window(parser: argparse.ArgumentParser, *, as_of: bool = True) -> None:
    parser.add_argument(
        "--from",
        dest="start",
        type=date_arg,
        metavar="DATE",
        help="first day of the valid-time window (inclusive)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=date_arg,
        metavar="DATE",
        help="last day of the valid-time window (inclusive)",
    )
    if as_of:
        parser.add_argument(
            "--as-of",
            dest="as_of",
            type=instant_arg,
            metavar="DATETIME",
            help="see only what was recorded by then (ISO datetime with offset; "
            "a bare date means the end of that day, UTC); default: now",
        )


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@contextlib.contextmanager
def progress(enabled: bool) -> Iterator[Callable[[int], None] | None]:
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


def open_existing(path: str) -> Any:
    if path != ":memory:" and "://" not in path and not os.path.exists(path):
        raise UsageError(f"no store at {path!r} (run `offender-journey ingest` first)")
    return open_store(path)


def window_of(args: argparse.Namespace) -> Any:
    from ..projections import Window

    if args.start and args.end and args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}")
    return Window(args.start, args.end)


def jobs_for(args: argparse.Namespace, store_path: str) -> int:
    """``--jobs``: as asked, or (0, the default) every core once the store is large."""
    asked: int = args.jobs
    if asked > 0 or store_path == ":memory:":
        return max(asked, 1)
    with open_store(store_path) as store:
        large = store.count_events() >= 200_000
    return (os.cpu_count() or 1) if large else 1


def report_of(args: argparse.Namespace, views: Sequence[Any] | None) -> Any:
    """One pass over the store for the given views (names or configured views)."""
    from ..metrics import compute_store

    window = window_of(args)
    if getattr(args, "engine", "local") == "dask":
        return _dask_report(args, window, views)
    if getattr(args, "parquet", None):
        raise UsageError("--parquet needs --engine dask")
    open_existing(args.store).close()
    jobs = jobs_for(args, args.store) if hasattr(args, "jobs") else 1
    try:
        return compute_store(args.store, window=window, as_of=args.as_of, views=views, jobs=jobs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _dask_report(args: argparse.Namespace, window: Any, views: Sequence[Any] | None) -> Any:
    from ..engines import dask

    options: dict[str, Any] = {
        "window": window,
        "as_of": args.as_of,
        "views": views,
        "scheduler": args.scheduler,
        "workers": args.jobs or None,
        "timeout": args.scheduler_timeout,
        "progress": sys.stderr.isatty(),
    }
    try:
        if args.parquet:
            return dask.compute_parquet(args.parquet, **options)
        open_existing(args.store).close()
        return dask.compute_store(args.store, **options)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None


def show_view(args: argparse.Namespace, view: Any, *, listing: bool = False) -> int:
    """Print one view's result over the whole store (text or ``--json``).

    ``listing`` adds the result's table (one row per person, for views that have them).
    """
    from ..tables import plural

    report = report_of(args, [view])
    result = report.results[view if isinstance(view, str) else view.projection.name]
    if args.json:
        print_json({"offenders": report.offenders, "events": report.events, **result.to_json()})
    else:
        print(f"{plural(report.offenders, 'offender')}, {plural(report.events, 'event')}")
        print(result)
        if listing:
            print()
            print(result.table().to_text())
    return 0


def draw(path: str, function: str, *arguments: Any, dpi: int = 130, **options: Any) -> None:
    """Draw with :mod:`offender_journey.plot` into a PNG file, without any window popping up."""
    try:
        import matplotlib
    except ImportError:
        from ..errors import MissingExtraError

        raise MissingExtraError("--png", "plot", "matplotlib") from None
    matplotlib.use("Agg")
    from .. import plot

    try:
        plot.save(getattr(plot, function)(*arguments, **options), path, dpi=dpi)
    except OSError as exc:
        raise UsageError(f"cannot write {path!r}: {exc}") from None
    print(f"picture written to {path}", file=sys.stderr)
