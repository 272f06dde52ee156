"""One linkage run: identity rows in, a person for every source record out.

The steps, in order: prepare the rows (:func:`~offender_journey.linkage.model.prepare`);
deterministic links from shared valid PNC IDs and CRO numbers; train the model (or load
one); score the blocked pairs; drop pairs a person has kept apart and pairs with
different valid PNC IDs; add the pairs a person has joined; cluster with Splink at the
threshold; repair clusters that break a constraint; give the clusters stable person ids.
The same steps at two other thresholds say how many persons they would give.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from ..progress import Progress
from .clusters import HARD, PRIORITY, Conflict, assign_ids, deterministic_edges, repair
from .model import Database, Model

__all__ = ["DEFAULT_THRESHOLD", "MIN_RECORDS", "NO_MODEL", "OTHER_THRESHOLDS", "LinkResult", "run"]

#: The match weight at which two records are linked, unless told otherwise (see the docs:
#: chosen on the synthetic agencies, where F1 is flat from about 4 to 12).
DEFAULT_THRESHOLD: Final = 8.0
#: The thresholds, relative to the one chosen, whose person counts each run reports.
OTHER_THRESHOLDS: Final = (-4.0, 4.0)
#: Below this many identity records no model is trained (there is nothing to learn from);
#: records are then linked by shared identifiers and people's joins only.
MIN_RECORDS: Final = 50
#: The ``model_version`` recorded by a run that had no model.
NO_MODEL: Final = "none"
#: Rows moved between Python and DuckDB at a time (record keys, earlier persons, decisions).
BATCH: Final = 50_000


@attrs.frozen
class LinkResult:
    """A run's decisions: who is who, with the evidence for each record's place.

    The decisions are an Arrow table, one row per source record in key order: at a
    million records, Python never holds one object per record unless asked to
    (:attr:`persons`, :attr:`weights` and :attr:`rules` are for small runs; stream
    :meth:`decisions` otherwise).
    """

    #: ``record`` (``source:offender_id``), ``person_id``, ``weight`` (the match weight of
    #: the strongest scored link holding the record in its person, or null) and ``rule``
    #: (what made its strongest link: a shared identifier, ``pnc`` or ``cro``, or a
    #: person's join, ``manual``, before a score, ``model``; ``alone`` when unlinked).
    table: Any = attrs.field(eq=False, repr=False)
    #: How many persons the records make.
    person_count: int
    #: The model that scored the pairs.
    model_version: str
    #: The threshold used.
    threshold: float
    #: Persons the run would give at other thresholds.
    alternatives: Mapping[float, int]
    #: Pairs sharing a valid identifier whose names and dates of birth both disagree.
    conflicts: Sequence[Conflict]
    #: The model, trained or loaded (to save, or explain pairs with); ``None`` when there
    #: were too few identity records to train one and none was given.
    model: Model | None = attrs.field(eq=False, repr=False)

    def decisions(self) -> Iterator[tuple[str, str, float | None, str]]:
        """Each record's ``(record, person_id, weight, rule)``, in key order, a batch at a time."""
        for batch in self.table.to_batches(BATCH):
            yield from zip(*(batch.column(i).to_pylist() for i in range(4)), strict=True)

    @property
    def persons(self) -> dict[str, str]:
        """Each source record → its person id."""
        return {record: person for record, person, _, _ in self.decisions()}

    @property
    def weights(self) -> dict[str, float | None]:
        """Each record → the match weight of its strongest scored link (``None``: none)."""
        return {record: weight for record, _, weight, _ in self.decisions()}

    @property
    def rules(self) -> dict[str, str]:
        """Each record → what made its strongest link."""
        return {record: rule for record, _, _, rule in self.decisions()}


def _step(progress: Progress | None, description: str) -> None:
    if progress is not None:
        progress.set_description(description)
        progress.update(1)


def run(
    rows: Iterable[Mapping[str, Any]],
    records: Iterable[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    model: str | os.PathLike[str] | None = None,
    joins: Iterable[tuple[str, str]] = (),
    nevers: Iterable[tuple[str, str]] = (),
    previous: Mapping[str, str] | None = None,
    first_new: int = 1,
    progress: Progress | None = None,
) -> LinkResult:
    """Link ``records`` (every source record key) using the identity ``rows`` they have.

    Records without an identity row are persons of their own unless a join says
    otherwise. ``previous`` (record → earlier person id) keeps ids stable; new ids are
    numbered from ``first_new``. The rows are read once, a batch at a time; the prepared
    identities, the pairs and the clusters live in DuckDB, so Python's memory does not
    grow with the pairs, and DuckDB's grows about linearly with the records (the blocking
    rules keep pairs per record bounded).
    """
    if progress is not None:
        progress.reset(6)
    _step(progress, "preparing identities")
    database = Database()
    database.load(rows)
    con = database.con
    _table(database, "records", records)
    _table(database, "previous", (previous or {}).items(), "person_id")
    _table(database, "joins", (_ordered(a, b) for a, b in joins), "b", key="a")
    _table(database, "never", (_ordered(a, b) for a, b in nevers), "b", key="a")
    con.execute(
        "CREATE TABLE everyone AS SELECT unique_id FROM records "
        "UNION SELECT unique_id FROM identities"
    )
    conflicts = deterministic_edges(database)
    _step(progress, "training the model" if model is None else "loading the model")
    fitted: Model | None = None
    (size,) = con.execute("SELECT count(*) FROM identities").fetchall()[0]
    if size >= MIN_RECORDS or model is not None:
        fitted = Model(database, None) if model is None else Model.load(database, model)
        if model is None:
            fitted.train()
    _step(progress, "scoring pairs")
    low = threshold + min(OTHER_THRESHOLDS)
    scored = fitted.predict(low) if fitted is not None else None
    _edges(database, scored)
    if scored is not None:
        con.execute(f"DROP TABLE {scored}")
    _step(progress, "clustering")
    con.execute(
        "CREATE TABLE capped AS SELECT a AS unique_id_l, b AS unique_id_r, "
        f"CASE WHEN weight = {HARD} THEN {_CAP} ELSE weight END AS match_weight, "
        "CASE WHEN weight > 60 THEN 1.0 ELSE pow(2.0, weight) / (1 + pow(2.0, weight)) END "
        "AS match_probability FROM edges"
    )
    outcomes: dict[float, str] = {}
    for level in (threshold, *(threshold + d for d in OTHER_THRESHOLDS)):
        found = database.connected_components("everyone", "capped", level)
        outcomes[level] = repair(database, found, "edges", "never", level)
    _step(progress, "naming persons")
    chosen = outcomes[threshold]
    persons = assign_ids(database, chosen, "previous", first_new)
    table = con.sql(
        f"""WITH held AS (
            SELECT e.a, e.b, e.weight, e.rule, e.priority FROM edges e
            JOIN {chosen} l ON l.unique_id = e.a JOIN {chosen} r ON r.unique_id = e.b
            WHERE e.weight >= ? AND l.cluster_id = r.cluster_id
        ), ends AS (
            SELECT a AS unique_id, weight, rule, priority FROM held
            UNION ALL SELECT b, weight, rule, priority FROM held
        ), strongest AS (
            SELECT unique_id, rule FROM ends
            QUALIFY row_number() OVER (PARTITION BY unique_id ORDER BY weight DESC, priority) = 1
        ), scored AS (
            SELECT unique_id, max(weight) AS weight FROM ends WHERE rule = 'model'
            GROUP BY unique_id
        )
        SELECT p.unique_id AS record, p.person_id, s.weight, coalesce(r.rule, 'alone') AS rule
        FROM {persons} p LEFT JOIN strongest r USING (unique_id)
        LEFT JOIN scored s USING (unique_id) ORDER BY record""",
        params=[threshold],
    ).to_arrow_table()
    counts = {
        level: con.execute(f"SELECT count(DISTINCT cluster_id) FROM {name}").fetchall()[0][0]
        for level, name in outcomes.items()
    }
    _step(progress, "done")
    result = LinkResult(
        table=table,
        person_count=counts[threshold],
        model_version=fitted.version if fitted is not None else NO_MODEL,
        threshold=threshold,
        alternatives={level: n for level, n in counts.items() if level != threshold},
        conflicts=conflicts,
        model=fitted,
    )
    if fitted is None:
        database.close()
    else:  # the model keeps the identities (to explain pairs with); the rest can go
        for name in (
            "records",
            "previous",
            "joins",
            "never",
            "everyone",
            "hard",
            "contradicted",
            "edges",
            "capped",
            persons,
            *outcomes.values(),
        ):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return result


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _table(
    database: Database, name: str, rows: Iterable[Any], *values: str, key: str = "unique_id"
) -> None:
    """A DuckDB table of record keys (with ``values`` columns) filled a batch at a time."""
    # optional extra: pyarrow (the link extra)
    import pyarrow as pa

    columns = (key, *values)
    database.con.execute(
        f"CREATE TABLE {name} (" + ", ".join(f"{c} VARCHAR" for c in columns) + ")"
    )
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH)):
        parts = zip(*batch, strict=True) if values else [batch]
        arrow = pa.table(dict(zip(columns, map(list, parts), strict=True)))
        database.con.register("batch", arrow)
        database.con.execute(f"INSERT INTO {name} SELECT * FROM batch")
        database.con.unregister("batch")


def _edges(database: Database, scored: str | None) -> None:
    """The table ``edges``: each pair's strongest link, hard, a person's join, or a score.

    Scores are kept only for pairs no constraint forbids: pairs with different valid PNC
    IDs, pairs a person has kept apart, and pairs sharing an identifier that names and
    dates of birth contradict (those are quality issues, not links).
    """
    model = (
        f"""UNION ALL
        SELECT s.a, s.b, s.weight, 'model', {PRIORITY["model"]} FROM (
            SELECT least(unique_id_l, unique_id_r) AS a,
                greatest(unique_id_l, unique_id_r) AS b, match_weight::DOUBLE AS weight
            FROM {scored}
        ) s
        LEFT JOIN identities l ON l.unique_id = s.a
        LEFT JOIN identities r ON r.unique_id = s.b
        WHERE NOT coalesce(l.pnc <> r.pnc, false)
        AND NOT EXISTS (SELECT 1 FROM never n WHERE n.a = s.a AND n.b = s.b)
        AND NOT EXISTS (SELECT 1 FROM contradicted c WHERE c.a = s.a AND c.b = s.b)"""
        if scored is not None
        else ""
    )
    database.con.execute(
        f"""CREATE TABLE edges AS
        SELECT * FROM (
            SELECT a, b, weight, rule, priority FROM hard
            UNION ALL
            SELECT j.a, j.b, {HARD}, 'manual', {PRIORITY["manual"]} FROM joins j
            WHERE NOT EXISTS (SELECT 1 FROM never n WHERE n.a = j.a AND n.b = j.b)
            {model}
        )
        QUALIFY row_number() OVER (PARTITION BY a, b ORDER BY weight DESC, priority) = 1"""
    )


#: The weight hard links are given in Splink's edge table (above any score it gives).
_CAP: Final = 99.0
