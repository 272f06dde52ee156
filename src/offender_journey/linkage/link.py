"""One linkage run: identity rows in, a person for every source record out.

The steps, in order: prepare the rows (:func:`~offender_journey.linkage.model.prepare`);
deterministic links from shared valid PNC IDs and CRO numbers; train the model (or load
one); score the blocked pairs; drop pairs a person has kept apart and pairs with
different valid PNC IDs; add the pairs a person has joined; cluster with Splink at the
threshold; repair clusters that break a constraint; give the clusters stable person ids.
The same steps at two other thresholds say how many persons they would give.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from ..progress import Progress
from .clusters import (
    HARD,
    Conflict,
    Constraints,
    assign_ids,
    deterministic_edges,
    grow,
    repair,
)
from .model import Edge, Model, prepare

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


@attrs.frozen
class LinkResult:
    """A run's decisions: who is who, with the evidence for each record's place."""

    #: Each source record (``source:offender_id``) → its person id.
    persons: Mapping[str, str]
    #: Each record → the match weight of the strongest scored link holding it in its
    #: person (``None``: held by no scored link).
    weights: Mapping[str, float | None]
    #: Each record → what made its strongest link: a shared identifier (``pnc``, ``cro``)
    #: or a person's join (``manual``) before a score (``model``); ``alone`` when unlinked.
    rules: Mapping[str, str]
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

    @property
    def person_count(self) -> int:
        """How many persons the records make."""
        return len(set(self.persons.values()))


def _step(progress: Progress | None, description: str) -> None:
    if progress is not None:
        progress.set_description(description)
        progress.update(1)


def run(
    rows: Sequence[Mapping[str, Any]],
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
    numbered from ``first_new``. Costs: memory and time grow about linearly with the
    rows (the blocking rules keep pairs per record bounded).
    """
    if progress is not None:
        progress.reset(6)
    _step(progress, "preparing identities")
    table = prepare(rows)
    everyone = sorted(set(records) | set(table["unique_id"]))
    hard, conflicts = deterministic_edges(table)
    contradicted = {(c.a, c.b) for c in conflicts}
    _step(progress, "training the model" if model is None else "loading the model")
    pnc = {key: value for key, value in zip(table["unique_id"], table["pnc"], strict=True) if value}
    never = frozenset(_ordered(a, b) for a, b in nevers)
    constraints = Constraints(pnc=pnc, never=never)
    fitted: Model | None = None
    if len(table["unique_id"]) >= MIN_RECORDS or model is not None:
        fitted = Model(table, None) if model is None else Model.load(table, model)
        if model is None:
            fitted.train()
    _step(progress, "scoring pairs")
    low = threshold + min(OTHER_THRESHOLDS)
    scored = [
        edge
        for edge in (fitted.predict(low) if fitted is not None else ())
        if (edge.a, edge.b) not in contradicted
        and (edge.a, edge.b) not in never
        and not (edge.a in pnc and edge.b in pnc and pnc[edge.a] != pnc[edge.b])
    ]
    manual = [
        Edge(*_ordered(a, b), weight=HARD, rule="manual")
        for a, b in joins
        if _ordered(a, b) not in never
    ]
    edges = _strongest([*hard, *manual, *scored])
    _step(progress, "clustering")
    outcomes: dict[float, dict[str, str]] = {}
    for level in (threshold, *(threshold + d for d in OTHER_THRESHOLDS)):
        if fitted is None:  # nothing scored: links are hard ones, kept under the constraints
            outcomes[level] = grow(everyone, edges, constraints)
            continue
        clusters = fitted.cluster(everyone, _capped(edges), level)
        outcomes[level] = repair(clusters, edges, constraints, level)
    _step(progress, "naming persons")
    chosen = outcomes[threshold]
    persons = assign_ids(chosen, previous or {}, first_new)
    weights: dict[str, float | None] = dict.fromkeys(everyone)
    rules = dict.fromkeys(everyone, "alone")
    strongest: dict[str, float] = {}
    for edge in edges:
        if edge.weight >= threshold and chosen[edge.a] == chosen[edge.b]:
            for record in (edge.a, edge.b):
                if edge.weight > strongest.get(record, -HARD):
                    strongest[record] = edge.weight
                    rules[record] = edge.rule
                known = weights[record]
                if edge.rule == "model" and (known is None or edge.weight > known):
                    weights[record] = edge.weight
    _step(progress, "done")
    return LinkResult(
        persons=persons,
        weights=weights,
        rules=rules,
        model_version=fitted.version if fitted is not None else NO_MODEL,
        threshold=threshold,
        alternatives={
            level: len(set(outcome.values()))
            for level, outcome in outcomes.items()
            if level != threshold
        },
        conflicts=conflicts,
        model=fitted,
    )


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _strongest(edges: Iterable[Edge]) -> list[Edge]:
    best: dict[tuple[str, str], Edge] = {}
    for edge in edges:
        known = best.get((edge.a, edge.b))
        if known is None or edge.weight > known.weight:
            best[(edge.a, edge.b)] = edge
    return list(best.values())


def _capped(edges: Sequence[Edge]) -> list[Edge]:
    """Edges with hard links given a finite weight above any score (for Splink's table)."""
    return [attrs.evolve(e, weight=_CAP) if e.weight == HARD else e for e in edges]


#: The weight hard links are given in Splink's edge table (above any score it gives).
_CAP: Final = 99.0
