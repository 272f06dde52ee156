"""``follow``: keep a PostgreSQL store's fact tables current as events arrive."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from ._common import Commands, UsageError, add_json, add_store, print_json, seconds_arg


def _cmd_follow(args: argparse.Namespace) -> int:
    # the postgres extra (psycopg)
    from ..facts import refresh_facts
    from ..store.postgres import PostgresStore, is_postgres_url

    if not is_postgres_url(args.store):
        raise UsageError(
            "follow needs --store postgresql://...; a SQLite store's fact tables are "
            "refreshed by the commands that read them"
        )
    stop = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, finish)
    refreshes = offenders = done = 0
    try:
        with PostgresStore(args.store) as store:
            report = refresh_facts(store)
            done = report.position
            refreshes, offenders = 1, report.offenders
            _say(args, str(report))
            if not args.once:
                for position, _ in store.follow(after=done, timeout=args.idle, stop=stop):
                    if position <= done:
                        continue  # already folded in by the refresh that covered it
                    report = refresh_facts(store)
                    done = report.position
                    refreshes, offenders = refreshes + 1, offenders + report.offenders
                    _say(args, str(report))
    except KeyboardInterrupt:
        pass  # the refresh under way rolled back; its checkpoint says where to resume
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.json:
        print_json({"position": done, "refreshes": refreshes, "offenders": offenders})
    return 0


def _say(args: argparse.Namespace, line: str) -> None:
    if not args.json:
        print(line, flush=True)
    elif args.verbose:
        print(line, file=sys.stderr, flush=True)


def register(commands: Commands) -> None:
    follow = commands.add_parser(
        "follow",
        description="Bring the fact tables up to date, then wait (LISTEN) for appends and "
        "fold each new batch in: the rows and the checkpoint are written in one transaction, "
        "so a follower stopped or killed at any moment resumes exactly where it was. Runs "
        "until interrupted (Ctrl-C, SIGTERM), or --idle seconds pass with nothing new.",
    )
    add_store(follow)
    follow.add_argument(
        "--idle",
        type=seconds_arg,
        metavar="SECONDS",
        help="stop after this many seconds with nothing new (default: never)",
    )
    follow.add_argument(
        "--once", action="store_true", help="bring the tables up to date, then stop"
    )
    add_json(follow)
    follow.add_argument(
        "--verbose", action="store_true", help="with --json, each refresh on standard error"
    )
    follow.set_defaults(handler=_cmd_follow)
