"""The ``offender-journey`` command: import events, then ask for the numbers.

One module per command (or family of commands), each with a ``register(commands)``
that adds its sub-parser and sets ``handler`` to a function ``(args) -> exit code``.
This module only assembles them. Exit codes: 0 success, 1 the job ran but some input
was rejected, 2 usage errors (bad arguments, unreadable files, unsafe output paths),
75 (``EX_TEMPFAIL``) the store was busy with another writer for too long: try again.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import OffenderJourneyError, StoreBusyError
from . import (
    changes,
    export,
    follow,
    ingest,
    metrics,
    offenders,
    pg_roles,
    privacy,
    quality,
    refresh,
    risk,
    synth,
    timeline,
    views,
)
from ._common import EXIT_BUSY, UsageError

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

#: The command modules, in the order ``--help`` lists them.
_COMMANDS = [
    ingest,
    refresh,
    synth,
    metrics,
    views,
    risk,
    timeline,
    quality,
    changes,
    offenders,
    follow,
    pg_roles,
    export,
    privacy,
]


class _Version(argparse.Action):
    """``--version``, looked up only when asked for (reading package metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from importlib.metadata import version

        print(f"{parser.prog} {version('offender-journey')}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar (also used to document it)."""
    parser = argparse.ArgumentParser(
        prog="offender-journey",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(commands)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _survive_any_encoding()
    parser = build_parser()
    args = parser.parse_args(argv)  # bad arguments: usage message and SystemExit(2)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except StoreBusyError as exc:
        print(f"offender-journey {args.command}: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (UsageError, OffenderJourneyError) as exc:
        print(f"offender-journey {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
