"""From scored pairs to persons: hard rules, constrained clusters and stable person ids.

Splink scores pairs and finds connected components; what it does not do is ours:

* **deterministic links**: two records with the same valid PNC ID or CRO number are the
  same person, unless their names and their dates of birth both disagree strongly (then
  it is a data-quality issue, and no link);
* **hard constraints**: two records with different valid PNC IDs are never one person,
  and neither are two records a person has kept apart (``never``); two records a person
  has joined (``join``) always are. A component that breaks a constraint (chained through
  a record with no PNC, say) is rebuilt by adding its links strongest first and skipping
  any that would break one;
* **stable ids**: each earlier person's id goes to the new cluster holding most of its
  records (ties to the cluster whose first record sorts first); a cluster given several
  ids (a merge) keeps the oldest; a cluster given none (a new person, or the smaller part
  of a split) gets a new one.

Everything here is plain Python over record keys (``source:offender_id``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

import attrs

from .model import Edge

__all__ = [
    "HARD",
    "Conflict",
    "Constraints",
    "assign_ids",
    "grow",
    "deterministic_edges",
    "person_number",
    "repair",
]

#: The weight of a link no score can undo (a shared valid identifier, a person's join).
HARD = math.inf


@attrs.frozen
class Conflict:
    """Two records sharing a valid identifier whose names and date of birth both disagree."""

    a: str
    b: str
    identifier: str


@attrs.frozen
class Constraints:
    """What every clustering must respect."""

    #: Each record's valid PNC ID, canonical (records without one are absent).
    pnc: Mapping[str, str]
    #: Pairs ``(a, b)`` with ``a < b`` that must never be one person.
    never: frozenset[tuple[str, str]] = frozenset()

    def clash(self, first: Iterable[str], second: Iterable[str]) -> bool:
        """Whether joining two groups of records would break a constraint."""
        second = list(second)
        pncs = {self.pnc[r] for r in second if r in self.pnc}
        for record in first:
            mine = self.pnc.get(record)
            if mine is not None and pncs and (len(pncs) > 1 or mine not in pncs):
                return True
            if self.never and any(_pair(record, other) in self.never for other in second):
                return True
        return False


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _strongly_different_names(left: Iterable[str | None], right: Iterable[str | None]) -> bool:
    """No name, standard name or phonetic code in common (swaps count as in common)."""
    return not ((set(left) & set(right)) - {None})


def _strongly_different_dates(left: str | None, right: str | None) -> bool:
    if left is None or right is None or left == right:
        return False
    if f"{left[:4]}-{left[8:10]}-{left[5:7]}" == right:
        return False
    return sum(a != b for a, b in zip(left, right, strict=False)) > 1


def deterministic_edges(
    table: Mapping[str, Sequence[str | None]],
) -> tuple[list[Edge], list[Conflict]]:
    """Links from shared valid PNC IDs and CRO numbers, and the pairs that contradict them.

    >>> table = {"unique_id": ["a:1", "b:2", "c:3"], "pnc": ["12/0000001A"] * 3,
    ...          "cro": [None] * 3, "forename_std": ["ann", "ann", "zed"],
    ...          "surname": ["lee", "lee", "quist"], "forename_ph": ["a500", "a500", "z300"],
    ...          "surname_ph": ["l000", "l000", "q230"],
    ...          "dob": ["1990-01-01", "1990-01-01", "1950-06-30"]}
    >>> edges, conflicts = deterministic_edges(table)
    >>> [(e.a, e.b) for e in edges], [(c.a, c.b) for c in conflicts]
    ([('a:1', 'b:2')], [('a:1', 'c:3'), ('b:2', 'c:3')])
    """
    ids = table["unique_id"]
    fields = ("forename_std", "surname", "forename_ph", "surname_ph")
    edges: dict[tuple[str, str], Edge] = {}
    conflicts: list[Conflict] = []
    for column in ("pnc", "cro"):
        groups: dict[str, list[int]] = defaultdict(list)
        for index, value in enumerate(table[column]):
            if value is not None:
                groups[value].append(index)
        for members in groups.values():
            for i, left in enumerate(members):
                for right in members[i + 1 :]:
                    pair = _pair(str(ids[left]), str(ids[right]))
                    names_l = (table[f][left] for f in fields)
                    names_r = (table[f][right] for f in fields)
                    if _strongly_different_names(names_l, names_r) and _strongly_different_dates(
                        table["dob"][left], table["dob"][right]
                    ):
                        conflicts.append(Conflict(*pair, identifier=column))
                    elif pair not in edges:
                        edges[pair] = Edge(*pair, weight=HARD, rule=column)
    return list(edges.values()), conflicts


class _Groups:
    """Union-find over record keys, keeping each group's members for constraint checks."""

    def __init__(self, records: Iterable[str]) -> None:
        self.parent = {r: r for r in records}
        self.members = {r: [r] for r in self.parent}

    def find(self, record: str) -> str:
        root = record
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[record] != root:
            self.parent[record], record = root, self.parent[record]
        return root

    def union(self, a: str, b: str, constraints: Constraints) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if constraints.clash(self.members[ra], self.members[rb]):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return True


def repair(
    clusters: Mapping[str, str], edges: Iterable[Edge], constraints: Constraints, threshold: float
) -> dict[str, str]:
    """Clusters that keep every constraint: a breaking cluster is rebuilt strongest link first.

    ``clusters`` maps each record to its cluster (Splink's connected components over
    ``edges`` at ``threshold``); the result maps each record to a cluster key, the same
    key as before for clusters that needed no repair.
    """
    members: dict[str, list[str]] = defaultdict(list)
    for record, cluster in clusters.items():
        members[cluster].append(record)
    broken = {
        cluster
        for cluster, records in members.items()
        if len(records) > 1 and _breaks(records, constraints)
    }
    if not broken:
        return dict(clusters)
    inside: dict[str, list[Edge]] = defaultdict(list)
    for edge in edges:
        home = clusters.get(edge.a)
        if home in broken and edge.weight >= threshold and clusters.get(edge.b) == home:
            inside[home].append(edge)
    out = dict(clusters)
    for cluster in broken:
        for record, root in grow(members[cluster], inside[cluster], constraints).items():
            out[record] = f"{cluster}/{root}"
    return out


def grow(records: Iterable[str], edges: Iterable[Edge], constraints: Constraints) -> dict[str, str]:
    """Clusters made by adding links strongest first, skipping any that breaks a constraint.

    >>> grow(["a", "b", "c"], [Edge("a", "b", 9.0), Edge("b", "c", 5.0)],
    ...      Constraints(pnc={"a": "1", "c": "2"}))
    {'a': 'a', 'b': 'a', 'c': 'c'}
    """
    groups = _Groups(records)
    for edge in sorted(edges, key=lambda e: (-e.weight, e.a, e.b)):
        groups.union(edge.a, edge.b, constraints)
    return {record: root for root, members in groups.members.items() for record in members}


def _breaks(records: Sequence[str], constraints: Constraints) -> bool:
    pncs = {constraints.pnc[r] for r in records if r in constraints.pnc}
    if len(pncs) > 1:
        return True
    if constraints.never:
        inside = set(records)
        return any(a in inside and b in inside for a, b in constraints.never)
    return False


def person_number(person_id: str) -> int | None:
    """The sequence number of a person id (``P000042`` → 42); older persons have lower ones."""
    if len(person_id) > 1 and person_id[0] == "P" and person_id[1:].isdigit():
        return int(person_id[1:])
    return None


def assign_ids(
    clusters: Mapping[str, str], previous: Mapping[str, str], first_new: int
) -> dict[str, str]:
    """Person ids for new clusters that keep earlier ones wherever the records stayed together.

    ``previous`` maps records to their earlier person id; new ids are numbered from
    ``first_new`` in the order of each cluster's first record.

    >>> assign_ids({"a": "1", "b": "1", "c": "2"}, {"a": "P000001", "b": "P000002"}, 3)
    {'a': 'P000001', 'b': 'P000001', 'c': 'P000003'}
    """
    members: dict[str, list[str]] = defaultdict(list)
    for record, cluster in clusters.items():
        members[cluster].append(record)
    first = {cluster: min(records) for cluster, records in members.items()}
    # Each earlier person goes to the cluster holding most of its records.
    holders: dict[str, Counter[str]] = defaultdict(Counter)
    for record, cluster in clusters.items():
        earlier = previous.get(record)
        if earlier is not None:
            holders[earlier][cluster] += 1
    given: dict[str, list[str]] = defaultdict(list)
    for earlier, counts in holders.items():
        best = min(counts, key=lambda c: (-counts[c], first[c]))
        given[best].append(earlier)
    names: dict[str, str] = {}
    number = first_new
    for cluster in sorted(members, key=first.__getitem__):
        if given[cluster]:
            names[cluster] = min(given[cluster], key=_age)
        else:
            names[cluster] = f"P{number:06d}"
            number += 1
    return {record: names[cluster] for record, cluster in clusters.items()}


def _age(person_id: str) -> tuple[int, str]:
    number = person_number(person_id)
    return (number if number is not None else 1 << 62, person_id)
