"""What a case report says about one person, gathered from the library's own functions.

Nothing here computes a number of its own: the status comes from the timeline's
episodes, the score from OGRS3 and the risk used for selection, the reason from the IOM
rule, the counts from the timeline's window summary, the issues from the data-quality
report. A report that recomputed any of them could disagree with the command that
prints it; this module only chooses what to show and in what order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs

from ..dates import add_months
from ..events import Event
from ..facts.derive import derive
from ..facts.linked import history_of
from ..folds.episodes import Episode, EpisodeKind
from ..folds.history_bands import CriminalHistory, history_at
from ..folds.offending import OffenceRecord, offences
from ..folds.reoffending import latest_recorded
from ..history import History, Window, as_of_date
from ..linkage.decisions import parse_record
from ..offender import quality
from ..persons import Rules
from ..timeline import Timeline, build_timeline
from ..views.iom import IOM_TABLES, IomRule, IomView, Selected, select_of
from ..views.ogrs3 import Ogrs3, RiskScore, ogrs3_of, risk_of
from ..views.quality import Quality
from ..views.reoffending import data_end

__all__ = ["STATUS_ORDER", "Case", "SourceRecord", "case_of", "selection_day"]

#: The states a panel asks about first, in the order it asks: where the person is, then
#: what they are subject to. Suspended sentences and community orders are "under an order".
STATUS_ORDER: tuple[EpisodeKind, ...] = (
    EpisodeKind.IN_CUSTODY,
    EpisodeKind.REMANDED,
    EpisodeKind.ON_LICENCE,
    EpisodeKind.ON_BAIL,
    EpisodeKind.SUSPENDED_SENTENCE,
    EpisodeKind.COMMUNITY_ORDER,
    EpisodeKind.WARRANT_OUTSTANDING,
)


@attrs.frozen
class SourceRecord:
    """One record a source system holds about the person, under that system's own id.

    Until records are linked into persons, a person is the one record of the default
    source (``source`` empty): the offender id.
    """

    source: str
    record_id: str

    @classmethod
    def of(cls, key: str) -> SourceRecord:
        """The record a store key names (``police:P1``, or a bare id of the default source)."""
        source, record_id = parse_record(key)
        return cls(source or "", record_id)


@attrs.frozen
class Case:
    """One person's section of a case report, as of one transaction time, on one day."""

    #: The id the report knows the person by.
    offender_id: str
    #: Every source record of the person.
    records: tuple[SourceRecord, ...]
    #: The person's effective history at the report's as-of time.
    history: History
    #: The timeline in the report's window (episodes of all time, for the status).
    timeline: Timeline
    #: The day the status, the score and the selection are for.
    day: dt.date
    #: Episodes covering ``day``, in :data:`STATUS_ORDER`.
    status: tuple[Episode, ...]
    #: OGRS3 on ``day``, with its inputs or the inputs missing.
    ogrs3: Ogrs3
    #: The score the IOM rule uses: a supplied assessment or OGRS3 (or OGRS3's gaps).
    risk: RiskScore | Ogrs3
    #: Previous convictions and cautions before ``day``.
    criminal_history: CriminalHistory
    #: The rule applied.
    rule: IomRule
    #: The IOM outcome: selected (and why), the score that fell short, or the missing input.
    selection: Selected | RiskScore | str
    #: Offences committed in the rule's look-back up to ``day``, newest first.
    recent: tuple[OffenceRecord, ...]
    #: The person's data-quality issues counting in the window.
    quality: Quality
    #: The day of the latest record of this person seen at the as-of time.
    data_end: dt.date | None

    @property
    def selected(self) -> bool:
        """Whether the IOM rule selects the person on :attr:`day`."""
        return isinstance(self.selection, Selected)

    @property
    def look_back_start(self) -> dt.date:
        """The first day of the look-back the recent offences are taken from."""
        return add_months(self.day, -self.rule.look_back_months) + dt.timedelta(days=1)


def selection_day(rule: IomRule, on: dt.date | None, window: Window, as_of: dt.datetime) -> dt.date:
    """The day of a report: ``on``, else the window's last day, else the as-of day.

    The IOM command chooses its selection day the same way, so a report and the
    cohort it was made for agree on the day.
    """
    return IomView(rule=rule, on=on).day(window, as_of_date(as_of))


def case_of(
    offender_id: str,
    events: Sequence[Event] | Mapping[str, Sequence[Event]],
    *,
    as_of: dt.datetime,
    day: dt.date,
    window: Window,
    rule: IomRule,
    records: Sequence[str] = (),
    rules: Rules | None = None,
) -> Case:
    """Gather one person's section from their events (as read at ``as_of``).

    ``events``: the person's one stream, or each of their source records' streams by
    record key (put together as the views put them). ``records``: the keys of every
    source record of the person (default: the keys of ``events``, or the one record
    ``offender_id`` names). ``rules``: how the partnership puts several sources together
    (default: the default rules).

    Cost: one history, one timeline, one derivation of the IOM facts and one small
    scratch database for the quality report.
    """
    if isinstance(events, Mapping):
        records = records or tuple(events)
        history = history_of(offender_id, events, as_of, now=as_of, rules=rules)
    else:
        history = History.build(offender_id, events, as_of, now=as_of)
    timeline = build_timeline(history, window, as_of=as_of)
    covering = timeline.covering(day)
    status = tuple(sorted(covering, key=lambda e: (STATUS_ORDER.index(e.kind), e.start)))
    facts = derive(history, IOM_TABLES)
    since = add_months(day, -rule.look_back_months)
    recent = [o for o in offences(history) if since < o.offence_date <= day]
    return Case(
        offender_id=offender_id,
        records=tuple(SourceRecord.of(key) for key in records or (offender_id,)),
        history=history,
        timeline=timeline,
        day=day,
        status=status,
        ogrs3=ogrs3_of(facts, day),
        risk=risk_of(facts, day, prefer_assessed=rule.prefer_assessed),
        criminal_history=history_at(history, day),
        rule=rule,
        selection=select_of(facts, rule, day),
        recent=tuple(reversed(recent)),
        quality=quality(history, window),
        data_end=data_end(latest_recorded(history)),
    )
