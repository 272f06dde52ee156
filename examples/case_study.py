"""The published case study: one prolific offender's IDIOM timeline, 2012 to 2015.

A 2015 public scrutiny hearing (MOPAC Challenge, 23 February 2015) described one
offender: before 2012, about 16 arrests, 15 bail grants and 59 charges; from 2012
to 2015, 76 charges, 44 court cases and 12 convictions (a conversion of 12/76), with
offences committed on bail and while serving a suspended sentence.

This script writes such a journey through the public API (a ``JourneyBuilder``
kept in an ``InMemoryStore``), then prints its timeline summary for 2012-2015 and
its charge-to-conviction conversion. The individual dates are invented; the counts
are the published ones.

Run it with ``python examples/case_study.py``.
"""

from __future__ import annotations

import datetime as dt

from offender_journey.builder import JourneyBuilder
from offender_journey.history import Window
from offender_journey.metrics import compute, timeline
from offender_journey.store import InMemoryStore

DAY = dt.timedelta(days=1)
CATEGORIES = ["shoplifting", "theft_other", "burglary_other", "drugs_possession", "public_order"]
AS_OF = dt.datetime(2016, 6, 30, tzinfo=dt.UTC)
WINDOW = Window(dt.date(2012, 1, 1), dt.date(2015, 12, 31))


def before_2012(j: JourneyBuilder) -> None:
    """16 arrests, 15 of them bailed, 59 charges (11 arrests with 4 charges, 5 with 3)."""
    for k in range(16):
        day = dt.date(2005, 3, 1) + 150 * k * DAY
        arrest = j.arrest(day)
        charges = [
            j.charge(
                day,
                CATEGORIES[(k + n) % len(CATEGORIES)],
                arrest=arrest,
                offence_date=day - 2 * DAY,
                case_id=f"P{k}",
            )
            for n in range(4 if k < 11 else 3)
        ]
        if k > 0:
            bail = j.bail(day, *charges)
            j.end_bail(day + 60 * DAY, bail, "case_concluded")
        j.hearing(day + 60 * DAY, f"P{k}", *charges, outcome="concluded")
        j.convict(day + 60 * DAY, charges[0])
        j.sentence(day + 60 * DAY, charges[0], disposal="fine")
        for charge in charges[1:]:
            j.dispose(day + 60 * DAY, charge, "withdrawn")


def from_2012(j: JourneyBuilder) -> None:
    """44 court cases, 76 charges (32 cases with two), 12 convictions."""
    convicted_cases = {1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 43}
    for i in range(44):
        day = dt.date(2012, 1, 5) + 32 * i * DAY
        case = f"K{i}"
        arrest = j.arrest(day) if i % 7 != 6 else None  # every seventh case: a summons
        charges = [
            j.charge(
                day,
                CATEGORIES[(i + n) % len(CATEGORIES)],
                arrest=arrest,
                offence_date=day - 3 * DAY,
                case_id=case,
            )
            for n in range(2 if i < 32 else 1)
        ]
        if i % 2 == 0:  # bailed until the case concludes: the next offence is on bail
            bail = j.bail(day, *charges, kind="court")
            j.end_bail(day + 40 * DAY, bail, "case_concluded")
        j.hearing(day + 14 * DAY, case, *charges, outcome="adjourned")
        j.hearing(day + 40 * DAY, case, *charges, outcome="concluded")
        rest = charges
        if i in convicted_cases:
            j.convict(day + 40 * DAY, charges[0])
            if i == 9:
                j.sentence(
                    day + 40 * DAY, charges[0], disposal="suspended_sentence", length_days=365
                )
            else:
                j.sentence(day + 40 * DAY, charges[0], disposal="fine")
            rest = charges[1:]
        for charge in rest:
            j.dispose(day + 40 * DAY, charge, "discontinued")


def build_journey() -> JourneyBuilder:
    """The case study's whole journey, as it would be recorded."""
    j = JourneyBuilder("IDIOM-1")
    j.profile("2005-01-01", born="1985-07-14")
    before_2012(j)
    from_2012(j)
    return j


def main() -> None:
    j = build_journey()
    store = InMemoryStore()
    store.append(j.events)

    events = store.read_stream("IDIOM-1", as_of=AS_OF)
    t = timeline(events, window=WINDOW, as_of=AS_OF)
    t.check()
    print(t.summary)
    print()
    print("Offences committed while:", ", ".join(f"{k} {n}" for k, n in t.flag_counts.items()))

    report = compute(store.read_all(as_of=AS_OF), window=WINDOW, as_of=AS_OF)
    c = report.conversion
    assert c.rate is not None
    print()
    print(
        f"Charge-to-conviction conversion 2012-2015: "
        f"{c.convicted} of {c.charges} = {100 * c.rate:.1f} %"
    )


if __name__ == "__main__":
    main()
