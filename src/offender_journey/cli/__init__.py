"""The ``offender-journey`` command: import events, then ask for the numbers.

One module per command (or family of commands), each with a ``register(commands)``
that adds its sub-parser and sets ``handler`` to a function ``(args) -> exit code``.
This module only assembles them. Exit codes: 0 success, 1 the job ran but some input
was rejected, 2 usage errors (bad arguments, unreadable files).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version

from ..errors import OffenderJourneyError
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
from ._common import UsageError

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


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar (also used to document it)."""
    parser = argparse.ArgumentParser(
        prog="offender-journey",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('offender-journey')}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(commands)
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
