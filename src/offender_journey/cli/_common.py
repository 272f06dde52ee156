"""What the commands share: argument types, common options, store opening, output."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeAlias

from ..progress import Progress

__all__ = [
    "AFTER_FAULT",
    "EXIT_BUSY",
    "EXIT_CTRL_C",
    "EXIT_FAULT",
    "MEND_FAULT",
    "NO_NUMBERS",
    "UNFINISHED_IMPORT",
    "Commands",
    "StoppedByUserError",
    "UsageError",
    "add_by_record",
    "add_engine",
    "add_jobs",
    "add_json",
    "add_reading",
    "add_store",
    "add_window",
    "at_least",
    "atomic_output",
    "data_end",
    "date_arg",
    "draw",
    "instant_arg",
    "open_existing",
    "output",
    "print_json",
    "progress",
    "person_of",
    "read_person",
    "seconds_arg",
    "share_arg",
    "stop_on_ctrl_c",
    "stopped",
    "refuse_overwriting",
    "report_of",
    "same_file",
    "show_view",
    "window_of",
]

#: The store the commands use unless told otherwise (``offender_journey.store.DEFAULT_STORE``,
#: spelled out here so that parsing arguments does not import the stores).
DEFAULT_STORE = "journeys.db"

#: Exit code when the store stayed busy with another writer for too long (``EX_TEMPFAIL``).
EXIT_BUSY = 75
#: Exit code when the machine failed part-way: a full disk, an I/O error.
EXIT_FAULT = 3
#: What a command that met a fault of the machine says it did, unless it says otherwise
#: (``set_defaults(after_fault=...)``): every write is all or nothing.
AFTER_FAULT = "nothing was changed (what a command writes, it writes whole or not at all)"
#: What a view command that met one says it did.
NO_NUMBERS = "no numbers: the fact tables could not be brought up to date (they are as they were)"
#: What to do then.
MEND_FAULT = "free some space (or mend the disk), then run the same command again"

#: What each command module's ``register(commands)`` adds its sub-parser to.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """Bad arguments or unreadable input: exit code 2."""


#: Exit code after Ctrl-C: 128 + SIGINT, as a shell reports a command it interrupted.
EXIT_CTRL_C = 130


class StoppedByUserError(Exception):
    """Ctrl-C was pressed: raised where the work has finished a batch, to stop it there."""


class _Stopping:
    """A :class:`~offender_journey.progress.Progress` that passes counts on to a bar (if
    any) and, once Ctrl-C has been pressed, stops the work at its next count.

    Long work counts once a batch is done (an import's batch stored, a stage's share of
    offenders derived or written), so stopping there leaves no batch half-written.
    """

    def __init__(self, bar: Progress | None) -> None:
        self.bar = bar
        self.requested = False

    def set_description(self, desc: str) -> None:
        if self.bar is not None:
            self.bar.set_description(desc)

    def reset(self, total: int | None = None) -> None:
        if self.bar is not None:
            self.bar.reset(total)

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)
        self.check()

    def check(self) -> None:
        """Raise :class:`StoppedByUserError` if Ctrl-C has been pressed."""
        if self.requested:
            raise StoppedByUserError


@contextlib.contextmanager
def stop_on_ctrl_c(bar: Progress | None = None) -> Iterator[_Stopping]:
    """Within the block, Ctrl-C stops the work at the end of its current batch.

    Pass what this yields as the work's ``progress`` (or call its ``check()`` between
    batches): it raises :class:`StoppedByUserError` there; catch it, then :func:`stopped`. The
    first Ctrl-C is acknowledged on standard error; a second one stops at once.
    """
    stopping = _Stopping(bar)

    def note(_signal: int, _frame: object) -> None:
        if stopping.requested:
            raise KeyboardInterrupt
        stopping.requested = True
        print(
            "\nstopping at the end of the current batch (Ctrl-C again to stop at once)",
            file=sys.stderr,
        )

    try:
        previous = signal.signal(signal.SIGINT, note)
    except ValueError:  # not the main thread (an embedding program): Ctrl-C is its own
        yield stopping
        return
    try:
        yield stopping
    finally:
        signal.signal(signal.SIGINT, previous)


def stopped(done: str) -> int:
    """Say what a command interrupted by Ctrl-C had done, and how to finish the job.

    Returns:
        :data:`EXIT_CTRL_C`, the command's exit code.
    """
    print(
        f"interrupted: {done}. Run the same command again to finish the job.",
        file=sys.stderr,
    )
    return EXIT_CTRL_C


#: The store's note of an import that has started and not finished (see ``ingest``).
UNFINISHED_IMPORT = "unfinished_import"


def warn_if_unfinished(store: Any) -> None:
    """Say on standard error that the store's last import did not finish, if so."""
    meta = getattr(store, "meta", None)
    say_unfinished(None if meta is None else meta(UNFINISHED_IMPORT))


def say_unfinished(note: str | None) -> None:
    """Say on standard error what an unfinished import's note tells, if there is one."""
    if note is None:
        return
    source, _, started = note.partition("\t")
    print(
        f"warning: the import of {source} that started {started} did not finish, so what "
        f"follows may miss part of it: run `offender-journey ingest {source}` again to "
        "finish it, or `offender-journey ingest --acknowledge` to take the store as it is",
        file=sys.stderr,
    )


def at_least(minimum: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers ``>= minimum``, saying so when refused."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {what}; give a whole number >= {minimum}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{value} is too small; give a whole number >= {minimum}"
            )
        return value

    return parse


def share_arg(text: str) -> float:
    """A share from 0 to 1 (``0.75``), or explicitly a percentage (``75%``).

    A bare ``75`` is refused: read as a share it is 7,500 %, and guessing is how a
    threshold ends up silently wrong.
    """
    number = text.strip()
    percent = number.endswith("%")
    try:
        value = float(number.removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a share; give a number from 0 to 1 (e.g. 0.75) or a percentage (75%)"
        ) from None
    if percent:
        value /= 100
    if not 0 <= value <= 1:  # NaN fails too
        hint = f" (did you mean {value / 100:g} or {text}%?)" if 1 < value <= 100 else ""
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a share from 0 to 1{hint}; e.g. 0.75, or 75% as a percentage"
        )
    return value


def seconds_arg(text: str) -> float:
    """A duration in seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def date_arg(text: str) -> dt.date:
    # start-up: loaded by the commands that use it
    from ..codec import parse_date

    try:
        return parse_date(text)
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {exc}") from None


def instant_arg(text: str) -> dt.datetime | None:
    """``--as-of``: a datetime with offset, or a bare date meaning the end of that UTC day."""
    # start-up: loaded by the commands that use it
    from ..history import as_of_instant

    try:
        return as_of_instant(text)
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


def add_jobs(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--jobs N``: processes here, or workers of a local Dask cluster (0: automatic)."""
    parser.add_argument("--jobs", type=at_least(0), default=0, metavar="N", help=help_text)


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file, however spelled (relative, symlink, hard link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_overwriting(
    option: str, output: str | None, *, store: str = "", source: str = ""
) -> None:
    """Exit 2, before anything is written, if an output would replace the input or the store.

    The store's write-ahead log files count as the store.
    """
    if not output or output == "-":
        return
    if os.path.isdir(output):
        raise UsageError(f"{option} {output!r} is a directory; give a file name")
    kept: list[tuple[str, str]] = []
    if source and source != "-":
        kept.append((source, f"the input file {source!r}"))
    if store and store != ":memory:":
        kept += [(store + end, f"the store {store!r}") for end in ("", "-wal", "-shm", "-journal")]
    for path, what in kept:
        if same_file(output, path):
            raise UsageError(f"{option} {output!r} is {what}: refusing to overwrite it")


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[str]:
    """A temporary owner-only file beside ``path``, renamed onto it when the block succeeds.

    Nobody ever sees half an output, a failure leaves any earlier file as it was, and
    the file is readable by its owner only (outputs hold offenders' records). Yields
    the temporary file's path (same suffix, so writers that go by suffix still can);
    what a killed run left beside ``path`` is removed first (see
    :mod:`~offender_journey.workfiles`).
    """
    from ..workfiles import work_file  # here: most commands write no file

    try:
        temporary = work_file(path)
    except OSError as exc:  # the reason only: the temporary file's name is ours, not the user's
        raise UsageError(f"cannot write {path!r}: {exc.strerror}") from None
    try:
        yield temporary
        try:
            os.replace(temporary, path)
        except OSError as exc:
            raise UsageError(f"cannot write {path!r}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


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


def add_by_record(parser: argparse.ArgumentParser) -> None:
    """``--by-record``: count each source record on its own, whatever links them."""
    parser.add_argument(
        "--by-record",
        action="store_true",
        help="count each source record on its own, as if no records were linked into "
        "persons (default: persons, when the store holds link decisions)",
    )


def add_reading(parser: argparse.ArgumentParser) -> None:
    """What every command reading the store takes, in this order: ``--store``, the window
    (``--from``, ``--to``, ``--as-of``) and ``--json``."""
    add_store(parser)
    add_window(parser)
    add_json(parser)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def output(
    args: argparse.Namespace,
    result: Any,
    *,
    text: Callable[[], str] | None = None,
    as_json: Callable[[], Any] | None = None,
) -> int:
    """Print a command's answer; its exit code (0).

    With ``--json`` the JSON (``as_json()``, else ``result.to_json()``), else the text
    (``text()``, else ``result``): only the one asked for is made.
    """
    if args.json:
        print_json(result.to_json() if as_json is None else as_json())
    else:
        print(result if text is None else text())
    return 0


@contextlib.contextmanager
def progress(enabled: bool | None = None, *, unit: str = "offenders") -> Iterator[Progress | None]:
    """A tqdm bar on standard error (the ``progress`` extra), or ``None``: no bar, no error.

    ``enabled`` defaults to whether standard error is a terminal: never on a pipe or a
    file. Long reads name their stage and set the bar's total themselves (see
    :mod:`offender_journey.progress`); ``unit`` is what is counted: lines read are
    counted in thousands (``1.2M lines``), offenders whole.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    try:
        # the progress extra (tqdm)
        from tqdm import tqdm
    except ImportError:
        yield None
        return

    class Bar(tqdm):  # type: ignore[misc]  # tqdm is untyped
        # No monitor thread: commands fork worker processes while the bar shows, and a
        # fork with another thread running may deadlock the child (Python 3.12 warns).
        monitor_interval = 0

    bar = Bar(
        unit=f" {unit}",
        unit_scale=unit == "lines",
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )
    try:
        yield bar
    finally:
        bar.close()


def _must_exist(path: str) -> None:
    if path != ":memory:" and "://" not in path and not os.path.exists(path):
        raise UsageError(f"no store at {path!r} (run `offender-journey ingest` first)")


def open_existing(path: str) -> Any:
    """The store at ``path``, which reading commands never create."""
    _must_exist(path)
    # start-up: loaded by the commands that use it
    from ..store import open_store

    store = open_store(path, create=False)
    warn_if_unfinished(store)
    return store


def read_person(args: argparse.Namespace) -> Any:
    """The history of the person ``args.offender_id`` names, as linked at ``args.as_of``:
    a person id, or a source record (then its person, which standard error names), put
    together under the store's rules.

    In a store without link decisions a record is a person of its own: its one stream.
    An unknown id is a usage error naming the nearest ids the store holds.
    """
    # start-up: loaded by the commands that use it
    from ..errors import nearest
    from ..facts.linked import history_of, linked_persons
    from ..persons import read_rules

    asked = args.offender_id
    store = open_existing(args.store)
    try:
        persons = linked_persons(store, args.as_of)
        person, streams = person_of(store, asked, persons, args.as_of)
        rules = read_rules(store)
        close = [] if streams else nearest(asked, [*store.offenders(), *set(persons.values())])
    finally:
        store.close()
    if not streams:
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UsageError(
            f"no events for offender {asked!r} in {args.store!r}{hint} "
            "(`offender-journey offenders --prefix TEXT` lists the ids that begin with TEXT)"
        )
    if person != asked or len(streams) > 1:
        held = ", ".join(streams)
        named = f"{asked} belongs to person {person}: " if person != asked else ""
        print(f"{named}the timeline of {person}, from records {held}", file=sys.stderr)
    return history_of(person, streams, args.as_of, rules=rules)


def person_of(
    store: Any, asked: str, persons: dict[str, str], as_of: dt.datetime | None
) -> tuple[str, dict[str, list[Any]]]:
    """The person ``asked`` names (a person id, or a record of theirs) under the links
    ``persons``, with their records' events as of ``as_of`` (records with none left out)."""
    # start-up: loaded by the commands that use it
    from ..events import record_key
    from ..linkage.decisions import parse_record

    try:
        key = record_key(*parse_record(asked))
    except ValueError as error:
        raise UsageError(str(error)) from None
    person = persons.get(key, key)
    records = sorted(r for r, p in persons.items() if p == person)
    if person not in persons:  # a record linked to nobody else, or a person's id
        records.append(person)
    streams = {r: store.read_stream(r, as_of=as_of) for r in records}
    return person, {r: events for r, events in streams.items() if events}


def data_end(path: str) -> dt.date | None:
    """The data's end: the latest event date the store holds (``None`` when empty).

    Commands that look at one day default to it rather than to today, so that an extract
    that ends years ago is not read as if nothing had happened since.
    """
    # start-up: loaded by the commands that use it
    from ..store import open_store

    store = open_store(path, create=False)
    try:
        return max((s.last_date for s in store.offender_summaries()), default=None)
    finally:
        store.close()


def window_of(args: argparse.Namespace) -> Any:
    # start-up: loaded by the commands that use it
    from ..history import Window

    if args.start and args.end and args.start > args.end:
        raise UsageError(f"--from {args.start} is after --to {args.end}")
    return Window(args.start, args.end)


def report_of(args: argparse.Namespace, views: Sequence[Any] | None) -> Any:
    """One pass over the store for the given views (names or configured views)."""
    # start-up: loaded by the commands that use it
    from ..metrics import compute_store

    window = window_of(args)
    if getattr(args, "engine", "local") == "dask":
        if not getattr(args, "by_record", False) and not args.parquet and _holds_links(args.store):
            raise UsageError(
                "--engine dask counts each source record on its own: give --by-record for "
                "that, or use --engine local to count the persons the records are linked into"
            )
        return _dask_report(args, window, views)
    if getattr(args, "parquet", None):
        raise UsageError("--parquet needs --engine dask")
    _must_exist(args.store)
    # --jobs 0 (the default): as many processes as the store's size is worth, decided
    # only if the log must be folded or the tables refreshed.
    jobs: int = getattr(args, "jobs", 1)
    if args.store == ":memory:":
        jobs = max(jobs, 1)
    stored: int | None = None
    if "://" not in args.store and args.store != ":memory:":
        with open_existing(args.store) as store:  # says if the last import did not finish
            stored = store.count_events()
    elif "://" in args.store:
        # the postgres extra (psycopg), loaded by the commands that use it
        from ..store.postgres import read_note

        say_unfinished(read_note(args.store, UNFINISHED_IMPORT))  # a reader role too
    try:
        with progress() as bar:
            report = compute_store(
                args.store,
                window=window,
                as_of=args.as_of,
                views=views,
                jobs=jobs,
                progress=bar,
                by_record=getattr(args, "by_record", False),
            )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if stored is None:
        return report
    # start-up: loaded by the commands that use it
    import attrs

    return attrs.evolve(report, stored=stored)


def _holds_links(path: str) -> bool:
    """Whether the store at ``path`` holds link decisions."""
    # start-up: loaded by the commands that use it
    from ..facts.linked import linked_persons

    with open_existing(path) as store:
        return bool(linked_persons(store))


def _dask_report(args: argparse.Namespace, window: Any, views: Sequence[Any] | None) -> Any:
    # the dask extra
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


def refresh_on_dask(args: argparse.Namespace) -> int:
    """``refresh --engine dask``: the fact tables of a Parquet directory, written as Parquet."""
    # the dask extra
    from ..engines import dask

    if args.engine != "dask":
        raise UsageError("--parquet and --out are for --engine dask")
    if not args.parquet or not args.out:
        raise UsageError(
            "--engine dask reads --parquet DIR (events as `export --format parquet` writes "
            "them) and writes the fact tables to --out DIR"
        )
    try:
        written = dask.refresh_parquet(
            args.parquet,
            args.out,
            scheduler=args.scheduler,
            workers=args.jobs if args.jobs > 1 else None,
            timeout=args.scheduler_timeout,
            progress=sys.stderr.isatty(),
        )
    except (FileExistsError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print_json(written.to_json())
    else:
        print(written)
    return 0


def show_view(args: argparse.Namespace, view: Any, *, listing: bool = False, note: str = "") -> int:
    """Print one view's result over the whole store (text or ``--json``).

    ``listing`` adds the result's table (one row per person, for views that have them);
    ``note`` says, under the headline, a choice made for the user (a default day).
    """
    report = report_of(args, [view])
    result = report.results[view if isinstance(view, str) else view.name]
    counts = {"offenders": report.offenders, "events": report.events}

    def text() -> str:
        head = report.headline(stored=False) + (f"\n{note}" if note else "")
        return f"{head}\n{result}" + (f"\n\n{result.table().to_text()}" if listing else "")

    return output(args, result, text=text, as_json=lambda: {**counts, **result.to_json()})


def check_picture(path: str | None) -> None:
    """Before any work, refuse a ``--png`` file that cannot be written: matplotlib
    missing, a format it does not know, or a folder that does not exist."""
    if not path:
        return
    try:
        # the plot extra (matplotlib)
        import matplotlib
    except ImportError:
        # start-up: loaded by the commands that use it
        from ..errors import MissingExtraError

        raise MissingExtraError("--png", "plot", "matplotlib") from None
    matplotlib.use("Agg")
    # start-up: loaded by the commands that draw
    from ..plot.style import output_format

    output_format(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path!r}: there is no folder {os.path.dirname(path)!r}")


def draw(path: str, function: str, *arguments: Any, dpi: int = 130, **options: Any) -> None:
    """Draw with :mod:`offender_journey.plot` into a picture file (the format its suffix
    names), without any window popping up."""
    check_picture(path)
    # start-up: loaded by the commands that use it
    from .. import plot

    axes = getattr(plot, function)(*arguments, **options)
    with atomic_output(path) as temporary:
        plot.save(axes, temporary, dpi=dpi)
    print(f"picture written to {path}", file=sys.stderr)
