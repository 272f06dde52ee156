"""The data-quality report: facts the definitions say are stored but not trusted, counted by kind.

Each oddity is shown by one event (its id is kept as an example) and counts on one
day: the day of that event, except negative durations, which count on the
sentencing occasion they were measured for (so a windowed report lists exactly
what days by sentencing occasion left out). Reports add up across offenders; the examples kept are
the smallest event ids, so the sum does not depend on the order of adding.

Examples:
    >>> from offender_journey.history import History
    >>> from offender_journey.offender import quality
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c = j.charge("2013-02-02", "shoplifting")
    >>> _ = j.convict("2013-01-01", c)
    >>> quality(History.build("O1", j.events), ALL_TIME).counts
    {'conviction_before_charge': 1}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..codec import shown
from ..history import ALL_TIME, Window
from ..labels import label
from ..persons import KINDS_OF_FACT
from ..store.base import Unreadable
from ..tables import Column, Table, Tabular, plural, printable
from .base import View

if TYPE_CHECKING:
    from ..facts.aggregate import FactSource

__all__ = [
    "KINDS",
    "Quality",
    "QualityView",
    "quality_in",
]

#: Every kind of oddity, with what it means. Order is the report's order.
KINDS: dict[str, str] = {
    "outcome_unknown_charge": "conviction or disposal for a charge id never charged",
    "duplicate_outcomes": "charge with several outcome events (the final one counts)",
    "conviction_before_charge": "conviction dated before its charge",
    "conviction_before_arrest": "conviction dated before the arrest of its charge",
    "offence_after_arrest": "offence dated after its arrest",
    "offence_after_charge": "offence dated after the charge for it",
    "offence_after_caution": "offence dated after the caution for it",
    "unknown_arrest": "charge or caution naming an arrest id never recorded",
    "resent_charge_id": "charge id recorded more than once (the last record counts)",
    "resent_id": "arrest, bail, remand, hearing, sentence, caution, licence or warrant id "
    "recorded more than once (the last record counts)",
    "sentence_unknown_charge": "sentence listing a charge id never charged",
    "sentence_charge_not_convicted": "sentence listing a charge not finally convicted",
    "negative_arrest_to_conviction": "arrest-to-conviction < 0 days (left out of that measure)",
    "negative_offence_to_arrest": "offence-to-arrest < 0 days (left out of that measure)",
    "bail_ended_without_grant": "bail ended that was never granted",
    "remand_ended_without_remand": "remand ended that never started",
    "warrant_closed_without_issue": "warrant executed or withdrawn that was never issued",
    "licence_event_without_release": "recall, return or licence end for a licence never released",
    "release_without_custodial_sentence": "release on licence from no immediate-custody sentence",
    "episode_ends_before_start": "end event (or licence end) dated before its episode's start",
    "order_without_length": "suspended sentence or community order without length_days",
    "retraction_unknown_target": "retraction of an event id not in the offender's stream",
    "recorded_in_future": "recorded_at later than the report (unseen by every view until then)",
    "invalid_pnc_id": "identity record whose PNC ID has a wrong check letter, is in no PNC "
    "form, or is a placeholder (kept as given; never used to link)",
    "invalid_cro_number": "identity record whose CRO number has a wrong check letter, is in "
    "neither CRO form, or is a placeholder (kept as given; never used to link)",
    "invalid_crn": "identity record whose CRN is not a letter and six digits, or is a "
    "placeholder (kept as given; never used to link)",
    "invalid_nomis_number": "identity record whose NOMIS number is not a letter, four digits "
    "and two letters, or is a placeholder (kept as given; never used to link)",
    "arrest_while_held": "arrest dated while the person was in custody or on remand",
    "bail_while_held": "bail running on while the person was remanded or in prison (bail "
    "ends when the person is remanded or imprisoned)",
    "order_while_in_prison": "community order made while the person was in prison",
    **{
        f"conflicting_{kind}": f"two of a person's sources disagree about {covers} (the "
        f"record before '>' counts, by the precedence for {kind}; shown as source:event id)"
        for kind, covers in KINDS_OF_FACT.items()
    },
}

#: How many example event ids a report keeps per kind.
EXAMPLES = 5


def _by_position(rows: Iterable[Unreadable]) -> tuple[Unreadable, ...]:
    """Each row once, by position (reports of several parts add up in any order)."""
    unique = {row.position: Unreadable(*row) for row in rows}
    return tuple(unique[position] for position in sorted(unique))


def _kind_order(kind: str) -> tuple[int, str]:
    order = list(KINDS)
    return (order.index(kind) if kind in KINDS else len(order), kind)


def _counts(mapping: Mapping[str, int]) -> dict[str, int]:
    return {k: mapping[k] for k in sorted(mapping, key=_kind_order)}


def _examples(mapping: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {k: mapping[k] for k in sorted(mapping, key=_kind_order)}


@attrs.frozen
class Quality(Tabular):
    """Counts of oddities by kind, with up to :data:`EXAMPLES` example event ids each.

    Examples:
        >>> a = Quality({"resent_id": 1}, {"resent_id": ("e9",)})
        >>> b = Quality({"resent_id": 2}, {"resent_id": ("e1", "e2")})
        >>> (a + b).examples["resent_id"]
        ('e1', 'e2', 'e9')
    """

    counts: Mapping[str, int] = attrs.field(factory=dict, converter=_counts)
    examples: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_examples)
    #: Stored rows that cannot be read back as events (every view leaves them out), by
    #: position: never rejected input, but rows put into the database by other means.
    unreadable: tuple[Unreadable, ...] = attrs.field(default=(), converter=_by_position)

    @property
    def total(self) -> int:
        """All oddities of every kind."""
        return sum(self.counts.values())

    def __add__(self, other: Quality) -> Quality:
        counts = dict(self.counts)
        examples = dict(self.examples)
        for kind, n in other.counts.items():
            counts[kind] = counts.get(kind, 0) + n
        for kind, ids in other.examples.items():
            mine = examples.get(kind, ())
            examples[kind] = tuple(sorted(set(mine) | set(ids))[:EXAMPLES])
        return Quality(counts, examples, (*self.unreadable, *other.unreadable))

    def table(self) -> Table:
        """One row per kind of oddity found."""
        columns = (
            Column("kind", "category", unit="code"),
            Column("count", "int"),
            Column("examples"),
            Column("meaning"),
        )
        rows = tuple(
            (kind, self.counts[kind], " ".join(self.examples.get(kind, ())), KINDS.get(kind, ""))
            for kind in sorted(self.counts, key=_kind_order)
        )
        return Table("Data quality", columns, rows)

    def to_json(self) -> dict[str, Any]:
        """``{"total": n, "kinds": {kind: {"count", "examples", "meaning"}}, "unreadable":
        [{"position", "event_id", "reason"}]}``."""
        return {
            "total": self.total,
            "unreadable": [
                {"position": row.position, "event_id": row.event_id, "reason": row.reason}
                for row in self.unreadable
            ],
            "kinds": {
                kind: {
                    "count": self.counts[kind],
                    "examples": list(self.examples.get(kind, ())),
                    "meaning": KINDS.get(kind, ""),
                }
                for kind in sorted(self.counts, key=_kind_order)
            },
        }

    def __str__(self) -> str:
        if not self.unreadable:
            return self._oddities()
        rows = "\n".join(
            f"  position {row.position}, event {printable(shown(row.event_id))}: {row.reason}"
            for row in self.unreadable
        )
        unreadable = (
            f"{plural(len(self.unreadable), 'stored row')} cannot be read back as events and "
            f"{'is' if len(self.unreadable) == 1 else 'are'} left out of every view (kept "
            "as stored; see the quality documentation):\n"
        )
        return f"{unreadable}{rows}\n\n{self._oddities()}"

    def _oddities(self) -> str:
        if not self.counts:
            return "No data-quality issues found."
        table = self.table()
        counts = Table(table.title, table.columns[:3], tuple(row[:3] for row in table.rows))
        explained = "\n".join(f"  {label(kind)}: {meaning}" for kind, _, _, meaning in table.rows)
        return "\n".join(
            [
                f"{plural(self.total, 'oddity', 'oddities')} of {plural(len(self.counts), 'kind')} "
                "(stored, not rejected; each view says how it treats them):",
                counts.to_text(title=False),
                "",
                "What each kind means:",
                explained,
            ]
        )


def quality_in(source: FactSource, window: Window = ALL_TIME) -> Quality:
    """The report of the ``quality_issues`` counting in ``window``, counted in SQL.

    The examples are the smallest distinct event ids of each kind.
    """
    where, params = source.where("q", "day", window)
    counts = {
        source.text(code): int(n)
        for code, n in source.fetch(
            f"SELECT q.code, COUNT(*) FROM quality_issues q WHERE {where} GROUP BY q.code",
            params,
        )
    }
    examples: dict[str, list[str]] = {}
    for code, event_id in source.fetch(
        "SELECT code, event_id FROM (SELECT code, event_id, ROW_NUMBER() OVER "
        f"(PARTITION BY code ORDER BY event_id{source.dialect.collate}) AS n FROM "
        f"(SELECT DISTINCT q.code, q.event_id FROM quality_issues q WHERE {where}) d) r "
        f"WHERE n <= {EXAMPLES}",
        params,
    ):
        examples.setdefault(source.text(code), []).append(source.text(event_id))
    unreadable = [
        Unreadable(source.text(offender_id), int(position), source.text(event_id), reason)
        for offender_id, position, event_id, reason in source.fetch(
            "SELECT offender_id, position, event_id, reason FROM unreadable_events", ()
        )
    ]
    return Quality(
        counts, {code: tuple(sorted(ids)) for code, ids in examples.items()}, tuple(unreadable)
    )


@attrs.frozen
class QualityView(View[Quality]):
    """The data-quality view, counted in SQL."""

    name: str = "quality"
    #: The fact tables the view reads.
    tables = ("quality_issues",)
    title = "Data quality"

    def aggregate(self, source: FactSource, window: Window) -> Quality:
        """The :class:`Quality` of every offender of ``source`` in ``window``."""
        return quality_in(source, window)

    def empty(self) -> Quality:
        """The zero result (no offenders)."""
        return Quality()
