"""Write a journey by hand, in the order things happened: for examples, tests and case studies.

Ids and transaction times are filled in so that each call reads like a line of
the offender's record. Every method returns the event it appended, so later
events can refer to it.

Examples:
    >>> j = JourneyBuilder("O1")
    >>> a = j.arrest("2013-02-01")
    >>> c = j.charge("2013-02-02", "shoplifting", arrest=a, offence_date="2013-01-30")
    >>> _ = j.convict("2013-04-01", c)
    >>> [e.TYPE for e in j.events]
    ['arrest', 'charge', 'conviction']
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any, TypeVar, cast

import attrs

from .codec import parse_date, parse_instant
from .events import (
    Alias,
    Arrest,
    BailEnded,
    BailEndReason,
    BailGranted,
    BailKind,
    Category,
    Caution,
    CautionKind,
    Charge,
    ChargeDisposed,
    Conviction,
    CourtAppearance,
    Disposal,
    DisposedOutcome,
    Event,
    EventRetracted,
    HearingOutcome,
    LicenceEnded,
    LicenceRecalled,
    Offence,
    OffenderProfile,
    PersonRecorded,
    RecallKind,
    ReleasedOnLicence,
    RemandedInCustody,
    RemandEnded,
    ReturnedToCustody,
    RiskAssessed,
    Sentence,
    Sex,
    WarrantCategory,
    WarrantExecuted,
    WarrantIssued,
    WarrantKind,
    WarrantWithdrawn,
    _Envelope,  # the common fields every event has
)

__all__ = ["JourneyBuilder"]

Day = dt.date | str
E = TypeVar("E", bound=_Envelope)


def _day(value: Day) -> dt.date:
    return parse_date(value)


def _alias(value: Alias | tuple[str | None, str | None, Day | None]) -> Alias:
    if isinstance(value, Alias):
        return value
    forenames, surname, born = value
    return Alias(
        forenames=forenames, surname=surname, date_of_birth=None if born is None else _day(born)
    )


@attrs.define
class JourneyBuilder:
    """Appends events for one offender; ``recorded_at`` defaults to noon UTC on the event's date.

    Pass ``recorded_at=`` to any method to record it later (a late record). With a
    ``source``, every event is that source's, and ``offender_id`` is its own person id.
    """

    offender_id: str
    events: list[Event] = attrs.Factory(list)
    source: str | None = attrs.field(default=None, kw_only=True)
    _counters: dict[str, itertools.count[int]] = attrs.field(factory=dict, init=False)

    def _next(self, prefix: str) -> str:
        """Ids numbered per kind: ``O1-e0``, ``O1-e1`` for events, ``O1-c0`` for charges."""
        counter = self._counters.setdefault(prefix, itertools.count())
        return f"{self.offender_id}-{prefix}{next(counter)}"

    def _add(
        self, cls: type[E], date: Day, recorded_at: dt.datetime | str | None, **fields: Any
    ) -> E:
        day = _day(date)
        when = (
            parse_instant(recorded_at)
            if recorded_at is not None
            else dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
        )
        event = cls(
            event_id=self._next("e"),
            offender_id=self.offender_id,
            source=self.source,
            date=day,
            recorded_at=when,
            **fields,
        )
        self.events.append(cast(Event, event))
        return event

    def extend(self, events: Iterable[Event]) -> None:
        """Append ready-made events as they are."""
        self.events.extend(events)

    # --- the vocabulary, one verb each ----------------------------------------------

    def profile(
        self,
        date: Day,
        born: Day,
        sex: Sex | str = Sex.MALE,
        *,
        recorded_at: dt.datetime | str | None = None,
    ) -> OffenderProfile:
        return self._add(OffenderProfile, date, recorded_at, date_of_birth=_day(born), sex=Sex(sex))

    def arrest(self, date: Day, *, recorded_at: dt.datetime | str | None = None) -> Arrest:
        return self._add(Arrest, date, recorded_at, arrest_id=self._next("a"))

    def charge(
        self,
        date: Day,
        category: Category | str,
        *,
        arrest: Arrest | None = None,
        offence_date: Day | None = None,
        case_id: str | None = None,
        code: str | None = None,
        recorded_at: dt.datetime | str | None = None,
    ) -> Charge:
        return self._add(
            Charge,
            date,
            recorded_at,
            charge_id=self._next("c"),
            offence=Offence(code=code or str(category), category=Category(category)),
            offence_date=_day(offence_date if offence_date is not None else date),
            arrest_id=arrest.arrest_id if arrest else None,
            case_id=case_id,
        )

    def bail(
        self,
        date: Day,
        *charges: Charge,
        kind: BailKind | str = BailKind.POLICE,
        recorded_at: dt.datetime | str | None = None,
    ) -> BailGranted:
        return self._add(
            BailGranted,
            date,
            recorded_at,
            bail_id=self._next("b"),
            kind=BailKind(kind),
            charge_ids=tuple(c.charge_id for c in charges),
        )

    def end_bail(
        self,
        date: Day,
        bail: BailGranted,
        reason: BailEndReason | str = BailEndReason.SURRENDERED,
        *,
        recorded_at: dt.datetime | str | None = None,
    ) -> BailEnded:
        return self._add(
            BailEnded, date, recorded_at, bail_id=bail.bail_id, reason=BailEndReason(reason)
        )

    def remand(
        self, date: Day, *charges: Charge, recorded_at: dt.datetime | str | None = None
    ) -> RemandedInCustody:
        return self._add(
            RemandedInCustody,
            date,
            recorded_at,
            remand_id=self._next("r"),
            charge_ids=tuple(c.charge_id for c in charges),
        )

    def end_remand(
        self, date: Day, remand: RemandedInCustody, *, recorded_at: dt.datetime | str | None = None
    ) -> RemandEnded:
        return self._add(RemandEnded, date, recorded_at, remand_id=remand.remand_id)

    def hearing(
        self,
        date: Day,
        case_id: str,
        *charges: Charge,
        outcome: HearingOutcome | str = HearingOutcome.ADJOURNED,
        recorded_at: dt.datetime | str | None = None,
    ) -> CourtAppearance:
        return self._add(
            CourtAppearance,
            date,
            recorded_at,
            hearing_id=self._next("h"),
            case_id=case_id,
            charge_ids=tuple(c.charge_id for c in charges),
            outcome=HearingOutcome(outcome),
        )

    def convict(
        self, date: Day, charge: Charge, *, recorded_at: dt.datetime | str | None = None
    ) -> Conviction:
        return self._add(Conviction, date, recorded_at, charge_id=charge.charge_id)

    def dispose(
        self,
        date: Day,
        charge: Charge,
        outcome: DisposedOutcome | str = DisposedOutcome.WITHDRAWN,
        *,
        recorded_at: dt.datetime | str | None = None,
    ) -> ChargeDisposed:
        return self._add(
            ChargeDisposed,
            date,
            recorded_at,
            charge_id=charge.charge_id,
            outcome=DisposedOutcome(outcome),
        )

    def sentence(
        self,
        date: Day,
        *charges: Charge,
        disposal: Disposal | str = Disposal.FINE,
        length_days: int | None = None,
        recorded_at: dt.datetime | str | None = None,
    ) -> Sentence:
        return self._add(
            Sentence,
            date,
            recorded_at,
            sentence_id=self._next("s"),
            charge_ids=tuple(c.charge_id for c in charges),
            disposal=Disposal(disposal),
            length_days=length_days,
        )

    def caution(
        self,
        date: Day,
        category: Category | str,
        *,
        kind: CautionKind | str = CautionKind.SIMPLE,
        offence_date: Day | None = None,
        arrest: Arrest | None = None,
        recorded_at: dt.datetime | str | None = None,
    ) -> Caution:
        return self._add(
            Caution,
            date,
            recorded_at,
            caution_id=self._next("k"),
            kind=CautionKind(kind),
            offence=Offence(code=str(category), category=Category(category)),
            offence_date=_day(offence_date if offence_date is not None else date),
            arrest_id=arrest.arrest_id if arrest else None,
        )

    def release(
        self,
        date: Day,
        sentence: Sentence,
        licence_end: Day,
        *,
        recorded_at: dt.datetime | str | None = None,
    ) -> ReleasedOnLicence:
        return self._add(
            ReleasedOnLicence,
            date,
            recorded_at,
            licence_id=self._next("l"),
            sentence_id=sentence.sentence_id,
            licence_end=_day(licence_end),
        )

    def recall(
        self,
        date: Day,
        licence: ReleasedOnLicence,
        kind: RecallKind | str = RecallKind.STANDARD,
        *,
        recorded_at: dt.datetime | str | None = None,
    ) -> LicenceRecalled:
        return self._add(
            LicenceRecalled, date, recorded_at, licence_id=licence.licence_id, kind=RecallKind(kind)
        )

    def return_to_custody(
        self, date: Day, licence: ReleasedOnLicence, *, recorded_at: dt.datetime | str | None = None
    ) -> ReturnedToCustody:
        return self._add(ReturnedToCustody, date, recorded_at, licence_id=licence.licence_id)

    def end_licence(
        self, date: Day, licence: ReleasedOnLicence, *, recorded_at: dt.datetime | str | None = None
    ) -> LicenceEnded:
        return self._add(LicenceEnded, date, recorded_at, licence_id=licence.licence_id)

    def warrant(
        self,
        date: Day,
        kind: WarrantKind | str = WarrantKind.FAILED_TO_APPEAR,
        category: WarrantCategory | str | None = None,
        *,
        recorded_at: dt.datetime | str | None = None,
    ) -> WarrantIssued:
        return self._add(
            WarrantIssued,
            date,
            recorded_at,
            warrant_id=self._next("w"),
            kind=WarrantKind(kind),
            category=WarrantCategory(category) if category is not None else None,
        )

    def execute_warrant(
        self, date: Day, warrant: WarrantIssued, *, recorded_at: dt.datetime | str | None = None
    ) -> WarrantExecuted:
        return self._add(WarrantExecuted, date, recorded_at, warrant_id=warrant.warrant_id)

    def withdraw_warrant(
        self, date: Day, warrant: WarrantIssued, *, recorded_at: dt.datetime | str | None = None
    ) -> WarrantWithdrawn:
        return self._add(WarrantWithdrawn, date, recorded_at, warrant_id=warrant.warrant_id)

    def risk(
        self,
        date: Day,
        score_2y: float,
        score_1y: float | None = None,
        *,
        tool: str = "OGRS3",
        recorded_at: dt.datetime | str | None = None,
    ) -> RiskAssessed:
        return self._add(
            RiskAssessed, date, recorded_at, tool=tool, score_2y=score_2y, score_1y=score_1y
        )

    def person(
        self,
        date: Day,
        *,
        forenames: str | None = None,
        surname: str | None = None,
        born: Day | None = None,
        sex: Sex | str | None = None,
        postcode: str | None = None,
        pnc_id: str | None = None,
        cro_number: str | None = None,
        crn: str | None = None,
        nomis_number: str | None = None,
        aliases: Iterable[Alias | tuple[str | None, str | None, Day | None]] = (),
        recorded_at: dt.datetime | str | None = None,
    ) -> PersonRecorded:
        """What the source knows of the person on ``date``; aliases ``(forenames, surname, born)``.

        Examples:
            >>> j = JourneyBuilder("P1", source="police")
            >>> p = j.person("2014-01-01", forenames="John", surname="Smith", born="1990-05-01",
            ...              pnc_id="2002/0073319Z", aliases=[("Jon", "Smyth", None)])
            >>> p.source, p.surname, p.aliases[0].forenames
            ('police', 'Smith', 'Jon')
        """
        return self._add(
            PersonRecorded,
            date,
            recorded_at,
            forenames=forenames,
            surname=surname,
            date_of_birth=None if born is None else _day(born),
            sex=None if sex is None else Sex(sex),
            postcode=postcode,
            pnc_id=pnc_id,
            cro_number=cro_number,
            crn=crn,
            nomis_number=nomis_number,
            aliases=tuple(_alias(a) for a in aliases),
        )

    def retract(
        self,
        event: Event,
        reason: str = "recorded in error",
        *,
        recorded_at: dt.datetime | str | None = None,
    ) -> EventRetracted:
        """Retract ``event``; recorded a day after the event's own record unless told."""
        when = (
            recorded_at
            if recorded_at is not None
            else ((event.recorded_at or dt.datetime.now(dt.UTC)) + dt.timedelta(days=1))
        )
        return self._add(
            EventRetracted, event.date, when, target_event_id=event.event_id, reason=reason
        )
