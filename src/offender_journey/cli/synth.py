"""``synth``: seeded synthetic journeys as JSON Lines."""

from __future__ import annotations

import argparse
import sys

from ..store.sqlite import is_sqlite_file
from ._common import Commands, UsageError, at_least, atomic_output, refuse_overwriting


def _cmd_synth(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..synth import PRESETS, write_jsonl

    if args.preset not in PRESETS:
        raise UsageError(f"unknown preset {args.preset!r}; choose from {', '.join(PRESETS)}")
    if args.out == "-":
        count = write_jsonl(sys.stdout, args.offenders, seed=args.seed, preset=args.preset)
    else:
        refuse_overwriting("OUT", args.out)
        if is_sqlite_file(args.out):
            raise UsageError(f"{args.out!r} is a SQLite database: refusing to overwrite it")
        with atomic_output(args.out) as temporary:
            count = write_jsonl(temporary, args.offenders, seed=args.seed, preset=args.preset)
        print(f"{count} events for {args.offenders} offenders -> {args.out}", file=sys.stderr)
    return 0


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    synth = commands.add_parser(
        "synth",
        description="Generate seeded, realistic synthetic journeys (deterministic per seed).",
    )
    synth.add_argument("out", metavar="OUT.jsonl", help="where to write; - for stdout")
    synth.add_argument(
        "--offenders",
        type=at_least(1),
        default=200,
        metavar="N",
        help="how many offenders (default 200)",
    )
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument(
        "--preset",
        default="default",
        help="population preset: default or prolific (default: default)",
    )
    synth.set_defaults(handler=_cmd_synth)
