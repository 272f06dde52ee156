"""``ingest``: import events from JSON Lines or CSV, accounting for every line."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import attrs

from ..errors import StoreBusyError, machine_fault
from ..events import SOURCE_NAME
from ..facts import keeps_facts, may_refresh, refresh_facts
from ..io import (
    CsvMapping,
    ImportInterruptedError,
    ImportReport,
    MappingError,
    Rejection,
    import_csv,
    import_jsonl,
    write_rejection,
)
from ..store import BUSY_TIMEOUT, open_store
from ._common import (
    EXIT_BUSY,
    EXIT_CTRL_C,
    EXIT_FAULT,
    UNFINISHED_IMPORT,
    Commands,
    StoppedByUserError,
    UsageError,
    add_jobs,
    add_json,
    add_store,
    atomic_output,
    print_json,
    progress,
    refuse_overwriting,
    same_file,
    seconds_arg,
    stop_on_ctrl_c,
    stopped,
)

if TYPE_CHECKING:
    from ..facts.refresh import RefreshReport
    from ..progress import Progress


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.mapping or args.type or args.delimiter or str(args.events).lower().endswith(".csv"):
        return "csv"
    return "jsonl"


def _mapping_of(args: argparse.Namespace) -> CsvMapping:
    """The mapping of ``--mapping FILE``, with ``--type``, ``--delimiter``, ``--source`` over it."""
    try:
        mapping = CsvMapping.load(args.mapping) if args.mapping else CsvMapping()
        if args.type:
            mapping = attrs.evolve(mapping, type=args.type)
        if args.delimiter:
            delimiter = "\t" if args.delimiter in ("tab", "\\t") else args.delimiter
            mapping = attrs.evolve(mapping, delimiter=delimiter)
        if args.source and mapping.source not in (None, args.source):
            raise UsageError(
                f"--source {args.source} disagrees with the mapping's source {mapping.source!r}"
            )
        return attrs.evolve(mapping, source=args.source) if args.source else mapping
    except (MappingError, ValueError) as exc:
        raise UsageError(str(exc)) from None


def _acknowledge(args: argparse.Namespace) -> int:
    """``ingest --acknowledge``: take the store as it is after an unfinished import."""
    if args.events is not None:
        raise UsageError("--acknowledge takes no file: it only forgets an unfinished import")
    if not os.path.exists(args.store) and "://" not in args.store:
        raise UsageError(f"no store at {args.store!r}")
    with contextlib.closing(open_store(args.store, create=False)) as opened:
        store: Any = opened  # a store that keeps notes has ``meta`` and ``set_meta``
        note = store.meta(UNFINISHED_IMPORT) if hasattr(store, "meta") else None
        if note is None:
            print(f"no unfinished import in {args.store}")
            return 0
        store.set_meta(UNFINISHED_IMPORT, None)
    print(
        f"the unfinished import of {note.partition(chr(9))[0]} is acknowledged: "
        "commands no longer warn about it"
    )
    return 0


def _mark(store: Any, source: str) -> Callable[[], None]:
    """Note in the store that an import of ``source`` has started; returns what clears it.

    Until cleared (the import ran to its end) or acknowledged, reading commands say the
    store may hold only part of that import. Stores without notes are left alone.
    """
    if not hasattr(store, "set_meta"):
        return lambda: None
    name = "-" if source == "-" else os.path.abspath(source)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    store.set_meta(UNFINISHED_IMPORT, f"{name}\t{started}")
    return lambda: store.set_meta(UNFINISHED_IMPORT, None)


def _source_name(text: str) -> str:
    """``--source``: a source's name, as events carry it."""
    if SOURCE_NAME.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a source name: a lower-case letter, then up to 31 lower-case "
            "letters, digits or underscores (police, courts, probation, prison ...)"
        )
    return text


def _cmd_ingest(args: argparse.Namespace) -> int:
    if args.acknowledge:
        return _acknowledge(args)
    source = args.events
    if source is None:
        raise UsageError("give the file to import (EVENTS.jsonl, or - for standard input)")
    if source != "-" and not os.path.isfile(source):
        raise UsageError(f"cannot read {source!r}: no such file")
    refuse_overwriting("--rejects", args.rejects, store=args.store, source=source)
    if source != "-" and same_file(source, args.store):
        raise UsageError(f"the input {source!r} is the store itself")
    rejects: IO[bytes] | None = None
    refreshed: RefreshReport | None = None
    fault: ImportInterruptedError | None = None
    refresh_fault: Exception | None = None
    left_to_follower = False
    #: What was done when Ctrl-C stopped the command, if it did.
    stopped_after: str | None = None
    try:
        with contextlib.ExitStack() as stack:
            if args.rejects:
                temporary = stack.enter_context(atomic_output(args.rejects))
                rejects = stack.enter_context(open(temporary, "wb"))
            store = open_store(args.store, create=True, busy_timeout=args.wait)
            stack.callback(store.close)
            if args.key_file:
                # start-up: loaded when the command runs
                from ..keys import load_key

                store.use_key(load_key(args.key_file))  # type: ignore[attr-defined]
            elif erased := len(getattr(store, "erasures", list)()):
                # Refused before reading a line: without the key no import can tell who was erased.
                raise UsageError(
                    f"this store has {erased} erasure(s): give the key file the erasures were "
                    "made with (--key-file), so that erased people are not stored again"
                )
            shown = 0

            def on_reject(rejection: Rejection) -> None:
                nonlocal shown
                if rejects is not None:
                    write_rejection(rejects, rejection)
                if not args.json and shown < 20:
                    print(f"rejected {rejection}", file=sys.stderr)
                shown += 1

            interactive = sys.stderr.isatty()  # a bar on stderr never changes stdout
            mapping = _mapping_of(args) if _format_of(args) == "csv" else None
            finished = _mark(store, source)
            with progress(interactive, unit="lines") as bar, stop_on_ctrl_c(bar) as stopping:
                options: dict[str, Any] = {
                    "strict": args.strict,
                    "on_reject": on_reject,
                    # Told the lines read so far once a batch is stored: the bar moves on
                    # by the difference, and Ctrl-C stops the import there.
                    "on_progress": _running(stopping),
                }
                try:
                    if mapping is not None:
                        report = import_csv(source, store, mapping=mapping, **options)
                    else:
                        report = import_jsonl(
                            source, store, source=args.source, jobs=args.jobs, **options
                        )
                except ImportInterruptedError as exc:
                    fault, report = exc, exc.report
                except MappingError:
                    finished()  # refused before a line was stored
                    raise
            if fault is None:
                finished()
            elif isinstance(fault.__cause__, StoppedByUserError):
                fault, stopped_after = (
                    None,
                    f"{report.stored:,} events stored so far, in whole batches",
                )
                raise _InterruptedError  # an earlier rejects file stays as it was
            if fault is not None:
                raise _InterruptedError  # an earlier rejects file stays as it was
            left_to_follower = keeps_facts(store) and not may_refresh(store)
            if not args.no_refresh and keeps_facts(store) and not left_to_follower:
                try:
                    with progress(interactive) as bar, stop_on_ctrl_c(bar) as stopping:
                        refreshed = refresh_facts(store, jobs=args.jobs, progress=stopping)
                except StoppedByUserError:
                    stopped_after = (
                        "every line was imported, but the fact tables were left as they were"
                    )
                except Exception as exc:
                    if machine_fault(exc) is None:
                        raise
                    refresh_fault = exc
    except _InterruptedError:
        pass
    _say(args, report, refreshed)
    if stopped_after is not None:
        return stopped(stopped_after)
    if left_to_follower and report.stored and not args.json:
        print(
            "the fact tables are left to `offender-journey follow` (this role appends events)",
            file=sys.stderr,
        )
    if fault is not None:
        print(f"error: {fault}", file=sys.stderr)
        if args.rejects:
            print(
                f"{args.rejects} was left as it was: run the same import again once the "
                "fault is mended (what was stored is recognised as already present)",
                file=sys.stderr,
            )
        # Another writer held the store too long: not a fault of the machine; try again.
        return EXIT_BUSY if isinstance(fault.__cause__, StoreBusyError) else EXIT_FAULT
    if refresh_fault is not None:
        print(
            f"error: the machine failed ({machine_fault(refresh_fault)}) while the fact tables "
            "were brought up to date: the events are stored (above), the fact tables were "
            "left as they were; free some space, then run `offender-journey refresh` (or the "
            "next query will)",
            file=sys.stderr,
        )
        return EXIT_FAULT
    return 1 if report.rejected else 0


class _InterruptedError(Exception):
    """Raised inside the rejects file's block: an interrupted import does not write it."""


def _running(bar: Progress) -> Callable[[int], None]:
    """A callback given running totals (lines read so far) that moves ``bar`` along."""
    seen = 0

    def update(lines: int) -> None:
        nonlocal seen
        bar.update(lines - seen)
        seen = lines

    return update


def _say(args: argparse.Namespace, report: ImportReport, refreshed: RefreshReport | None) -> None:
    """The outcome: the ``--json`` object, or one line (after any rejection notes)."""
    source = args.events
    if args.json:
        out = report.to_json()
        if refreshed is not None:
            out["facts_refreshed"] = refreshed.offenders
        print_json(out)
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
        if refreshed is not None and refreshed.offenders:
            print(refreshed, file=sys.stderr)


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    ingest = commands.add_parser(
        "ingest",
        description="Import events (JSON Lines: one JSON object per line) into the store. "
        "Every line is stored, recognised as already present, or rejected with its line "
        "number, field and reason. Exit 0: nothing rejected; 1: some lines rejected (the "
        "rest stored, or nothing with --strict); 2: usage error; 3: the machine failed "
        "part-way (disk full, I/O error): what was stored is still reported; "
        f"{EXIT_BUSY}: another process kept the store busy for longer than --wait; "
        f"{EXIT_CTRL_C}: stopped by Ctrl-C at the end of a batch. An import that did not "
        "finish is noted in the store, and every command warns of it until the same "
        "import is run again or --acknowledge is given.",
    )
    ingest.add_argument(
        "events",
        metavar="EVENTS.jsonl",
        nargs="?",
        help="the file to import (JSON Lines, or CSV); - for stdin",
    )
    ingest.add_argument(
        "--acknowledge",
        action="store_true",
        help="take the store as it is after an import that did not finish (Ctrl-C, a "
        "failure), so that commands stop warning about it; re-running the import instead "
        "finishes it",
    )
    add_store(ingest)
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
        help="CSV column mapping (see docs/csv.md); default: the format's field names",
    )
    ingest.add_argument(
        "--type", metavar="TYPE", help="CSV: every row is this event type (one file per kind)"
    )
    ingest.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="CSV: the character between cells (tab: 'tab'); default: whichever of , ; tab | "
        "the header line uses",
    )
    ingest.add_argument(
        "--source",
        type=_source_name,
        metavar="NAME",
        help="the system the events come from (police, courts, probation, prison ...): "
        "each event's offender_id is then that system's own person id; a line naming "
        "another source is rejected",
    )
    ingest.add_argument(
        "--wait",
        type=seconds_arg,
        default=BUSY_TIMEOUT,
        metavar="SECONDS",
        help="how long to wait while another process is writing to the store before giving "
        f"up with exit code {EXIT_BUSY} (default {BUSY_TIMEOUT:g})",
    )
    ingest.add_argument(
        "--no-refresh",
        action="store_true",
        help="leave the fact tables behind (a bulk load): run `offender-journey refresh` "
        "later, or the next query will",
    )
    add_jobs(
        ingest,
        "processes (default 0: automatic, for the cores and the work): this one "
        "writes the store while N-1 check the lines of a JSON Lines file past its first "
        "50,000; then N derive the fact tables",
    )
    ingest.add_argument(
        "--key-file",
        metavar="KEY",
        help="the key erasures were made with: needed once the store has any, so that "
        "lines about erased people are recognised and rejected",
    )
    add_json(ingest)
    ingest.set_defaults(handler=_cmd_ingest)
