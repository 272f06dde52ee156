"""The ``offender-journey`` command: import events, then ask for the numbers.

One module per command (or family of commands), each with a ``register(commands)``
that adds its sub-parser and sets ``handler`` to a function ``(args) -> exit code``.
This module only assembles them, and imports only the module of the command being run:
the table :data:`_COMMANDS` names every command, its module and its one-line help, so
``--help`` lists them all without loading any (start-up time is most of a repeated
``metrics``). Exit codes: 0 success, 1 the job ran but some input was rejected, 2 usage
errors (bad arguments, unreadable files, unsafe output paths), 3 the machine failed (a
full disk, a failing one, standard output that cannot be written: the message says what
was done and what to do), 75 (``EX_TEMPFAIL``) the store was busy with another writer for
too long: try again.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any, NamedTuple, TextIO, cast

from ._common import AFTER_FAULT, EXIT_BUSY, EXIT_FAULT, MEND_FAULT, UsageError

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


class _Command(NamedTuple):
    #: The module of this package whose ``register`` adds the command.
    module: str
    #: The line ``--help`` shows for it.
    help: str


#: Every command, in the order ``--help`` lists them (a module's commands together).
_COMMANDS: dict[str, _Command] = {
    "ingest": _Command("ingest", "import events from a JSON Lines file"),
    "refresh": _Command("refresh", "bring the fact tables up to date with the events"),
    "synth": _Command("synth", "write a synthetic cohort as JSON Lines"),
    "metrics": _Command("metrics", "the headline numbers over every offender in the store"),
    "reoffending": _Command("views", "proven reoffending of a cohort (MoJ measure)"),
    "history": _Command("views", "criminal-history bands of offenders sanctioned in the window"),
    "iom": _Command("views", "select an IOM cohort with an explainable rule"),
    "cost": _Command("views", "estimated cost of crime and its concentration"),
    "warrants": _Command("views", "outstanding warrants, execution and recall timeliness"),
    "risk": _Command("risk", "OGRS3 and criminal history of one offender"),
    "timeline": _Command(
        "timeline", "one offender's timeline: events, episodes, flags, window summary"
    ),
    "quality": _Command(
        "quality", "the data-quality report: stored facts that are not trusted, by kind"
    ),
    "report": _Command(
        "report", "a case report for panels: one accessible HTML page per person or IOM cohort"
    ),
    "changes": _Command(
        "changes",
        "explain a revision: the numbers as of two times and what was recorded between",
    ),
    "offenders": _Command(
        "offenders", "list offender ids with their event counts and first and last dates"
    ),
    "follow": _Command("follow", "keep a PostgreSQL store's fact tables current as events arrive"),
    "pg-roles": _Command(
        "pg_roles", "set up the writer, follower and reader roles of a PostgreSQL store"
    ),
    "export": _Command("export", "write the effective events to JSON Lines, CSV or Parquet files"),
    "erase": _Command("privacy", "remove one person's records physically, leaving a tombstone"),
    "restrict": _Command("privacy", "leave one person out of every view and export, until lifted"),
    "keygen": _Command("privacy", "make a new secret key file for pseudonyms and erasures"),
    "link": _Command("link", "decide which source records are one person (Splink), as events"),
    "links": _Command("link", "list the persons: every source record in exactly one"),
    "rules": _Command("rules", "show or set how a person's records from several sources agree"),
}


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The sub-commands, each with its help from :data:`_COMMANDS` (said once, there)."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("help", _COMMANDS[name].help)
        parser: argparse.ArgumentParser = super().add_parser(name, **kwargs)
        return parser


class _Version(argparse.Action):
    """``--version``, looked up only when asked for (reading package metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        # start-up: only --version needs it
        from importlib.metadata import version

        print(f"{parser.prog} {version('offender-journey')}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command-line grammar: every command listed with its help, and the arguments
    of ``command`` (of every command when ``None``, to document them all).

    Only the modules of the commands given their arguments are imported.
    """
    parser = argparse.ArgumentParser(
        prog="offender-journey",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, action=_Commands
    )
    wanted = _COMMANDS[command].module if command in _COMMANDS else None
    for name, entry in _COMMANDS.items():
        if name in commands.choices:
            continue  # added by its module, with the module's other commands
        if command is None or entry.module == wanted:
            import_module(f".{entry.module}", __name__).register(commands)
        else:
            commands.add_parser(name)  # listed; its arguments are not needed to run another
    return parser


def _command_in(argv: Sequence[str]) -> str:
    """The command named in ``argv``: its first argument that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), "")


def _survive_any_encoding() -> None:
    """Never crash on a character the console cannot show, never garble one in a file.

    Output to a file or a pipe is UTF-8 whatever the console's code page (a report
    redirected on a cp1252 console keeps its "£" and "→"); at a terminal, characters the
    terminal cannot show are replaced rather than raising ``UnicodeEncodeError``.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream not in (sys.__stdout__, sys.__stderr__) or not isinstance(
            stream, io.TextIOWrapper
        ):
            continue  # someone else's stream (a test's capture, an embedding program)
        if stream.isatty():
            stream.reconfigure(errors="replace")
        else:
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")


class _PrintableOutput:
    """Standard output as a command sees it: every write goes through one escaping.

    Whatever a command prints (tables, messages, ids in a sentence) reaches the terminal
    with control and bidirectional characters escaped (:func:`~offender_journey.tables.printable`,
    line breaks kept), so no stored value can clear a screen or turn text around; JSON
    escapes them itself, and ``\\u202e`` written into a JSON string means the same string.
    Tables escape line breaks inside values too, so an id cannot forge a row.
    """

    def __init__(self, stream: TextIO) -> None:
        # start-up: loaded when output is first written
        from ..tables import printable

        self._stream = stream
        self._printable = printable

    def write(self, text: str) -> int:
        try:
            self._stream.write(self._printable(text, lines=True))
        except OSError as exc:
            raise _OutputError(exc) from exc
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _OutputError(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _OutputError(Exception):
    """Standard output could not be written (a full disk, a closed pipe)."""

    def __init__(self, cause: OSError) -> None:
        self.cause = cause
        super().__init__(f"cannot write the output: {cause.strerror or cause}")


def _drop_output() -> None:
    """Point standard output at the null device: what is still buffered cannot fail again."""
    # start-up: os is needed only on this rare path
    import os

    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno())  # type: ignore[union-attr]
        os.close(null)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _survive_any_encoding()
    if argv is None:
        argv = sys.argv[1:]
    command = _command_in(argv)
    if command and command not in _COMMANDS:
        # start-up: needed only when a command is mistyped
        from ..errors import did_you_mean

        print(
            f"offender-journey: unknown command {command!r}{did_you_mean(command, _COMMANDS)}; "
            "`offender-journey --help` lists them all",
            file=sys.stderr,
        )
        return 2
    parser = build_parser(command)
    args = parser.parse_args(argv)  # bad arguments: usage message and SystemExit(2)
    # start-up: loaded by the commands that use it
    from ..errors import OffenderJourneyError, StoreBusyError, machine_fault

    handler: Callable[[argparse.Namespace], int] = args.handler
    stdout, sys.stdout = sys.stdout, cast(TextIO, _PrintableOutput(sys.stdout))
    try:
        code = handler(args)
        sys.stdout.flush()  # here, so that a full disk under the output is seen here
        return code
    except _OutputError as exc:
        if isinstance(exc.cause, BrokenPipeError):  # e.g. piped into `head`
            sys.stderr.close()
            return 0
        _drop_output()
        print(f"offender-journey {args.command}: {exc}; {MEND_FAULT}", file=sys.stderr)
        return EXIT_FAULT
    except Exception as exc:
        if (fault := machine_fault(exc)) is not None:  # a full disk, a failing one
            after = getattr(args, "after_fault", AFTER_FAULT)
            print(
                f"offender-journey {args.command}: the machine failed ({fault}): {after}; "
                f"{MEND_FAULT}",
                file=sys.stderr,
            )
            return EXIT_FAULT
        if isinstance(exc, StoreBusyError):
            print(f"offender-journey {args.command}: {exc}", file=sys.stderr)
            return EXIT_BUSY
        if isinstance(exc, UsageError | OffenderJourneyError):
            print(f"offender-journey {args.command}: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, BrokenPipeError):
            sys.stderr.close()
            return 0
        raise
    finally:
        sys.stdout = stdout


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
