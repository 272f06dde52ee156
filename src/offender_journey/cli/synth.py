"""``synth``: seeded synthetic journeys as JSON Lines."""

from __future__ import annotations

import argparse
import os
import sys

from ..store.sqlite import is_sqlite_file
from ..tables import plural
from ._common import Commands, UsageError, at_least, atomic_output, refuse_overwriting


def _cmd_synth(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..synth import PRESETS, write_jsonl

    if args.preset not in PRESETS:
        raise UsageError(f"unknown preset {args.preset!r}; choose from {', '.join(PRESETS)}")
    if args.sources is not None:
        return _agencies(args)
    if args.truth is not None:
        raise UsageError("--truth needs --sources: one population has no other truth to tell")
    if args.out == "-":
        count = write_jsonl(sys.stdout, args.offenders, seed=args.seed, preset=args.preset)
    else:
        refuse_overwriting("OUT", args.out)
        if is_sqlite_file(args.out):
            raise UsageError(f"{args.out!r} is a SQLite database: refusing to overwrite it")
        with atomic_output(args.out) as temporary:
            count = write_jsonl(temporary, args.offenders, seed=args.seed, preset=args.preset)
        print(
            f"{plural(count, 'event')} for {plural(args.offenders, 'offender')} -> {args.out}",
            file=sys.stderr,
        )
    return 0


def _agencies(args: argparse.Namespace) -> int:
    """``synth DIR --sources …``: one extract per agency in ``DIR``, and the truth."""
    # start-up: loaded when the command runs
    from ..agencies import AGENCIES, build, write_agencies

    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = [s for s in sources if s not in AGENCIES]
    if unknown or not sources:
        raise UsageError(
            f"unknown source {unknown[0] if unknown else ''!r}; choose from {', '.join(AGENCIES)}"
        )
    if args.out == "-" or os.path.isfile(args.out):
        raise UsageError(
            f"with --sources, OUT names a directory for the extracts, not {args.out!r}"
        )
    if args.truth is not None:
        refuse_overwriting("--truth", args.truth)
    population = build(
        args.offenders, seed=args.seed, errors=args.errors, sources=sources, preset=args.preset
    )
    truth = args.truth if args.truth is not None else os.devnull
    counts = write_agencies(population, args.out, truth)
    for source in sources:
        print(
            f"{counts.get(source, 0)} events -> {os.path.join(args.out, source)}.jsonl",
            file=sys.stderr,
        )
    if args.truth is not None:
        print(f"{len(population.records)} source records, truth -> {args.truth}", file=sys.stderr)
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
    agencies = synth.add_argument_group(
        "agencies",
        "split the population between agencies, each with its own person ids and its own "
        "(faulty) record of who each person is; OUT is then a directory",
    )
    agencies.add_argument(
        "--sources",
        metavar="LIST",
        help="comma-separated agencies: police,courts,probation,prison",
    )
    agencies.add_argument(
        "--errors",
        choices=("low", "medium", "high"),
        default="medium",
        help="how faulty the identity records are (default medium)",
    )
    agencies.add_argument(
        "--truth",
        metavar="FILE.csv",
        help="write which true person each source record belongs to (source,offender_id,person)",
    )
    synth.set_defaults(handler=_cmd_synth)
