"""``pg-roles``: the writer, follower and reader roles of a PostgreSQL store."""

from __future__ import annotations

import argparse

from ._common import Commands, UsageError, add_store


def _cmd_pg_roles(args: argparse.Namespace) -> int:
    # the postgres extra (psycopg)
    from ..facts.postgres import ROLES, create_roles, roles_script
    from ..store.postgres import PostgresStore, is_postgres_url

    if args.print:
        print(roles_script())
        return 0
    if not is_postgres_url(args.store):
        raise UsageError("pg-roles needs --store postgresql://OWNER@HOST:PORT/DATABASE")
    # the postgres extra (psycopg)
    import psycopg

    with PostgresStore(args.store) as store:
        try:
            create_roles(store)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise UsageError(f"run pg-roles as the owner of the store's tables: {exc}") from None
    print("roles ready: " + ", ".join(ROLES))
    return 0


def register(commands: Commands) -> None:
    roles = commands.add_parser(
        "pg-roles",
        description="Create (or bring up to date) three group roles on a PostgreSQL store, "
        "connected as the owner of its tables: offender_journey_writer (append events only), "
        "offender_journey_follower (keep the fact tables) and offender_journey_reader (read "
        "the fact tables only). Give each service a login role that is a member of one. "
        "See docs/postgres.md.",
    )
    add_store(roles)
    roles.add_argument(
        "--print", action="store_true", help="print the SQL instead of running it (for psql)"
    )
    roles.set_defaults(handler=_cmd_pg_roles)
