"""The one fold that makes facts: an offender's effective history → a row per fact.

:func:`derive` is the only place fact rows are made. ``refresh`` stores what it
returns; a query ``as_of`` a past time derives the same rows on the fly from the
history cut at that time. Either way the views read rows, so a number is computed
one way only.

Nothing here depends on *when* the question is asked: an open episode is stored
with no end, and the views close it at query time.

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> from offender_journey.history import History
    >>> j = JourneyBuilder("O1")
    >>> a = j.arrest("2013-02-01")
    >>> c = j.charge("2013-02-02", "shoplifting", arrest=a)
    >>> _ = j.convict("2013-04-02", c)
    >>> facts = derive(History.build("O1", j.events))
    >>> [(r.charge_id, r.outcome, r.arrest_date.isoformat()) for r in facts.charges]
    [('O1-c0', 'convicted', '2013-02-01')]
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import operator
from collections.abc import Collection, Iterable, Sequence

from sortedcontainers import SortedList

from ..dates import add_years, add_years_months
from ..events import (
    Arrest,
    BailGranted,
    Category,
    Caution,
    Charge,
    Conviction,
    CourtAppearance,
    Event,
    LicenceRecalled,
    OffenderProfile,
    RecordLinked,
    ReleasedOnLicence,
    RemandedInCustody,
    ReturnedToCustody,
    RiskAssessed,
    Sentence,
    WarrantExecuted,
    WarrantIssued,
    WarrantWithdrawn,
    record_key,
)
from ..folds.episodes import (
    EpisodeKind,
    Episodes,
    Oddity,
    derive_episodes,
    latest_cautions,
    offence_flags,
)
from ..folds.oddities import arrests_while_held, event_oddities, held_overlaps
from ..folds.offending import Sanction, offences, sanctions
from ..folds.reoffending import age_group, index_candidates, latest_recorded
from ..history import History
from ..store.base import to_micros
from .schema import (
    TABLE,
    ChargeOccasionRow,
    ChargeRow,
    EffectiveEventRow,
    EpisodeRow,
    IndexEventRow,
    OffenceRow,
    OffenderFacts,
    OffenderRow,
    PersonRecordRow,
    QualityIssueRow,
    RecallRow,
    RiskAssessmentRow,
    SanctionRow,
    SentencingOccasionRow,
    WarrantRow,
)

__all__ = ["derive", "durations"]

#: An event's source and the id it gives the person: the record it belongs to.
_SOURCE_RECORD = operator.attrgetter("source", "offender_id")

#: Makes a row from a tuple of its values without the row type's Python-level ``__new__``:
#: ``_new(Row, (a, b))`` is ``Row(a, b)``. Every row here is made so: they are made by the
#: hundred thousand, and it halves the cost of each (about 140 ns saved on a 7-field row).
_new = tuple.__new__

#: Events that introduce a thing under an id: a re-sent id supersedes the earlier record.
_INTRODUCING: dict[type[Event], str] = {
    Arrest: "arrest_id",
    Charge: "charge_id",
    BailGranted: "bail_id",
    RemandedInCustody: "remand_id",
    CourtAppearance: "hearing_id",
    Sentence: "sentence_id",
    Caution: "caution_id",
    ReleasedOnLicence: "licence_id",
    WarrantIssued: "warrant_id",
}


def _effective_events(history: History) -> tuple[EffectiveEventRow, ...]:
    events: Iterable[Event] = history.journey
    groups = history.by_type_recorded
    resent = any(
        len(group) > 1 and len({getattr(e, field) for e in group}) < len(group)
        for kind, field in _INTRODUCING.items()
        if (group := groups.get(kind)) is not None
    )
    if resent or len(groups.get(OffenderProfile, ())) > 1:
        # Leave out the records superseded by a later one of the same id, and all but the
        # profile recorded last. (Without re-sent ids every record is the latest of its id.)
        latest: dict[tuple[type[Event], str], Event] = {}
        for event in history.in_transaction_order:
            field = _INTRODUCING.get(type(event))
            if field is not None:
                latest[type(event), getattr(event, field)] = event
        kept = {id(e) for e in latest.values()}  # event ids repeat across a person's sources
        profile = history.profile
        events = [
            e
            for e in events
            if not (type(e) in _INTRODUCING and id(e) not in kept)
            and (type(e) is not OffenderProfile or e is profile)
        ]
    oid = history.offender_id
    return tuple(
        [
            _new(
                EffectiveEventRow,
                (
                    oid,
                    e.source or "",
                    e.event_id,
                    e.TYPE,
                    e.date,
                    0 if (at := e.recorded_at) is None else to_micros(at),
                ),
            )
            for e in events
        ]
    )


def durations(charge: ChargeRow) -> tuple[int, int] | None:
    """``(arrest_to_conviction, offence_to_arrest)`` in days, raw (negatives included).

    ``None`` unless the charge is convicted and its arrest is recorded.
    """
    a2c, o2a = charge.arrest_to_conviction, charge.offence_to_arrest
    if a2c is None or o2a is None:
        return None
    return a2c, o2a


def derive(history: History, tables: Collection[str] | None = None) -> OffenderFacts:
    """Every fact row of one offender (or only those of ``tables``, for speed).

    The ``offenders`` row's ``position`` is 0: the store fills it in when it keeps
    the facts. Cost: one pass over the history per table, episodes derived once.
    """
    wanted = set(TABLE) if tables is None else set(tables)
    unknown = wanted - set(TABLE)
    if unknown:
        raise KeyError(f"no fact table(s) {sorted(unknown)}")
    oid = history.offender_id
    out: dict[str, tuple[tuple[object, ...], ...]] = {}

    if wanted & {"charges", "charge_occasions", "episodes", "quality_issues"}:
        episode_list, episode_oddities = derive_episodes(history, dt.date.max)
    if wanted & {"charges", "charge_occasions", "quality_issues"}:
        links = _charge_occasions(history)
        episodes = Episodes(episode_list)  # shared by the flags and the quality checks
        charges = _charges(history, links, episodes)
        by_id = {c.charge_id: c for c in charges}
        timed = []
        for link in links:
            charge = by_id[link.charge_id]
            days = (charge.arrest_to_conviction, charge.offence_to_arrest)
            timed.append(_new(ChargeOccasionRow, (*link[:4], *days)))
        links = tuple(timed)
        out["charges"] = charges
        out["charge_occasions"] = links
    if "quality_issues" in wanted:
        found = [
            *event_oddities(history),
            *episode_oddities,
            *arrests_while_held(history, episodes),
            *held_overlaps(episodes),
        ]
        for link in links:
            charge = by_id[link.charge_id]
            measured = durations(charge)
            if measured is None:
                continue
            a2c, o2a = measured
            day = link.occasion_date
            if a2c < 0:
                found.append(Oddity("negative_arrest_to_conviction", charge.event_id, day))
            if o2a < 0:
                found.append(Oddity("negative_offence_to_arrest", charge.event_id, day))
        out["quality_issues"] = tuple(
            _new(QualityIssueRow, (oid, seq, o.kind, o.event_id, o.day))
            for seq, o in enumerate(found)
        )
    if "episodes" in wanted:
        out["episodes"] = tuple(
            _new(
                EpisodeRow,
                (
                    oid,
                    e.kind.value,
                    e.ref,
                    e.start,
                    None if e.open else e.end,
                    e.start_event_id,
                    e.end_event_id,
                ),
            )
            for e in episode_list
        )
    if "sentencing_occasions" in wanted:
        out["sentencing_occasions"] = _sentencing_occasions(history)
    if wanted & {"offences", "index_events"}:
        offence_rows = tuple(
            _new(
                OffenceRow,
                (oid, o.kind, o.ref, o.event_id, o.offence_date, o.category.value, o.proven_on),
            )
            for o in offences(history)
        )
        out["offences"] = offence_rows
    if wanted & {"sanctions", "offenders"}:
        sanctioned = sanctions(history)  # found once for both tables
    if "sanctions" in wanted:
        out["sanctions"] = tuple(
            _new(SanctionRow, (oid, seq, s.date, s.kind, ",".join(s.categories)))
            for seq, s in enumerate(sanctioned)
        )
    if "index_events" in wanted:
        born = None if history.profile is None else history.profile.date_of_birth
        rows: list[IndexEventRow] = []
        previous: dt.date | None = None
        proven = _ProvenAfter(offence_rows)
        for day, rank, kind, event_id in sorted(index_candidates(history)):
            first_on_day = not rows or rows[-1].date != day
            if first_on_day and rows:
                previous = rows[-1].date
            follow_up_end, proof_deadline = _follow_up(day)
            count, first = proven.within(day, follow_up_end, proof_deadline)
            rows.append(
                _new(
                    IndexEventRow,
                    (
                        oid,
                        event_id,
                        day,
                        rank,
                        kind,
                        age_group(born, day),
                        follow_up_end,
                        proof_deadline,
                        first_on_day,
                        previous,
                        count,
                        first,
                    ),
                )
            )
        out["index_events"] = tuple(rows)
    if "effective_events" in wanted:
        out["effective_events"] = _effective_events(history)
    if "offenders" in wanted:
        out["offenders"] = (_offender(history, sanctioned),)
    if "warrants" in wanted:
        out["warrants"] = _warrants(history)
    if "recalls" in wanted:
        out["recalls"] = _recalls(history)
    if "risk_assessments" in wanted:
        out["risk_assessments"] = _risk_assessments(history)
    if "person_records" in wanted:
        out["person_records"] = _person_records(history)
    return OffenderFacts(oid, **{k: v for k, v in out.items() if k in wanted})  # type: ignore[arg-type]


_BREACH = Category.BREACH.value


class _ProvenAfter:
    """Proven offences after each index event, for index events taken in date order.

    For an index event on ``day``: the offences committed in ``(day, follow_up_end]``
    (breaches aside) and proven by ``proof_deadline``. Both bounds only move forward as
    ``day`` does, so each offence is let in once (when committed by the end of the
    follow-up and proven by the deadline) and then only counted while committed after
    ``day``: O(log n) an offence, where looking through every offence for each index
    event cost O(n²) for a person with many.
    """

    def __init__(self, offences: Iterable[OffenceRow]) -> None:
        eligible = [
            (o.offence_date, o.proven_date)
            for o in offences
            if o.category != _BREACH and o.proven_date is not None
        ]
        eligible.sort()
        self._by_offence = eligible
        self._next = 0  # the first offence not yet committed by the follow-up's end
        self._unproven: list[tuple[dt.date, dt.date]] = []  # (proven, committed), a heap
        self._counted = SortedList()  # committed dates of offences let in

    def within(
        self, day: dt.date, follow_up_end: dt.date, proof_deadline: dt.date
    ) -> tuple[int, dt.date | None]:
        """How many offences count for ``day``, and the first one's date."""
        by_offence, unproven = self._by_offence, self._unproven
        while self._next < len(by_offence) and by_offence[self._next][0] <= follow_up_end:
            committed, proven_on = by_offence[self._next]
            heapq.heappush(unproven, (proven_on, committed))
            self._next += 1
        while unproven and unproven[0][0] <= proof_deadline:
            self._counted.add(heapq.heappop(unproven)[1])
        after = self._counted.bisect_right(day)
        count = len(self._counted) - after
        return count, (self._counted[after] if count else None)


@functools.lru_cache(maxsize=8192)
def _follow_up(day: dt.date) -> tuple[dt.date, dt.date]:
    """The end of the reoffending follow-up year and of the proof period after ``day``."""
    return add_years(day, 1), add_years_months(day, 1, 6)


def _charge_occasions(history: History) -> tuple[ChargeOccasionRow, ...]:
    """Convicted, known charges listed in sentences: once per (occasion, charge)."""
    sentences = history.sentences
    if not sentences:
        return ()
    ordinal = {day: k for k, day in enumerate(history.sentencing_occasions, start=1)}
    convictions = history.convictions
    charges = history.charges
    seen: set[tuple[int, str]] = set()
    rows = []
    for sentence in sentences:
        k = ordinal[sentence.date]
        for charge_id in sentence.charge_ids:
            if charge_id not in convictions or charge_id not in charges or (k, charge_id) in seen:
                continue
            seen.add((k, charge_id))
            rows.append(
                _new(
                    ChargeOccasionRow,
                    (history.offender_id, charge_id, k, sentence.date, None, None),
                )
            )
    return tuple(rows)


def _charges(
    history: History, links: Iterable[ChargeOccasionRow], episodes: Episodes
) -> tuple[ChargeRow, ...]:
    first: dict[str, ChargeOccasionRow] = {}
    for item in links:
        if item.charge_id not in first or item.occasion < first[item.charge_id].occasion:
            first[item.charge_id] = item
    flagged: dict[str, set[EpisodeKind]] = {}
    for flag in offence_flags(history.charges.values(), episodes):
        flagged.setdefault(flag.offence_id, set()).add(flag.kind)
    outcomes = history.outcomes
    arrests = history.arrests
    rows = []
    for charge_id, charge in history.charges.items():
        outcome = outcomes.get(charge_id)
        if outcome is None:
            status, when, outcome_id = "pending", None, None
        else:
            convicted = type(outcome) is Conviction
            status = "convicted" if convicted else "not_convicted"
            when, outcome_id = outcome.date, outcome.event_id
        arrest = arrests.get(charge.arrest_id) if charge.arrest_id is not None else None
        a2c = o2a = None
        if arrest is not None and when is not None and status == "convicted":
            a2c, o2a = (when - arrest.date).days, (arrest.date - charge.offence_date).days
        link = first.get(charge_id)
        kinds = flagged.get(charge_id, set())
        rows.append(
            _new(
                ChargeRow,
                (
                    history.offender_id,
                    charge_id,
                    charge.event_id,
                    charge.arrest_id,
                    charge.case_id,
                    charge.date,
                    charge.offence_date,
                    charge.offence.category.value,
                    charge.offence.code,
                    status,
                    when,
                    outcome_id,
                    None if arrest is None else arrest.date,
                    None if link is None else link.occasion,
                    None if link is None else link.occasion_date,
                    a2c,
                    o2a,
                    EpisodeKind.ON_BAIL in kinds,
                    EpisodeKind.ON_LICENCE in kinds,
                    EpisodeKind.SUSPENDED_SENTENCE in kinds,
                    EpisodeKind.COMMUNITY_ORDER in kinds,
                ),
            )
        )
    return tuple(rows)


def _sentencing_occasions(history: History) -> tuple[SentencingOccasionRow, ...]:
    by_day: dict[dt.date, list[Sentence]] = {}
    for sentence in history.sentences:
        by_day.setdefault(sentence.date, []).append(sentence)
    rows = []
    for k, day in enumerate(history.sentencing_occasions, start=1):
        given = by_day[day]
        disposals = ",".join(sorted({s.disposal.value for s in given}))
        rows.append(
            _new(SentencingOccasionRow, (history.offender_id, k, day, len(given), disposals))
        )
    return tuple(rows)


def _offender(history: History, found: Sequence[Sanction]) -> OffenderRow:
    profile = history.profile
    latest = latest_recorded(history)
    return _new(
        OffenderRow,
        (
            history.offender_id,
            len(history.journey),
            None if profile is None else profile.date_of_birth,
            None if profile is None else profile.sex.value,
            len(history.arrests),
            len(history.charges),
            len(history.convictions),
            len(latest_cautions(history)),
            len(history.sentencing_occasions),
            found[0].date if found else None,
            found[-1].date if found else None,
            0 if latest is None else to_micros(latest),
            max((to_micros(e.recorded_at) for e in history.future if e.recorded_at), default=None),
            0,
        ),
    )


def _first_dates(events: Iterable[WarrantExecuted | WarrantWithdrawn]) -> dict[str, dt.date]:
    """The earliest date of these events per warrant id."""
    first: dict[str, dt.date] = {}
    for event in events:
        known = first.get(event.warrant_id)
        if known is None or event.date < known:
            first[event.warrant_id] = event.date
    return first


def _warrants(history: History) -> tuple[WarrantRow, ...]:
    """Warrants by id (a re-sent id keeps its last record), first execution and withdrawal."""
    executed = _first_dates(history.of_type(WarrantExecuted))
    withdrawn = _first_dates(history.of_type(WarrantWithdrawn))
    issued = {w.warrant_id: w for w in history.of_type_recorded(WarrantIssued)}
    return tuple(
        _new(
            WarrantRow,
            (
                history.offender_id,
                warrant_id,
                warrant.event_id,
                warrant.kind.value,
                None if warrant.category is None else warrant.category.value,
                warrant.date,
                executed.get(warrant_id),
                withdrawn.get(warrant_id),
            ),
        )
        for warrant_id, warrant in issued.items()
    )


def _recalls(history: History) -> tuple[RecallRow, ...]:
    """Recalls in date order, each with the first return on its licence on or after it."""
    returns: dict[str, list[dt.date]] = {}
    for back in history.of_type(ReturnedToCustody):
        returns.setdefault(back.licence_id, []).append(back.date)
    rows = []
    for recall in history.of_type(LicenceRecalled):
        later = [d for d in returns.get(recall.licence_id, ()) if d >= recall.date]
        rows.append(
            _new(
                RecallRow,
                (
                    history.offender_id,
                    recall.event_id,
                    recall.licence_id,
                    recall.date,
                    min(later) if later else None,
                ),
            )
        )
    return tuple(rows)


def _person_records(history: History) -> tuple[PersonRecordRow, ...]:
    """The source records the history was put together from (any event of theirs seen),
    each with the time of its latest link decision."""
    held = itertools.chain(history.in_transaction_order, history.retracted, history.retractions)
    seen = set(map(_SOURCE_RECORD, held))  # one pass in C: every event has one
    linked: dict[str, int] = {}
    for event in history.of_type(RecordLinked):
        if event.recorded_at is not None:
            key, at = record_key(event.source, event.offender_id), to_micros(event.recorded_at)
            linked[key] = max(at, linked.get(key, at))
    oid = history.offender_id
    return tuple(
        _new(PersonRecordRow, (oid, r, linked.get(r)))
        for r in sorted({record_key(*s) for s in seen})
    )


def _risk_assessments(history: History) -> tuple[RiskAssessmentRow, ...]:
    return tuple(
        _new(
            RiskAssessmentRow,
            (history.offender_id, seq, r.event_id, r.date, r.tool, r.score_2y, r.score_1y),
        )
        for seq, r in enumerate(history.of_type(RiskAssessed))
    )
