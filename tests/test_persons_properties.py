"""Split one history among the agencies, put it together again: every view's numbers are kept.

The split is the synthetic agencies' own (:func:`offender_journey.agencies.split`): each
agency holds its events under its own person id and its own source, references shared.
Putting the agencies' records together (:meth:`History.of_records`) must give exactly
the numbers of the single-source history, also when one agency reports every charge a
second time (under the same reference, or under its own with matching by offence).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from offender_journey import synth
from offender_journey.agencies import split
from offender_journey.codec import Codec
from offender_journey.events import (
    BailGranted,
    Charge,
    ChargeDisposed,
    Conviction,
    CourtAppearance,
    Event,
    RemandedInCustody,
    Sentence,
    record_key,
)
from offender_journey.history import History, Window
from offender_journey.persons import Rules
from strategies import RISK_STEPS, journeys
from test_fold_properties import AS_OF, WINDOWS, every_view

CODEC = Codec()
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

Records = dict[str, list[Event]]


def by_agency(events: list[Event]) -> Records:
    """The agencies' records of one offender: each its own person id and source."""
    records: Records = {}
    for source, own in split([CODEC.encode(e) for e in events]).items():
        if own:
            own_id = f"{source.upper()}-7"
            records[record_key(source, own_id)] = [
                CODEC.decode({**raw, "source": source, "offender_id": own_id}) for raw in own
            ]
    return records


def with_court_charges(records: Records, rename: Callable[[str], str] = str) -> Records:
    """The records with the courts reporting every police charge in force (``rename``d, if so).

    The courts' own events then name each charge by the courts' reference.
    """
    police = next((k for k in records if k.startswith("police:")), None)
    charges = (
        []
        if police is None
        else History.build(police, records[police], AS_OF, now=NOW).of_type_recorded(Charge)
    )
    key = next((k for k in records if k.startswith("courts:")), "courts:COURTS-7")
    owner = key.partition(":")[2]
    mine = {c.charge_id: rename(c.charge_id) for c in charges}
    copies = [
        attrs.evolve(
            c,
            source="courts",
            offender_id=owner,
            event_id=f"court-copy-{c.event_id}",
            charge_id=mine[c.charge_id],
            arrest_id=c.arrest_id,
        )
        for c in charges
    ]
    courts = [renamed(e, mine) for e in records.get(key, [])]
    return {**records, key: copies + courts}


def renamed(event: Event, names: Mapping[str, str]) -> Event:
    """``event`` naming each charge by ``names``."""
    if isinstance(event, Conviction | ChargeDisposed):
        return attrs.evolve(event, charge_id=names.get(event.charge_id, event.charge_id))
    if isinstance(event, Sentence | CourtAppearance | BailGranted | RemandedInCustody):
        return attrs.evolve(event, charge_ids=tuple(names.get(c, c) for c in event.charge_ids))
    return event


def views_of(history: History, window: Window) -> dict[str, Any]:
    out = every_view(history, window)
    out.pop("timeline")  # the timeline shows each event's source, which the split changes
    return out


def same_numbers(events: list[Event], records: Records, window: Window, **kw: Any) -> History:
    whole = History.build("O1", events, AS_OF, now=NOW)
    person = History.of_records("O1", records, AS_OF, now=NOW, **kw)
    assert person.conflicts == ()
    assert views_of(person, window) == views_of(whole, window)
    return person


def charges_in(events: list[Event]) -> int:
    """How many charges the single-source history holds."""
    return len(History.build("O1", events, AS_OF, now=NOW).charges)


@settings(max_examples=60, deadline=None)
@given(journeys(steps=RISK_STEPS), WINDOWS)
def test_the_agencies_records_put_together_give_the_single_source_numbers(events, window):
    records = by_agency(events)
    assert sum(map(len, records.values())) >= len(events)  # sentences and releases twice
    same_numbers(events, records, window)


@settings(max_examples=60, deadline=None)
@given(journeys(steps=RISK_STEPS), WINDOWS)
def test_a_charge_both_agencies_report_under_one_reference_counts_once(events, window):
    person = same_numbers(events, with_court_charges(by_agency(events)), window)
    assert len({e.charge_id for e in person.set_aside if isinstance(e, Charge)}) == charges_in(
        events
    )


@settings(max_examples=60, deadline=None)
@given(journeys(steps=RISK_STEPS), WINDOWS)
def test_a_charge_reported_under_the_courts_own_reference_is_matched_by_offence(events, window):
    records = with_court_charges(by_agency(events), lambda charge_id: f"ASN-{charge_id}")
    person = same_numbers(events, records, window, rules=Rules(matching="offence"))
    assert len(person.matched) == charges_in(events)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_synthetic_journeys_split_and_put_together_keep_their_numbers(seed: int) -> None:
    streams = itertools.groupby(synth.generate(6, seed=seed), key=lambda e: e.offender_id)
    for _, group in streams:
        events = list(group)
        records = with_court_charges(by_agency(events), lambda charge_id: f"ASN-{charge_id}")
        person = same_numbers(events, records, Window())
        assert len(person.matched) == charges_in(events)


@settings(max_examples=60, deadline=None)
@given(journeys(steps=RISK_STEPS), WINDOWS)
def test_a_whole_record_reported_again_by_another_agency_changes_no_number(events, window):
    police = [attrs.evolve(e, source="police", offender_id="PCR-1") for e in events]
    # The same event ids: an event id is the source's own, so the court may use them too.
    again = [attrs.evolve(e, source="courts", offender_id="DEF-1") for e in events]
    records: Records = {"police:PCR-1": police, "courts:DEF-1": again}
    person = same_numbers(events, records, window)
    assert len(person.events) == len(History.build("O1", events, AS_OF, now=NOW).events)
