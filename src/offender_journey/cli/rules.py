"""``rules``: how a person's records from several sources are put together, shown and set."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ._common import Commands, UsageError, add_json, add_store, open_existing, print_json


def _pair(option: str) -> Callable[[str], tuple[str, str]]:
    """``NAME=VALUE`` for ``option``, or a usage error that names it."""

    def parse(text: str) -> tuple[str, str]:
        name, equals, value = text.partition("=")
        if not equals or not name:
            raise argparse.ArgumentTypeError(f"{option} takes NAME=VALUE, not {text!r}")
        return name.strip(), value.strip()

    return parse


def _cmd_rules(args: argparse.Namespace) -> int:
    # start-up: loaded when the command runs
    from ..persons import Rules, RulesError, read_rules, write_rules

    changing = args.defaults or args.precedence or args.matching or args.matching_of
    with open_existing(args.store) as store:
        try:
            rules = Rules() if args.defaults else read_rules(store)
            if changing:
                precedence = dict(rules.precedence)
                for kind, sources in args.precedence or ():
                    precedence[kind] = tuple(s for s in sources.replace(",", " ").split() if s)
                by_source = dict(rules.matching_by_source)
                for source, matching in args.matching_of or ():
                    by_source[source] = matching
                rules = Rules(precedence, args.matching or rules.matching, by_source)
        except RulesError as error:
            raise UsageError(str(error)) from None
        if changing:
            write_rules(store, None if rules == Rules() else rules)
            if read_rules(store) != rules:
                raise UsageError("this store's user may not change its rules (ask its owner)")
    if args.json:
        print_json({**rules.to_json(), "fingerprint": rules.fingerprint})
    else:
        print(rules)
    return 0


def register(commands: Commands) -> None:
    """Add ``rules``."""
    rules = commands.add_parser(
        "rules",
        description="Show, or set, how one person's records from several sources are put "
        "together: which source's account counts for each kind of fact when they differ "
        "(precedence), and whether charges that share no reference are matched by offence "
        "date and code. Stored with the store, so every command reads the same rules. "
        "See docs/persons.md.",
    )
    add_store(rules)
    rules.add_argument(
        "--precedence",
        action="append",
        type=_pair("--precedence"),
        metavar="KIND=SOURCES",
        help="the sources whose account counts for KIND, first to last, comma-separated "
        "(e.g. outcome=courts,police); repeat for other kinds",
    )
    rules.add_argument(
        "--matching",
        choices=("reference", "offence"),
        help="how every source's charges are matched: by reference only, or by reference "
        "then offence date and code (the default)",
    )
    rules.add_argument(
        "--matching-of",
        action="append",
        type=_pair("--matching-of"),
        metavar="SOURCE=MATCHING",
        help="how one source's charges are matched (reference or offence); repeatable",
    )
    rules.add_argument(
        "--defaults", action="store_true", help="start from the default rules (alone: reset)"
    )
    add_json(rules)
    rules.set_defaults(handler=_cmd_rules)
