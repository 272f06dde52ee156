"""Common English nicknames: one table for making synthetic faults and for undoing them.

Linkage compares a forename's *standard form* as well as the name itself, so that Bob
and Robert can agree (:func:`standard_forename`). The table is short on purpose: the
nicknames that are common in England and Wales and unambiguous enough to help.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["NICKNAMES", "standard_forename"]

#: Nicknames by given name.
NICKNAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "William": ("Bill", "Will", "Billy"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mick", "Mickey"),
    "Thomas": ("Tom", "Tommy"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony", "Ant"),
    "Steven": ("Steve",),
    "Stephen": ("Steve",),
    "Andrew": ("Andy", "Drew"),
    "Joshua": ("Josh",),
    "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon", "Jonny"),
    "Benjamin": ("Ben", "Benny"),
    "Samuel": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Sandy"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Joseph": ("Joe", "Joey"),
    "Christopher": ("Chris",),
    "David": ("Dave", "Davey"),
    "Peter": ("Pete",),
    "Patrick": ("Pat", "Paddy"),
    "Gregory": ("Greg",),
    "Timothy": ("Tim",),
    "Lawrence": ("Larry",),
    "Ronald": ("Ron", "Ronnie"),
    "Zachary": ("Zach",),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Jennifer": ("Jen", "Jenny"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cath", "Cathy", "Kate"),
    "Rebecca": ("Becky", "Becca"),
    "Samantha": ("Sam", "Sammy"),
    "Victoria": ("Vicky", "Tori"),
    "Deborah": ("Debbie", "Deb"),
    "Patricia": ("Pat", "Trish", "Patsy"),
    "Susan": ("Sue", "Suzy"),
    "Christine": ("Chris", "Chrissy"),
    "Jacqueline": ("Jackie",),
    "Abigail": ("Abby",),
    "Kimberly": ("Kim",),
    "Stephanie": ("Steph",),
    "Amanda": ("Mandy",),
    "Pamela": ("Pam",),
    "Charlotte": ("Charlie", "Lottie"),
    "Natalie": ("Nat",),
}


def _standard_forms() -> dict[str, str]:
    standard: dict[str, str] = {}
    for formal, nicks in NICKNAMES.items():
        for nick in nicks:
            standard.setdefault(nick.lower(), formal.lower())
    return standard


_STANDARD: Final = _standard_forms()


def standard_forename(name: str) -> str:
    """A lower-case forename's standard form: the given name a nickname stands for.

    A nickname of several names (Sam: Samuel, Samantha) takes the first in the table.

    >>> standard_forename("bob"), standard_forename("robert"), standard_forename("zak")
    ('robert', 'robert', 'zak')
    """
    return _STANDARD.get(name, name)
