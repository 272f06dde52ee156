"""One person's facts from several agencies: each fact once, and who is believed when they differ.

A person's source records are put together by :meth:`History.of_records
<offender_journey.history.History.of_records>`; this module says what that union is.
The ids of things (``charge_id``, ``sentence_id``, ``licence_id`` ...) are references
the agencies share, so two sources reporting an event about the same thing report *one
fact*: it is kept once. A charge two sources hold under different references is the same
charge when its offence date and offence code match (the fallback, which a partnership
can switch off per source). When the sources' accounts of a fact differ, the
:class:`Rules` say whose account counts: a precedence of sources per *kind of fact*.
Each disagreement is kept as a :class:`Conflict`, for the data-quality report.

Within one source nothing changes: its re-sent records and its several outcomes for one
charge are read by the rules every view already follows. A history of one source is
never touched, whatever the rules.

The rules are the partnership's, stored with the store (:func:`read_rules`,
:func:`write_rules`) so every command and every writer of facts reads the same ones;
:attr:`Rules.fingerprint` tells a keeper of facts when they changed.

Examples:
    >>> rules = Rules().with_precedence("outcome", ["police", "courts"])
    >>> rules.precedence["outcome"], rules.rank("outcome", "courts")
    (('police', 'courts'), 1)
    >>> Rules().rank("outcome", "probation")  # a source not named ranks after those named
    1
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import attrs

from .errors import OffenderJourneyError, Problem
from .events import (
    SOURCE_NAME,
    Arrest,
    BailEnded,
    BailGranted,
    Caution,
    Charge,
    ChargeDisposed,
    Conviction,
    CourtAppearance,
    Event,
    LicenceEnded,
    LicenceRecalled,
    OffenderProfile,
    ReleasedOnLicence,
    RemandedInCustody,
    RemandEnded,
    ReturnedToCustody,
    RiskAssessed,
    Sentence,
    WarrantExecuted,
    WarrantIssued,
    WarrantWithdrawn,
)
from .tables import Column, Table

__all__ = [
    "DEFAULT_PRECEDENCE",
    "KINDS_OF_FACT",
    "MATCHINGS",
    "RULES_KEY",
    "Conflict",
    "Merged",
    "Rules",
    "RulesError",
    "merge",
    "read_rules",
    "write_rules",
]

#: Each kind of fact a precedence is set for, and what it covers.
KINDS_OF_FACT: Final[Mapping[str, str]] = {
    "arrest": "an arrest",
    "charge": "a charge",
    "bail": "a bail granted or ended",
    "caution": "a caution",
    "hearing": "a court appearance",
    "outcome": "a charge's outcome (conviction or disposal)",
    "sentence": "a sentence (an order included)",
    "custody": "a remand or its end, a release on licence, a return to custody",
    "licence": "a licence's recall or end",
    "warrant": "a warrant issued, executed or withdrawn",
}

#: Whose account counts, first to last, for each kind of fact, unless a partnership says
#: otherwise. A source not named for a kind ranks after the sources named.
DEFAULT_PRECEDENCE: Final[Mapping[str, tuple[str, ...]]] = {
    "arrest": ("police",),
    "charge": ("police",),
    "bail": ("police",),
    "caution": ("police",),
    "hearing": ("courts",),
    "outcome": ("courts",),
    "sentence": ("courts", "probation", "prison"),
    "custody": ("prison",),
    "licence": ("probation",),
    "warrant": ("courts", "police"),
}

Matching = Literal["reference", "offence"]

#: How a source's charges are matched to another source's: by their reference alone, or
#: by reference and, for a charge whose reference no other source holds, by offence date
#: and offence code.
MATCHINGS: Final[Mapping[str, str]] = {
    "reference": "the same charge reference only",
    "offence": "the same charge reference, else the same offence date and offence code",
}

#: The key the rules are stored under in the store's notes.
RULES_KEY: Final = "person_rules"


class RulesError(OffenderJourneyError, ValueError):
    """Rules that cannot be used; ``problems`` names each field and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(map(str, self.problems)))


def _precedence(value: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    return {**DEFAULT_PRECEDENCE, **{kind: tuple(v) for kind, v in value.items()}}


def _by_source(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


def _check_source(field: str, source: object) -> list[Problem]:
    if not isinstance(source, str) or not SOURCE_NAME.fullmatch(source):
        return [
            Problem(
                field,
                f"{source!r} is not a source name (a lower-case letter, then up to 31 "
                "lower-case letters, digits or _)",
            )
        ]
    return []


def _check_precedence(
    _instance: Any, _attribute: Any, value: Mapping[str, tuple[str, ...]]
) -> None:
    problems: list[Problem] = []
    for kind, sources in value.items():
        field = f"precedence.{kind}"
        if kind not in KINDS_OF_FACT:
            problems.append(
                Problem(
                    "precedence",
                    f"unknown kind of fact {kind!r}; known: {', '.join(KINDS_OF_FACT)}",
                )
            )
            continue
        for source in sources:
            problems += _check_source(field, source)
        repeated = sorted(s for s, n in Counter(sources).items() if n > 1)
        if repeated:
            problems.append(Problem(field, f"{repeated[0]!r} is named twice"))
    if problems:
        raise RulesError(problems)


def _check_matching(field: str, value: object) -> list[Problem]:
    if value not in MATCHINGS:
        return [Problem(field, f"{value!r} is not a matching; choose from {', '.join(MATCHINGS)}")]
    return []


def _check_default_matching(_instance: Any, _attribute: Any, value: str) -> None:
    if problems := _check_matching("matching", value):
        raise RulesError(problems)


def _check_matching_by_source(_instance: Any, _attribute: Any, value: Mapping[str, str]) -> None:
    problems: list[Problem] = []
    for source, matching in value.items():
        problems += _check_source("matching_by_source", source)
        problems += _check_matching(f"matching_by_source.{source}", matching)
    if problems:
        raise RulesError(problems)


@attrs.frozen
class Rules:
    """A partnership's rules for putting one person's records from several sources together.

    ``precedence`` maps each kind of fact (:data:`KINDS_OF_FACT`) to the sources whose
    account counts, first to last; kinds left out keep :data:`DEFAULT_PRECEDENCE`.
    ``matching`` is how every source's charges are matched (:data:`MATCHINGS`), and
    ``matching_by_source`` the exceptions, source by source. Bad rules raise
    :class:`RulesError` naming the field.
    """

    precedence: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_precedence, validator=_check_precedence
    )
    matching: str = attrs.field(default="offence", validator=_check_default_matching)
    matching_by_source: Mapping[str, str] = attrs.field(
        factory=dict, converter=_by_source, validator=_check_matching_by_source
    )

    def rank(self, kind: str, source: str | None) -> int:
        """Where ``source`` stands for ``kind`` (0 first); a source not named comes after."""
        order = self.precedence[kind]
        return order.index(source) if source in order else len(order)

    def matching_of(self, source: str | None) -> str:
        """How the charges of ``source`` are matched to another source's."""
        return self.matching_by_source.get(source or "", self.matching)

    def with_precedence(self, kind: str, sources: Iterable[str]) -> Rules:
        """These rules with ``kind``'s precedence replaced."""
        return attrs.evolve(self, precedence={**self.precedence, kind: tuple(sources)})

    def to_json(self) -> dict[str, Any]:
        """The rules as JSON: ``precedence``, ``matching`` and ``matching_by_source``."""
        return {
            "precedence": {kind: list(self.precedence[kind]) for kind in KINDS_OF_FACT},
            "matching": self.matching,
            "matching_by_source": dict(sorted(self.matching_by_source.items())),
        }

    @classmethod
    def from_json(cls, value: object) -> Rules:
        """Rules from their JSON (:meth:`to_json`); anything left out keeps its default."""
        if not isinstance(value, Mapping):
            raise RulesError([Problem("rules", "must be a JSON object")])
        unknown = sorted(set(value) - {"precedence", "matching", "matching_by_source"})
        if unknown:
            raise RulesError([Problem(unknown[0], "unknown field")])
        precedence = value.get("precedence", {})
        by_source = value.get("matching_by_source", {})
        problems: list[Problem] = []
        if not isinstance(precedence, Mapping):
            problems.append(Problem("precedence", "must be an object of kind: [sources]"))
        else:
            problems += [
                Problem(f"precedence.{kind}", "must be a list of source names")
                for kind, sources in precedence.items()
                if not isinstance(sources, list)
            ]
        if not isinstance(by_source, Mapping):
            problems.append(Problem("matching_by_source", "must be an object of source: matching"))
        if problems:
            raise RulesError(problems)
        return cls(precedence, value.get("matching", "offence"), by_source)

    def table(self) -> Table:
        """One row per kind of fact: the sources in order of precedence, and what it covers."""
        return Table(
            "Precedence of sources, by kind of fact",
            (Column("kind"), Column("precedence", label="sources, first counts"), Column("covers")),
            tuple(
                (kind, " ".join(self.precedence[kind]) or "-", covers)
                for kind, covers in KINDS_OF_FACT.items()
            ),
        )

    def __str__(self) -> str:
        exceptions = "".join(
            f"\n  {source}: {MATCHINGS[matching]}"
            for source, matching in sorted(self.matching_by_source.items())
        )
        return (
            f"{self.table().to_text()}\n"
            "A source not named for a kind ranks after those named; between two such, the one "
            "that recorded the fact last counts.\n"
            f"Charges of two sources are one charge with {MATCHINGS[self.matching]}"
            f"{exceptions and '; except:'}{exceptions}"
        )

    @property
    def fingerprint(self) -> str:
        """A short digest of the rules: equal rules, equal fingerprints (in any process)."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_rules(store: object) -> Rules:
    """The rules stored with ``store``, or the defaults when none are (or it keeps no notes).

    Raises :class:`RulesError` when the stored rules cannot be read (written by hand).
    """
    meta = getattr(store, "meta", None)
    text = meta(RULES_KEY) if meta is not None else None
    if text is None:
        return Rules()
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise RulesError([Problem("rules", f"the stored rules are not JSON ({exc})")]) from None
    return Rules.from_json(value)


def write_rules(store: object, rules: Rules | None) -> None:
    """Store ``rules`` with ``store`` (``None``: back to the defaults), committed at once."""
    set_meta = getattr(store, "set_meta", None)
    if set_meta is None:
        raise TypeError(f"{type(store).__name__} keeps no notes, so no rules")
    text = None if rules is None else json.dumps(rules.to_json(), sort_keys=True)
    set_meta(RULES_KEY, text)
    # A role that may not write the store's notes leaves none: say so, never claim it did.
    if store.meta(RULES_KEY) != text:  # type: ignore[attr-defined]
        raise RulesError(
            [Problem("rules", "this role may not change the rules; the store's owner sets them")]
        )


# --- putting records together --------------------------------------------------------------

#: Each event type that is about a thing: its kind of fact, the fact it states (events of
#: one fact compete), and the field naming the thing.
_FACTS: Final[Mapping[type[Event], tuple[str, str, str]]] = {
    Arrest: ("arrest", "arrest", "arrest_id"),
    Charge: ("charge", "charge", "charge_id"),
    BailGranted: ("bail", "bail_granted", "bail_id"),
    BailEnded: ("bail", "bail_ended", "bail_id"),
    Caution: ("caution", "caution", "caution_id"),
    CourtAppearance: ("hearing", "court_appearance", "hearing_id"),
    Conviction: ("outcome", "outcome", "charge_id"),
    ChargeDisposed: ("outcome", "outcome", "charge_id"),
    Sentence: ("sentence", "sentence", "sentence_id"),
    RemandedInCustody: ("custody", "remanded_in_custody", "remand_id"),
    RemandEnded: ("custody", "remand_ended", "remand_id"),
    ReleasedOnLicence: ("custody", "released_on_licence", "licence_id"),
    ReturnedToCustody: ("custody", "returned_to_custody", "licence_id"),
    LicenceRecalled: ("licence", "licence_recalled", "licence_id"),
    LicenceEnded: ("licence", "licence_ended", "licence_id"),
    WarrantIssued: ("warrant", "warrant_issued", "warrant_id"),
    WarrantExecuted: ("warrant", "warrant_executed", "warrant_id"),
    WarrantWithdrawn: ("warrant", "warrant_withdrawn", "warrant_id"),
}

#: Event types that name no thing: two sources' events of one of these types are one fact
#: when they say the same (a risk score passed on, a profile copied).
_WITHOUT_ID: Final[frozenset[type[Event]]] = frozenset({RiskAssessed, OffenderProfile})

#: The facts one event introduces under its id: a source's account is its latest record.
_INTRODUCING: Final = frozenset(
    {
        "arrest",
        "charge",
        "bail_granted",
        "caution",
        "court_appearance",
        "sentence",
        "remanded_in_custody",
        "released_on_licence",
        "warrant_issued",
    }
)

#: Fields that say who recorded an event and when, not what happened.
_BOOKKEEPING: Final = frozenset(
    {"event_id", "offender_id", "recorded_at", "schema_version", "source"}
)


#: Each event type's fields that say what happened (found on first use).
_TOLD: dict[type[Event], tuple[str, ...]] = {}


def _content(event: Event) -> tuple[Any, ...]:
    """What an event says happened: its type and every field but the bookkeeping."""
    kind = type(event)
    told = _TOLD.get(kind)
    if told is None:
        told = _TOLD[kind] = tuple(f.name for f in attrs.fields(kind) if f.name not in _BOOKKEEPING)
    return (kind, *(getattr(event, name) for name in told))


@attrs.frozen
class Conflict:
    """Two or more sources' differing accounts of one fact, and whose counted.

    ``kept`` are the winning source's events about the fact (every one, as that source's
    own rules read them); ``overruled`` the other sources' events about it, which count
    nowhere.
    """

    #: The kind of fact (a key of :data:`KINDS_OF_FACT`) whose precedence decided.
    kind: str
    #: The fact: ``outcome``, ``released_on_licence``, ``sentence`` ...
    fact: str
    #: The id of the thing the fact is about (a charge id for an outcome).
    thing_id: str
    kept: tuple[Event, ...]
    overruled: tuple[Event, ...]

    @property
    def winner(self) -> str | None:
        """The source whose account counts."""
        return self.kept[-1].source

    @property
    def sources(self) -> tuple[str | None, ...]:
        """Every source that gave an account, the winner first."""
        others = dict.fromkeys(e.source for e in self.overruled)
        return (self.winner, *others)

    @property
    def shown(self) -> str:
        """The records in dispute as the quality report shows them, names and dates left out.

        The record that counts, ``>``, then the record of each source overruled, each
        as ``source:event_id``.

        >>> from offender_journey.builder import JourneyBuilder
        >>> courts = JourneyBuilder("D9", source="courts")
        >>> police = JourneyBuilder("P1", source="police")
        >>> charge = police.charge("2019-01-02", "theft_other")
        >>> won, lost = courts.convict("2019-03-01", charge), police.dispose("2019-02-01", charge)
        >>> Conflict("outcome", "outcome", charge.charge_id, (won,), (lost,)).shown
        'courts:D9-e0>police:P1-e1'
        """
        last = {e.source: e for e in self.overruled}
        return ">".join(_reference(e) for e in (_counting(self.fact, self.kept), *last.values()))


@attrs.frozen
class Merged:
    """A person's effective events with each fact once, and what was left out and why."""

    #: The events that count, in transaction order.
    events: tuple[Event, ...]
    #: Other sources' reports of a fact a source ranked higher reported too.
    set_aside: tuple[Event, ...] = ()
    #: The facts whose accounts differed, by kind of fact and thing id.
    conflicts: tuple[Conflict, ...] = ()
    #: Charges matched by offence: ``(source, its charge id, the charge id kept)``.
    matched: tuple[tuple[str | None, str, str], ...] = ()


def merge(events: Sequence[Event], rules: Rules | None = None) -> Merged:
    """Each fact once, by ``rules`` (default :class:`Rules`), from effective events in
    transaction order.

    Events from one source are returned as they are. Otherwise: charges are matched by
    offence where the rules allow; then, for each fact reported by several sources, the
    source ranked first for its kind keeps its events and the others' are set aside,
    as a :class:`Conflict` when their accounts differ. O(n log n) in the events.
    """
    if len({event.source for event in events}) < 2:
        return Merged(tuple(events))
    rules = Rules() if rules is None else rules
    matched = _offence_matches(events, rules)
    if matched:
        events = _renamed(events, matched)
    # Each fact's reports, source by source, as (position, event) in transaction order.
    reports: dict[tuple[str, Any], dict[str | None, list[tuple[int, Event]]]] = {}
    for position, event in enumerate(events):
        about = _FACTS.get(type(event))
        if about is not None:
            key: tuple[str, Any] = (about[1], getattr(event, about[2]))
        elif type(event) in _WITHOUT_ID:
            key = (event.TYPE, _content(event))
        else:
            continue
        reports.setdefault(key, {}).setdefault(event.source, []).append((position, event))
    dropped: set[int] = set()
    conflicts: list[Conflict] = []
    for (fact, thing_id), by_source in reports.items():
        if len(by_source) < 2:
            continue
        first = next(iter(by_source.values()))[0][1]
        if type(first) in _WITHOUT_ID:  # known by what it says: the same in every source
            latest = max(by_source, key=lambda s: by_source[s][-1][0])
            dropped.update(p for s, told in by_source.items() if s != latest for p, _ in told)
            continue
        kind = _FACTS[type(first)][0]
        winner = min(by_source, key=lambda s: (rules.rank(kind, s), -by_source[s][-1][0]))
        account = _account(fact, by_source[winner])
        differs = False
        for source, told in by_source.items():
            if source != winner:
                dropped.update(position for position, _ in told)
                differs = differs or not _agree(_account(fact, told), account)
        if differs:
            conflicts.append(
                Conflict(
                    kind,
                    fact,
                    thing_id,
                    tuple(e for _, e in by_source[winner]),
                    tuple(
                        e
                        for p, e in sorted(
                            (pe for s, told in by_source.items() if s != winner for pe in told),
                            key=lambda pe: pe[0],
                        )
                    ),
                )
            )
    conflicts.sort(key=lambda c: (c.kind, c.fact, c.thing_id))
    return Merged(
        tuple(e for p, e in enumerate(events) if p not in dropped),
        tuple(e for p, e in enumerate(events) if p in dropped),
        tuple(conflicts),
        tuple(
            (source, old, new)
            for source, renames in matched.items()
            for old, new in sorted(renames.items())
        ),
    )


def _reference(event: Event) -> str:
    return event.event_id if event.source is None else f"{event.source}:{event.event_id}"


def _counting(fact: str, events: Sequence[Event]) -> Event:
    """Of one source's events about a fact (transaction order), the one that counts."""
    if fact == "outcome":
        return max(enumerate(events), key=lambda pe: (pe[1].date, pe[0]))[1]
    return events[-1]


def _agree(one: Any, other: Any) -> bool:
    """Whether two accounts say the same, a field one source leaves empty agreeing with any.

    A court that does not record the arrest a charge followed does not contradict the
    police, who do.
    """
    if isinstance(one, list):
        return len(one) == len(other) and all(map(_agree, one, other))
    return len(one) == len(other) and all(
        a == b or a is None or b is None for a, b in zip(one, other, strict=True)
    )


def _account(fact: str, told: Sequence[tuple[int, Event]]) -> Any:
    """What one source says about one fact, in the terms the views read it.

    A thing introduced under an id is described by the source's latest record of it; a
    charge's outcome is its final one (latest date, then latest recorded); other events
    about a thing each count, so all of them, in date order.
    """
    if fact in _INTRODUCING:
        return _content(told[-1][1])
    if fact == "outcome":
        return _content(_counting(fact, [e for _, e in told]))
    return sorted((_content(e) for _, e in told), key=repr)


def _offence_matches(events: Sequence[Event], rules: Rules) -> dict[str | None, dict[str, str]]:
    """Charges two sources hold under different references but for one offence.

    Sources are taken in their precedence for charges; each source's charges whose
    reference no other source holds are paired, in order of charge date and recording,
    with the charges of higher-ranked sources that have the same offence date and offence
    code and that it does not hold itself. Both sources must match by offence.
    """
    latest: dict[str | None, dict[str, tuple[int, Charge]]] = {}
    for position, event in enumerate(events):
        if type(event) is Charge:
            latest.setdefault(event.source, {})[event.charge_id] = (position, event)
    offence_sources = [s for s in latest if rules.matching_of(s) == "offence"]
    if len(offence_sources) < 2:
        return {}
    holders = Counter(charge_id for charges in latest.values() for charge_id in charges)
    order = sorted(
        offence_sources,
        key=lambda s: (rules.rank("charge", s), -max(p for p, _ in latest[s].values())),
    )
    pool: dict[tuple[Any, str], list[str]] = {}
    pooled: set[str] = set()
    matches: dict[str | None, dict[str, str]] = {}
    for source in order:
        mine = latest[source]
        # Per offence, how far this source has gone down the pool: the charges before it
        # are paired already or its own, so each pairing costs O(1) amortised.
        cursor: dict[tuple[Any, str], int] = {}
        fresh: list[tuple[tuple[Any, str], str]] = []
        for charge_id, (_, charge) in sorted(
            mine.items(), key=lambda kv: (kv[1][1].date, kv[1][0])
        ):
            offence = (charge.offence_date, charge.offence.code)
            if holders[charge_id] == 1:
                candidates = pool.get(offence, ())
                at = cursor.get(offence, 0)
                while at < len(candidates) and candidates[at] in mine:
                    at += 1
                if at < len(candidates):
                    matches.setdefault(source, {})[charge_id] = candidates[at]
                    cursor[offence] = at + 1
                    continue
                cursor[offence] = at
            if charge_id not in pooled:
                fresh.append((offence, charge_id))
        for offence, charge_id in fresh:
            pool.setdefault(offence, []).append(charge_id)
            pooled.add(charge_id)
    return matches


def _renamed(
    events: Sequence[Event], matched: Mapping[str | None, Mapping[str, str]]
) -> list[Event]:
    """The events with each matched charge's reference replaced by the one kept."""
    out: list[Event] = []
    for event in events:
        renames = matched.get(event.source)
        out.append(_renamed_event(event, renames) if renames else event)
    return out


def _renamed_event(event: Event, renames: Mapping[str, str]) -> Event:
    """``event`` naming each charge by ``renames`` (itself when it names none of them)."""
    if isinstance(event, Charge | Conviction | ChargeDisposed):
        if event.charge_id in renames:
            return attrs.evolve(event, charge_id=renames[event.charge_id])
        return event
    if isinstance(event, Sentence | CourtAppearance | BailGranted | RemandedInCustody):
        if renames.keys().isdisjoint(event.charge_ids):
            return event
        return attrs.evolve(event, charge_ids=tuple(renames.get(c, c) for c in event.charge_ids))
    return event
