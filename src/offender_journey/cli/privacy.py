"""``erase``, ``restrict`` and ``keygen``: a person's rights over their records."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..facts.follow import FOLLOWER
from ..store.privacy import PrivacyMixin, follow_privacy
from ._common import Commands, UsageError, add_json, add_store, open_existing, print_json

if TYPE_CHECKING:
    from ..store import PostgresStore, SQLiteStore


def _privacy_store(path: str) -> SQLiteStore | PostgresStore:
    follow_privacy(FOLLOWER)  # the fact tables change with every restriction and erasure
    store = open_existing(path)
    if not isinstance(store, PrivacyMixin):  # pragma: no cover - SQLite and PostgreSQL are
        store.close()
        raise UsageError(f"the store at {path!r} does not support erasure or restriction")
    return store


def _cmd_erase(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..keys import load_key

    key = load_key(args.key_file)
    with _privacy_store(args.store) as store:
        report = store.erase(args.offender_id, reason=args.reason, key=key)
    if args.json:
        print_json({"events": report.events, "rows": report.rows, "rebuilt": report.rebuilt})
    elif not report.events:
        print(f"{args.offender_id} was erased before; the store's files are cleared of them")
    else:
        tables = ", ".join(f"{n} from {t}" for t, n in report.rows.items() if n)
        print(f"erased: {tables}; tombstone recorded in {args.store}")
    return 0


def _cmd_restrict(args: argparse.Namespace) -> int:
    with _privacy_store(args.store) as store:
        if args.lift:
            done = store.lift_restriction(args.offender_id, reason=args.reason or "")
            said = f"restriction on {args.offender_id} lifted"
        else:
            if not args.reason:
                raise UsageError("restrict needs --reason TEXT")
            done = store.restrict(args.offender_id, reason=args.reason)
            said = f"{args.offender_id} restricted: left out of every view and export"
        if not args.json:
            print(said)
        else:
            print_json(
                {
                    "offender_id": done.offender_id,
                    "restricted_at": done.restricted_at.isoformat(),
                    "lifted_at": done.lifted_at.isoformat() if done.lifted_at else None,
                }
            )
    return 0


def _cmd_keygen(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..keys import new_key_file

    try:
        new_key_file(args.key_file)
    except FileExistsError:
        raise UsageError(f"{args.key_file!r} exists; a key is never overwritten") from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.key_file!r}: {exc.strerror}") from None
    print(f"new 32-byte key written to {args.key_file} (mode 600); keep it apart from the data")
    return 0


def register(commands: Commands) -> None:
    """Add this module's command(s) to the parser."""
    erase = commands.add_parser(
        "erase",
        description="Delete every event and fact about OFFENDER_ID, clear the deleted rows "
        "from the store's files (SQLite: no byte of them remains; PostgreSQL: VACUUM), and "
        "record a tombstone (a keyed hash of the id, the time, the reason). Later imports of "
        "that person are rejected. Run it again to finish an erasure that could not clear "
        "the files. See docs/privacy.md.",
    )
    erase.add_argument("offender_id", metavar="OFFENDER_ID")
    erase.add_argument("--reason", required=True, metavar="TEXT", help="why (kept; no names)")
    erase.add_argument(
        "--key-file", required=True, metavar="KEY", help="the key tombstones are hashed with"
    )
    add_store(erase)
    add_json(erase)
    erase.set_defaults(
        handler=_cmd_erase,
        after_fault="nothing was erased: every event about the person is still there and no "
        "tombstone was recorded (an erasure is all or nothing)",
    )

    restrict = commands.add_parser(
        "restrict",
        description="Restrict processing of OFFENDER_ID: the events stay but no view, "
        "timeline or export sees them until `restrict --lift`. Both are recorded with their "
        "times and reasons.",
    )
    restrict.add_argument("offender_id", metavar="OFFENDER_ID")
    restrict.add_argument("--reason", metavar="TEXT", help="why (required unless --lift)")
    restrict.add_argument("--lift", action="store_true", help="end the restriction in force")
    add_store(restrict)
    add_json(restrict)
    restrict.set_defaults(
        handler=_cmd_restrict, after_fault="the person's restriction is as it was"
    )

    keygen = commands.add_parser(
        "keygen",
        description="Write 32 random bytes to a new file, mode 600.",
    )
    keygen.add_argument("key_file", metavar="KEY")
    keygen.set_defaults(handler=_cmd_keygen)
