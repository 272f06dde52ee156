"""Seeded synthetic journeys in the library's vocabulary: for demos, tests and benchmarks.

Each offender's career is simulated from their own random generator, derived from
``(seed, index)``, so offender *k* is the same whatever the cohort size, and a
cohort streams out offender by offender in constant memory.

The simulation, per offender: offences arrive at a steady rate; most lead to an
arrest some days later (the same delay whatever the offender's history), some to a
summons, some to a caution. Each arrest brings one or more charges, police bail or
remand, hearings (with the odd failure to appear and its warrant), and outcomes: a
share of charges is convicted, the rest withdrawn, discontinued or acquitted, and
those still open at the end of the period stay pending. Convictions of a case are
sentenced together; the time from arrest to conviction grows with the number of
earlier sentencing occasions. Custody brings release on licence, sometimes a recall.
A few records arrive late, and a few are recorded wrongly, retracted and recorded
again.

Journeys are plausible: nobody offends or is arrested while held (remanded or in
custody); bail ends when the person is remanded or sent to prison on another matter, and
nobody is bailed while held; no community order is made while the person is in prison;
and courts sit only on weekdays that are not bank holidays in England and Wales, so
hearings, convictions, disposals and sentences fall on court days.

Examples:
    >>> events = list(generate(3, seed=7))
    >>> len({e.offender_id for e in events})
    3
    >>> events == list(generate(3, seed=7))
    True
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator
from typing import Any, TextIO

import attrs

from .codec import Codec
from .dates import is_court_day, next_court_day
from .events import (
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
    Plea,
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
)

__all__ = ["PRESETS", "Preset", "generate", "write_jsonl"]

_CATEGORY_WEIGHTS: dict[Category, float] = {
    Category.SHOPLIFTING: 24,
    Category.THEFT_OTHER: 9,
    Category.THEFT_FROM_VEHICLE: 4,
    Category.THEFT_OF_VEHICLE: 3,
    Category.THEFT_FROM_PERSON: 3,
    Category.BURGLARY_DOMESTIC: 6,
    Category.BURGLARY_OTHER: 4,
    Category.ROBBERY: 3,
    Category.HANDLING_STOLEN_GOODS: 3,
    Category.VIOLENCE_WITH_INJURY: 6,
    Category.VIOLENCE_WITHOUT_INJURY: 7,
    Category.WEAPONS: 2,
    Category.CRIMINAL_DAMAGE_OTHER: 5,
    Category.CRIMINAL_DAMAGE_ARSON: 0.5,
    Category.DRUGS_POSSESSION: 7,
    Category.DRUGS_SUPPLY: 2,
    Category.PUBLIC_ORDER: 5,
    Category.FRAUD: 2,
    Category.DRINK_DRIVING: 1,
    Category.MOTORING_OTHER: 2,
    Category.ABSCONDING_OR_BAIL: 3,
    Category.BREACH: 4,
    Category.SEXUAL_OTHER: 0.3,
    Category.OTHER: 2,
}


@attrs.frozen(kw_only=True)
class Preset:
    """The distributions of a synthetic population; every rate is per offender.

    Defaults describe a general offending population: many people with a handful
    of events. :data:`PRESETS` names the shipped ones.
    """

    #: Mean offences per year of career (each offender's own rate varies around it).
    offences_per_year: float = 1.2
    #: Share of offenders whose career spans the whole period (others start or stop inside it).
    whole_period: float = 0.3
    #: Share of offences that lead to an arrest; most of the rest lead to a summons.
    arrest_share: float = 0.75
    #: Share of offences dealt with by a caution instead of a charge.
    caution_share: float = 0.15
    #: Mean number of charges brought from one arrest.
    charges_per_arrest: float = 1.4
    #: Probability that a charge ends in a conviction.
    conviction_share: float = 0.6
    #: Mean days from offence to arrest (flat over a career).
    offence_to_arrest_days: float = 12.0
    #: Mean days from arrest to conviction on a first sentencing occasion.
    arrest_to_conviction_days: float = 55.0
    #: Extra days from arrest to conviction for every earlier sentencing occasion.
    days_per_occasion: float = 4.0
    #: Probability that a hearing is missed and a warrant issued.
    failure_to_appear: float = 0.06
    #: Share of records that arrive months late.
    late_share: float = 0.01
    #: Share of records recorded wrongly, retracted, and recorded again.
    retraction_share: float = 0.005
    #: Share of charges given a deliberately odd record (conviction before charge…), for
    #: exercising the data-quality report; 0 keeps every journey causally consistent.
    oddity_share: float = 0.0


#: The shipped presets. ``prolific`` is calibrated to the 2015 London hearing's figures: about
#: 57 arrests and 36 convictions over a career, conversion in the published 16-30 %
#: range, arrest-to-conviction time rising with sentencing occasions.
PRESETS: dict[str, Preset] = {
    "default": Preset(),
    "prolific": Preset(
        offences_per_year=11.0,
        whole_period=1.0,
        arrest_share=0.88,
        caution_share=0.04,
        charges_per_arrest=2.3,
        conviction_share=0.29,
        offence_to_arrest_days=10.0,
        arrest_to_conviction_days=40.0,
        days_per_occasion=6.0,
        failure_to_appear=0.1,
    ),
}

_NOON = dt.time(12, tzinfo=dt.UTC)
_DISPOSALS = [
    (Disposal.IMMEDIATE_CUSTODY, 0.2),
    (Disposal.SUSPENDED_SENTENCE, 0.12),
    (Disposal.COMMUNITY_ORDER, 0.25),
    (Disposal.FINE, 0.25),
    (Disposal.CONDITIONAL_DISCHARGE, 0.14),
    (Disposal.ABSOLUTE_DISCHARGE, 0.02),
    (Disposal.OTHER, 0.02),
]


class _Career:
    """One offender's simulation: a random generator and the events it writes."""

    def __init__(
        self, offender_id: str, rng: random.Random, preset: Preset, start: dt.date, end: dt.date
    ) -> None:
        self.id = offender_id
        self.rng = rng
        self.preset = preset
        self.start = start
        self.end = end
        self.events: list[tuple[dt.datetime, int, Event]] = []
        self.counter = 0
        self.sentence_days: list[dt.date] = []
        #: Days held, remanded or in custody, as ``[start, release)``: no offending then.
        self.custody: list[tuple[dt.date, dt.date]] = []
        #: Days in prison (a custodial sentence or a recall), ``[start, release)``: no
        #: community order runs through them.
        self.prison: list[tuple[dt.date, dt.date]] = []
        #: Bail granted, by id: ``[granted, ends, reason]``. Its end is written last, once
        #: every hold is known: bail ends when the person is remanded or imprisoned.
        self.bails: dict[str, list[Any]] = {}
        #: Community orders made so far (a prison term found to cover one's first day
        #: turns it into a fine: no order is made while the person is in prison).
        self.orders: list[Sentence] = []
        #: Every arrest day so far: a later hold must not cover one.
        self.arrest_days: list[dt.date] = []
        self.categories = list(_CATEGORY_WEIGHTS)
        self.weights = list(_CATEGORY_WEIGHTS.values())

    # --- writing events ------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{self.id}-{prefix}{self.counter}"

    def add(self, cls: type[Event], day: dt.date, **fields: Any) -> Event | None:
        """Record an event (nothing dated after the period's end is known yet)."""
        if day > self.end:
            return None
        rng = self.rng
        lag = dt.timedelta(days=rng.randrange(0, 4), minutes=rng.randrange(0, 600))
        if rng.random() < self.preset.late_share:
            lag += dt.timedelta(days=rng.randrange(60, 240))
        recorded = dt.datetime.combine(day, _NOON) + lag
        event = cls(
            event_id=self.next_id("e"),
            offender_id=self.id,
            date=day,
            recorded_at=recorded,
            **fields,
        )
        if rng.random() < self.preset.retraction_share:
            self.record_mistake(event)
        self.events.append((recorded, self.counter, event))
        return event

    def record_mistake(self, event: Event) -> None:
        """A wrong copy recorded first, then retracted once the right one is in."""
        assert event.recorded_at is not None
        wrong_day = event.date - dt.timedelta(days=self.rng.randrange(1, 30))
        wrong = attrs.evolve(
            event,
            event_id=self.next_id("x"),
            date=wrong_day,
            recorded_at=event.recorded_at - dt.timedelta(hours=1),
        )
        when = event.recorded_at + dt.timedelta(days=self.rng.randrange(1, 20))
        retraction = EventRetracted(
            event_id=self.next_id("r"),
            offender_id=self.id,
            date=event.date,
            recorded_at=when,
            target_event_id=wrong.event_id,
            reason="keyed in error",
        )
        self.events.append((wrong.recorded_at, self.counter, wrong))  # type: ignore[arg-type]
        self.events.append((when, self.counter + 1, retraction))

    # --- the career ----------------------------------------------------------------------

    def simulate(self) -> list[Event]:
        rng, preset = self.rng, self.preset
        span = (self.end - self.start).days
        first, last = self.start, self.end
        if rng.random() > preset.whole_period:
            a, b = sorted(rng.randrange(span) for _ in range(2))
            first, last = self.start + dt.timedelta(days=a), self.start + dt.timedelta(days=b + 180)
        age = rng.randrange(15, 46)
        born = first - dt.timedelta(days=365 * age + rng.randrange(365))
        sex = Sex.MALE if rng.random() < 0.85 else Sex.FEMALE
        self.add(OffenderProfile, first, date_of_birth=born, sex=sex)
        rate = preset.offences_per_year * rng.lognormvariate(0, 0.35) / 365.25
        day = first + dt.timedelta(days=int(rng.expovariate(rate)))
        next_risk = first
        while day <= min(last, self.end):
            day = self.at_liberty(day)
            if day > min(last, self.end):
                break
            if day >= next_risk:
                self.risk(day)
                next_risk = day + dt.timedelta(days=365)
            self.offence(day)
            day += dt.timedelta(days=1 + int(rng.expovariate(rate)))
        for bail_id, (_, ends, reason, _) in self.bails.items():
            self.add(BailEnded, ends, bail_id=bail_id, reason=reason)
        self.events.sort(key=lambda item: (item[0], item[1]))
        return [event for _, _, event in self.events]

    def at_liberty(self, day: dt.date) -> dt.date:
        """``day``, or the first day after it when the offender is no longer held."""
        moved = True
        while moved:
            moved = False
            for start, release in self.custody:
                if start <= day < release:
                    day, moved = release, True
        return day

    def held(self, day: dt.date) -> bool:
        """Whether the offender is remanded or in custody on ``day``."""
        return any(start <= day < release for start, release in self.custody)

    def hold(self, start: dt.date, release: dt.date, *, prison: bool = False) -> None:
        """Hold the offender over ``[start, release)``: bail open on ``start`` ends then.

        Cases overlap, so a hold can come to light after bail granted (or, for a prison
        term, an order made) during it: that bail was never granted, that order was a fine.
        """
        self.custody.append((start, release))
        if prison:
            self.prison.append((start, release))
        unmade: list[Event] = []
        for bail_id, bail in list(self.bails.items()):
            granted, ends = bail[0], bail[1]
            if start < granted < release:
                unmade.append(bail[3])
                del self.bails[bail_id]
            elif granted <= start < ends:
                bail[1:3] = [start, BailEndReason.REVOKED]
        if prison:
            for order in [o for o in self.orders if start <= o.date < release]:
                self.orders.remove(order)
                self.replace(order, attrs.evolve(order, disposal=Disposal.FINE, length_days=None))
        if unmade:
            gone = {id(event) for event in unmade}
            self.events = [item for item in self.events if id(item[2]) not in gone]

    def replace(self, event: Event, by: Event) -> None:
        """Put ``by`` where ``event`` was recorded."""
        for index, (recorded, counter, known) in enumerate(self.events):
            if known is event:
                self.events[index] = (recorded, counter, by)
                return

    def grant_bail(self, day: dt.date, until: dt.date, charge_ids: tuple[str, ...]) -> None:
        """Bail from ``day`` until the case concludes, or until a hold already known starts."""
        bail = self.add(
            BailGranted,
            day,
            bail_id=self.next_id("b"),
            kind=BailKind.POLICE if self.rng.random() < 0.4 else BailKind.COURT,
            charge_ids=charge_ids,
        )
        if not isinstance(bail, BailGranted):
            return
        held = [start for start, _ in self.custody if day <= start < until]
        if held:
            self.bails[bail.bail_id] = [day, min(held), BailEndReason.REVOKED, bail]
        else:
            self.bails[bail.bail_id] = [day, until, BailEndReason.CASE_CONCLUDED, bail]

    def in_prison_on(self, day: dt.date) -> bool:
        """Whether the offender is serving a prison term (a sentence or a recall) on ``day``."""
        return any(start <= day < release for start, release in self.prison)

    def can_hold(self, start: dt.date, release: dt.date) -> bool:
        """Whether holding the offender over ``[start, release)`` covers no arrest already made."""
        return not any(start <= day < release for day in self.arrest_days)

    def risk(self, day: dt.date) -> None:
        occasions = len(self.sentence_days)
        score_2y = min(0.95, 0.3 + 0.04 * occasions + 0.1 * self.rng.random())
        self.add(
            RiskAssessed,
            day,
            tool="OGRS3",
            score_2y=round(score_2y, 3),
            score_1y=round(score_2y * 0.7, 3),
        )

    def category(self) -> Category:
        return self.rng.choices(self.categories, self.weights)[0]

    def offence(self, offence_day: dt.date) -> None:
        rng, preset = self.rng, self.preset
        if rng.random() < preset.caution_share:
            when = offence_day + dt.timedelta(days=1 + int(rng.expovariate(1 / 10)))
            self.add(
                Caution,
                when,
                caution_id=self.next_id("k"),
                kind=rng.choice(list(CautionKind)),
                offence_date=offence_day,
                offence=self.offence_of(self.category()),
            )
            return
        arrest_day = offence_day + dt.timedelta(
            days=int(rng.expovariate(1 / preset.offence_to_arrest_days))
        )
        arrest = None
        # Someone held by then is not arrested: the offence is charged by summons.
        if rng.random() < preset.arrest_share and not self.held(arrest_day):
            arrest = self.add(Arrest, arrest_day, arrest_id=self.next_id("a"))
            if arrest is None:
                return
            self.arrest_days.append(arrest_day)
        charge_day = arrest_day + dt.timedelta(days=rng.choice((0, 0, 1, 2, 14)))
        count = 1 + int(rng.expovariate(1 / max(preset.charges_per_arrest - 1, 0.01)))
        case_id = self.next_id("case")
        charges = []
        for _ in range(count):
            offence_date = offence_day - dt.timedelta(days=rng.choice((0, 0, 0, 1, 3)))
            if self.held(offence_date):
                offence_date = offence_day
            charge = self.add(
                Charge,
                charge_day,
                charge_id=self.next_id("c"),
                arrest_id=arrest.arrest_id if isinstance(arrest, Arrest) else None,
                case_id=case_id,
                offence=self.offence_of(self.category()),
                offence_date=offence_date,
            )
            if charge is None:
                return
            charges.append(charge)
        self.prosecute(arrest_day, charge_day, case_id, charges)  # type: ignore[arg-type]

    def offence_of(self, category: Category) -> Offence:
        return Offence(
            code=f"{category.value[:4].upper()}{self.rng.randrange(1, 40):02d}", category=category
        )

    def prosecute(
        self, arrest_day: dt.date, charge_day: dt.date, case_id: str, charges: list[Charge]
    ) -> None:
        rng, preset = self.rng, self.preset
        ids = tuple(c.charge_id for c in charges)
        conclusion = arrest_day + dt.timedelta(
            days=int(
                preset.arrest_to_conviction_days
                + preset.days_per_occasion * len(self.sentence_days)
                + rng.expovariate(1 / 25)
            )
        )
        conclusion = next_court_day(max(conclusion, charge_day + dt.timedelta(days=7)))
        remanded = rng.random() < 0.1 and self.can_hold(charge_day, conclusion)
        held = None
        if remanded:
            held = self.add(
                RemandedInCustody, charge_day, remand_id=self.next_id("m"), charge_ids=ids
            )
            self.hold(charge_day, conclusion)
        elif not self.held(charge_day):  # nobody is bailed while held on another matter
            self.grant_bail(charge_day, conclusion, ids)

        # Hearings between charge and conclusion: adjournments, the odd failure to appear.
        def hearing(day: dt.date, outcome: HearingOutcome) -> None:
            self.add(
                CourtAppearance,
                day,
                hearing_id=self.next_id("h"),
                case_id=case_id,
                charge_ids=ids,
                outcome=outcome,
            )

        day = next_court_day(charge_day + dt.timedelta(days=rng.randrange(14, 35)))
        while day < conclusion:
            if rng.random() < preset.failure_to_appear and not remanded:
                hearing(day, HearingOutcome.FAILED_TO_APPEAR)
                self.warrant(day)
            else:
                hearing(day, HearingOutcome.ADJOURNED)
            day = next_court_day(day + dt.timedelta(days=rng.randrange(28, 70)))
        hearing(conclusion, HearingOutcome.CONCLUDED)
        if isinstance(held, RemandedInCustody):
            self.add(RemandEnded, conclusion, remand_id=held.remand_id)
        convicted = []
        for charge in charges:
            if rng.random() < preset.conviction_share:
                day = conclusion
                if rng.random() < preset.oddity_share:
                    day = charge.date - dt.timedelta(days=rng.randrange(1, 30))
                    while not is_court_day(day):
                        day -= dt.timedelta(days=1)
                if self.add(
                    Conviction,
                    day,
                    charge_id=charge.charge_id,
                    plea=Plea.GUILTY if rng.random() < 0.7 else Plea.NOT_GUILTY,
                ):
                    convicted.append(charge)
            else:
                self.add(
                    ChargeDisposed,
                    conclusion,
                    charge_id=charge.charge_id,
                    outcome=rng.choice(
                        (
                            DisposedOutcome.WITHDRAWN,
                            DisposedOutcome.DISCONTINUED,
                            DisposedOutcome.DISMISSED,
                            DisposedOutcome.ACQUITTED,
                            DisposedOutcome.NO_FURTHER_ACTION,
                        )
                    ),
                )
        if convicted:
            self.sentence(conclusion, convicted)

    def warrant(self, day: dt.date) -> None:
        rng = self.rng
        warrant = self.add(
            WarrantIssued,
            day,
            warrant_id=self.next_id("w"),
            kind=WarrantKind.FAILED_TO_APPEAR,
            category=rng.choice(list(WarrantCategory)),
        )
        if isinstance(warrant, WarrantIssued):
            later = day + dt.timedelta(days=1 + int(rng.expovariate(1 / 18)))
            if rng.random() < 0.9:
                self.add(WarrantExecuted, later, warrant_id=warrant.warrant_id)
            else:
                self.add(WarrantWithdrawn, later, warrant_id=warrant.warrant_id)

    def sentence(self, day: dt.date, charges: list[Charge]) -> None:
        rng = self.rng
        disposal = rng.choices([d for d, _ in _DISPOSALS], [w for _, w in _DISPOSALS])[0]
        length = {
            Disposal.IMMEDIATE_CUSTODY: rng.choice((28, 56, 84, 120, 180, 365, 730)),
            Disposal.SUSPENDED_SENTENCE: rng.choice((180, 365, 540, 730)),
            Disposal.COMMUNITY_ORDER: rng.choice((180, 365, 730)),
        }.get(disposal)
        if (
            disposal is Disposal.IMMEDIATE_CUSTODY
            and length is not None
            and not self.can_hold(day, day + dt.timedelta(days=length // 2))
        ):
            disposal = Disposal.SUSPENDED_SENTENCE  # an arrest is already known in that time
        if disposal is Disposal.COMMUNITY_ORDER and self.in_prison_on(day):
            # No order is served from prison; one running when a prison term starts is
            # interrupted by it (the timeline ends it there).
            disposal, length = Disposal.FINE, None
        sentence = self.add(
            Sentence,
            day,
            sentence_id=self.next_id("s"),
            charge_ids=tuple(c.charge_id for c in charges),
            disposal=disposal,
            length_days=length,
        )
        if not isinstance(sentence, Sentence):
            return
        if day not in self.sentence_days:
            self.sentence_days.append(day)
        if disposal is Disposal.COMMUNITY_ORDER:
            self.orders.append(sentence)
        if disposal is Disposal.IMMEDIATE_CUSTODY and length is not None:
            self.hold(day, day + dt.timedelta(days=length // 2), prison=True)
            self.licence(
                sentence, day + dt.timedelta(days=length // 2), day + dt.timedelta(days=length)
            )

    def licence(self, sentence: Sentence, release: dt.date, licence_end: dt.date) -> None:
        rng = self.rng
        licence = self.add(
            ReleasedOnLicence,
            release,
            licence_id=self.next_id("l"),
            sentence_id=sentence.sentence_id,
            licence_end=licence_end,
        )
        if not isinstance(licence, ReleasedOnLicence):
            return
        if rng.random() < 0.25 and (licence_end - release).days > 30:
            recall = release + dt.timedelta(
                days=rng.randrange(5, (licence_end - release).days - 10)
            )
            kind = rng.choice((RecallKind.STANDARD, RecallKind.FIXED_TERM))
            back = min(
                recall + dt.timedelta(days=int(rng.expovariate(1 / 6))),
                licence_end - dt.timedelta(days=1),
            )
            if not self.can_hold(back, licence_end):  # an arrest is already known in that time
                self.add(LicenceEnded, licence_end, licence_id=licence.licence_id)
                return
            self.add(LicenceRecalled, recall, licence_id=licence.licence_id, kind=kind)
            self.add(ReturnedToCustody, back, licence_id=licence.licence_id)
            if kind is RecallKind.FIXED_TERM and back + dt.timedelta(days=28) < licence_end:
                self.hold(back, back + dt.timedelta(days=28), prison=True)
                self.licence(sentence, back + dt.timedelta(days=28), licence_end)
                return
            self.hold(back, licence_end, prison=True)
        self.add(LicenceEnded, licence_end, licence_id=licence.licence_id)


def generate(
    n_offenders: int,
    *,
    seed: int = 0,
    start: dt.date = dt.date(2008, 1, 1),
    end: dt.date = dt.date(2016, 12, 31),
    preset: str | Preset = "default",
) -> Iterator[Event]:
    """Events for ``n_offenders`` synthetic offenders, offender by offender, in stream order.

    Deterministic: the same arguments give the same events, and offender *k*
    (``S{seed}-O{k:06d}``) does not depend on ``n_offenders``.
    """
    chosen = PRESETS[preset] if isinstance(preset, str) else preset
    for index in range(n_offenders):
        rng = random.Random(f"{seed}/{index}")
        career = _Career(f"S{seed}-O{index:06d}", rng, chosen, start, end)
        yield from career.simulate()


def write_jsonl(
    out: TextIO | str | os.PathLike[str],
    n_offenders: int,
    *,
    seed: int = 0,
    start: dt.date = dt.date(2008, 1, 1),
    end: dt.date = dt.date(2016, 12, 31),
    preset: str | Preset = "default",
) -> int:
    """Write :func:`generate`'s events as JSON Lines; returns how many were written."""
    codec = Codec()
    events = generate(n_offenders, seed=seed, start=start, end=end, preset=preset)
    if isinstance(out, str | os.PathLike):
        with open(out, "w", encoding="utf-8") as handle:
            return _write(handle, events, codec)
    return _write(out, events, codec)


def _write(handle: TextIO, events: Iterator[Event], codec: Codec) -> int:
    count = 0
    for event in events:
        handle.write(codec.encode_line(event) + "\n")
        count += 1
    return count
