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

The records, pairs and clusters are DuckDB tables of a run's
:class:`~offender_journey.linkage.model.Database`, worked on in SQL: at a million records
there are millions of pairs, too many to hold as Python objects. Only the few clusters
that break a constraint come into Python, to be rebuilt by :func:`grow`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from .model import Database, Edge

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

#: Each rule's rank when two links of one pair, or of one record, weigh the same: a
#: shared PNC ID before a shared CRO number, before a person's join, before a score.
PRIORITY: Final = {"pnc": 0, "cro": 1, "manual": 2, "model": 3}
#: The weight, in SQL, of a link no score can undo (a shared valid identifier, a join).
HARD: Final = "'inf'::DOUBLE"


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


#: No name, standard name or phonetic code in common (swaps count as in common) …
_NAMES = ("forename_std", "surname", "forename_ph", "surname_ph")
_DIFFERENT_NAMES: Final = (
    "NOT list_has_any(["
    + ", ".join(f"l.{n}" for n in _NAMES)
    + "], ["
    + ", ".join(f"r.{n}" for n in _NAMES)
    + "])"
)
#: … and dates of birth neither equal, transposed nor one character apart.
_DIFFERENT_DATES: Final = (
    "l.dob IS NOT NULL AND r.dob IS NOT NULL AND l.dob <> r.dob AND l.dob_dm <> r.dob "
    "AND hamming(left(l.dob, least(length(l.dob), length(r.dob))), "
    "left(r.dob, least(length(l.dob), length(r.dob)))) > 1"
)


def deterministic_edges(database: Database) -> list[Conflict]:
    """Links from shared valid PNC IDs and CRO numbers, and the pairs that contradict them.

    Makes the table ``hard`` (``a``, ``b``, ``weight``, ``rule``, ``priority``: one row a
    pair, ``a < b``) from ``identities``, and ``contradicted`` (``a``, ``b``) of the pairs
    whose names and dates of birth contradict their shared identifier; returns those.

    >>> from offender_journey.linkage.model import connect
    >>> pnc = "12/0000001H"
    >>> database = connect([
    ...     {"key": "a:1", "forenames": "Ann", "surname": "Lee", "date_of_birth": "1990-01-01",
    ...      "pnc_id": pnc},
    ...     {"key": "b:2", "forenames": "Ann", "surname": "Lee", "date_of_birth": "1990-01-01",
    ...      "pnc_id": pnc},
    ...     {"key": "c:3", "forenames": "Zed", "surname": "Quist", "date_of_birth": "1950-06-30",
    ...      "pnc_id": pnc}])
    >>> conflicts = deterministic_edges(database)
    >>> database.con.execute("SELECT a, b, rule FROM hard").fetchall()
    [('a:1', 'b:2', 'pnc')]
    >>> [(c.a, c.b) for c in conflicts]
    [('a:1', 'c:3'), ('b:2', 'c:3')]
    """
    shared = " UNION ALL ".join(
        f"SELECT l.unique_id AS a, r.unique_id AS b, '{column}' AS rule, "
        f"{PRIORITY[column]} AS priority, "
        f"coalesce({_DIFFERENT_NAMES} AND {_DIFFERENT_DATES}, false) AS conflict "
        f"FROM identities l JOIN identities r "
        f"ON l.{column} = r.{column} AND l.unique_id < r.unique_id"
        for column in ("pnc", "cro")
    )
    con = database.con
    con.execute(f"CREATE TABLE shared AS {shared}")
    con.execute(
        f"CREATE TABLE hard AS SELECT a, b, {HARD} AS weight, rule, priority "
        "FROM shared WHERE NOT conflict "
        "QUALIFY row_number() OVER (PARTITION BY a, b ORDER BY priority) = 1"
    )
    con.execute("CREATE TABLE contradicted AS SELECT DISTINCT a, b FROM shared WHERE conflict")
    found = con.execute(
        "SELECT a, b, rule FROM shared WHERE conflict ORDER BY priority, a, b"
    ).fetchall()
    con.execute("DROP TABLE shared")
    return [Conflict(a, b, identifier=rule) for a, b, rule in found]


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


def repair(database: Database, clusters: str, edges: str, never: str, threshold: float) -> str:
    """Clusters that keep every constraint: a breaking cluster is rebuilt strongest link first.

    ``clusters`` names a table mapping each record (``unique_id``) to its ``cluster_id``
    (Splink's connected components of ``edges`` at ``threshold``); ``never`` one of the
    pairs (``a < b``) a person has kept apart. Returns the name of a table of the same
    shape whose clusters keep the constraints, with the same ids as before for clusters
    that needed no repair. Only the breaking clusters come into Python.
    """
    con = database.con
    repaired = f"{clusters}_kept"
    con.execute(
        f"""CREATE TEMP TABLE broken AS
        SELECT c.cluster_id FROM {clusters} c JOIN identities i USING (unique_id)
        WHERE i.pnc IS NOT NULL GROUP BY c.cluster_id HAVING count(DISTINCT i.pnc) > 1
        UNION
        SELECT l.cluster_id FROM {never} n
        JOIN {clusters} l ON l.unique_id = n.a JOIN {clusters} r ON r.unique_id = n.b
        WHERE l.cluster_id = r.cluster_id"""
    )
    members: dict[str, list[str]] = defaultdict(list)
    pnc: dict[str, str] = {}
    for cluster, record, value in con.execute(
        f"""SELECT c.cluster_id, c.unique_id, i.pnc FROM {clusters} c
        SEMI JOIN broken b ON b.cluster_id = c.cluster_id
        LEFT JOIN identities i ON i.unique_id = c.unique_id"""
    ).fetchall():
        members[cluster].append(record)
        if value is not None:
            pnc[record] = value
    inside: dict[str, list[Edge]] = defaultdict(list)
    for cluster, a, b, weight in con.execute(
        f"""SELECT l.cluster_id, e.a, e.b, e.weight FROM {edges} e
        JOIN {clusters} l ON l.unique_id = e.a JOIN {clusters} r ON r.unique_id = e.b
        SEMI JOIN broken b ON b.cluster_id = l.cluster_id
        WHERE l.cluster_id = r.cluster_id AND e.weight >= ?""",
        [threshold],
    ).fetchall():
        inside[cluster].append(Edge(a, b, weight))
    never_pairs = frozenset(con.execute(f"SELECT a, b FROM {never}").fetchall())
    constraints = Constraints(pnc=pnc, never=never_pairs)
    rebuilt = [
        (record, f"{cluster}/{root}")
        for cluster, records in members.items()
        for record, root in grow(records, inside[cluster], constraints).items()
    ]
    con.execute("CREATE TEMP TABLE rebuilt (unique_id VARCHAR, cluster_id VARCHAR)")
    if rebuilt:
        con.executemany("INSERT INTO rebuilt VALUES (?, ?)", rebuilt)
    con.execute(
        f"""CREATE TABLE {repaired} AS
        SELECT c.unique_id, coalesce(r.cluster_id, c.cluster_id) AS cluster_id
        FROM {clusters} c LEFT JOIN rebuilt r USING (unique_id)"""
    )
    con.execute("DROP TABLE broken")
    con.execute("DROP TABLE rebuilt")
    return repaired


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


def person_number(person_id: str) -> int | None:
    """The sequence number of a person id (``P000042`` → 42); older persons have lower ones."""
    if len(person_id) > 1 and person_id[0] == "P" and person_id[1:].isdigit():
        return int(person_id[1:])
    return None


def assign_ids(database: Database, clusters: str, previous: str, first_new: int) -> str:
    """Person ids for new clusters that keep earlier ones wherever the records stayed together.

    ``clusters`` names a table of records (``unique_id``) and their ``cluster_id``;
    ``previous`` one of records and their earlier ``person_id``. New ids are numbered
    from ``first_new`` in the order of each cluster's first record. Returns the name of a
    table of records and their ``person_id``.

    >>> from offender_journey.linkage.model import Database
    >>> database = Database()
    >>> _ = database.con.execute(
    ...     "CREATE TABLE now AS FROM (VALUES ('a', '1'), ('b', '1'), ('c', '2')) "
    ...     "t(unique_id, cluster_id)")
    >>> _ = database.con.execute(
    ...     "CREATE TABLE before AS FROM (VALUES ('a', 'P000001'), ('b', 'P000002')) "
    ...     "t(unique_id, person_id)")
    >>> named = assign_ids(database, "now", "before", 3)
    >>> database.con.execute(f"SELECT * FROM {named} ORDER BY unique_id").fetchall()
    [('a', 'P000001'), ('b', 'P000001'), ('c', 'P000003')]
    """
    # Each earlier person goes to the cluster holding most of its records (ties: the
    # cluster whose first record sorts first); a cluster given several keeps the oldest
    # (the lowest number); a cluster given none gets a new one.
    named = f"{clusters}_persons"
    database.con.execute(
        f"""CREATE TABLE {named} AS
        WITH firsts AS (
            SELECT cluster_id, min(unique_id) AS first FROM {clusters} GROUP BY cluster_id
        ), holders AS (
            SELECT p.person_id AS earlier, c.cluster_id, count(*) AS n
            FROM {clusters} c JOIN {previous} p USING (unique_id) GROUP BY ALL
        ), given AS (
            SELECT h.cluster_id, h.earlier FROM holders h JOIN firsts f USING (cluster_id)
            QUALIFY row_number() OVER (PARTITION BY h.earlier ORDER BY h.n DESC, f.first) = 1
        ), kept AS (
            SELECT cluster_id, earlier AS person_id FROM given
            QUALIFY row_number() OVER (
                PARTITION BY cluster_id ORDER BY {_NUMBER} NULLS LAST, earlier) = 1
        ), new AS (
            SELECT cluster_id,
                printf('P%06d', {int(first_new)} - 1 + row_number() OVER (ORDER BY first))
                AS person_id
            FROM firsts ANTI JOIN kept USING (cluster_id)
        )
        SELECT c.unique_id, coalesce(k.person_id, n.person_id) AS person_id
        FROM {clusters} c LEFT JOIN kept k USING (cluster_id) LEFT JOIN new n USING (cluster_id)"""
    )
    return named


#: A person id's sequence number in SQL (see :func:`person_number`), NULL for other ids.
_NUMBER: Final = (
    "CASE WHEN regexp_full_match(earlier, 'P[0-9]+') "
    "THEN TRY_CAST(substr(earlier, 2) AS HUGEINT) END"
)
