"""``export``: the store's effective events in an open format, pseudonymised if asked."""

from __future__ import annotations

import argparse

from ._common import (
    Commands,
    StoppedByUserError,
    UsageError,
    add_json,
    add_store,
    at_least,
    open_existing,
    output,
    progress,
    stop_on_ctrl_c,
    stopped,
)


def _cmd_export(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    # start-up: loaded when the command runs
    from ..errors import machine_fault
    from ..io.export import export
    from ..io.pseudonymise import Pseudonymiser
    from ..keys import load_key

    if args.partitions < 1:
        raise UsageError("--partitions must be at least 1")
    if args.partitions != 1 and args.format != "parquet":
        raise UsageError("--partitions is for --format parquet")
    if (args.keep_dob or args.keep_text) and not args.pseudonymise:
        raise UsageError("--keep-dob and --keep-text go with --pseudonymise")
    pseudonymiser = None
    if args.pseudonymise:
        if not args.key_file:
            raise UsageError("--pseudonymise needs --key-file KEY (see `offender-journey keygen`)")
        key = load_key(args.key_file)
        pseudonymiser = Pseudonymiser(key, keep_dob=args.keep_dob, keep_text=args.keep_text)
    with open_existing(args.store) as store, progress() as bar, stop_on_ctrl_c(bar) as stopping:
        try:
            report = export(
                store,
                args.out,
                format=args.format,
                partitions=args.partitions,
                pseudonymiser=pseudonymiser,
                progress=stopping,
            )
        except OSError as exc:
            if machine_fault(exc) is not None:
                raise
            raise UsageError(str(exc)) from None
        except StoppedByUserError:
            # The files are written under a temporary name: nothing half-written is left.
            return stopped(f"nothing written: {args.out} was not created")
    return output(args, report)


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    parser = commands.add_parser(
        "export",
        description="Write what the views see now (retractions applied, restricted people "
        "left out) into a new directory OUT: events.jsonl, events.csv, or events/part-*.parquet "
        "partitioned by offender. With --pseudonymise every identifier is replaced by a keyed "
        "hash, free text dropped and dates of birth cut to the year. See docs/export.md and "
        "docs/privacy.md.",
    )
    parser.add_argument("out", metavar="OUT", help="the directory to create")
    parser.add_argument(
        "--format", choices=["jsonl", "csv", "parquet"], default="jsonl", help="default: jsonl"
    )
    parser.add_argument(
        "--partitions",
        type=at_least(1),
        default=1,
        metavar="N",
        help="Parquet files per table; an offender's rows are all in one (default 1)",
    )
    add_store(parser)
    parser.add_argument(
        "--pseudonymise", action="store_true", help="replace identifiers by keyed hashes"
    )
    parser.add_argument(
        "--key-file", metavar="KEY", help="the secret key (32+ bytes, mode 600) for --pseudonymise"
    )
    parser.add_argument(
        "--keep-dob", action="store_true", help="keep dates of birth whole (default: year only)"
    )
    parser.add_argument(
        "--keep-text",
        action="store_true",
        help="keep free text: offence descriptions, courts, retraction reasons, offence "
        "codes and risk tools that are not in a known code system",
    )
    add_json(parser)
    parser.set_defaults(
        handler=_cmd_export,
        after_fault="nothing was exported (the half-written directory was removed)",
    )
