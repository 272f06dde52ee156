"""A person's history put together from the streams of their source records."""

import datetime as dt

from offender_journey.events import Category, Charge, Conviction, EventRetracted, Offence
from offender_journey.history import History

WHEN = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
THEFT = Offence(code="TH68", category=Category.THEFT_OTHER)


def charge(offender_id: str, source: str, event_id: str = "E1") -> Charge:
    """Charge C1 (a theft of 1 January 2019), as ``source`` records it."""
    return Charge(
        event_id=event_id,
        offender_id=offender_id,
        date=dt.date(2019, 1, 2),
        charge_id="C1",
        offence=THEFT,
        offence_date=dt.date(2019, 1, 1),
        source=source,
        recorded_at=WHEN,
    )


def test_a_court_conviction_meets_the_police_charge_it_names() -> None:
    police = [
        charge("P1", "police"),
    ]
    courts = [
        Conviction(
            event_id="E1",
            offender_id="D9",
            date=dt.date(2019, 3, 1),
            charge_id="C1",
            source="courts",
            recorded_at=WHEN,
        ),
    ]
    history = History.of_records("P000001", {"police:P1": police, "courts:D9": courts})
    assert history.offender_id == "P000001"
    assert list(history.convictions) == ["C1"]
    assert [e.source for e in history.events] == ["police", "courts"]


def test_a_retraction_reaches_only_its_own_sources_event() -> None:
    police = [
        charge("P1", "police"),
    ]
    courts = [
        Conviction(
            event_id="E1",
            offender_id="D9",
            date=dt.date(2019, 3, 1),
            charge_id="C1",
            source="courts",
            recorded_at=WHEN,
        ),
        EventRetracted(
            event_id="E2",
            offender_id="D9",
            date=dt.date(2019, 3, 2),
            target_event_id="E1",
            reason="keyed in error",
            source="courts",
            recorded_at=WHEN,
        ),
    ]
    history = History.of_records("P000001", {"police:P1": police, "courts:D9": courts})
    assert list(history.charges) == ["C1"]
    assert history.convictions == {}
    assert [e.source for e in history.retracted] == ["courts"]


def test_a_retraction_in_another_record_of_the_same_source_holds() -> None:
    first = [
        charge("D1", "courts"),
    ]
    second = [
        EventRetracted(
            event_id="E2",
            offender_id="D2",
            date=dt.date(2019, 3, 2),
            target_event_id="E1",
            reason="keyed in error",
            source="courts",
            recorded_at=WHEN,
        ),
    ]
    history = History.of_records("P000001", {"courts:D1": first, "courts:D2": second})
    assert history.charges == {}


def test_a_link_decision_today_is_no_step_of_the_journey() -> None:
    """A linkage run today neither joins the timeline nor moves the data's end to today."""
    from offender_journey.events import LinkRule, RecordLinked
    from offender_journey.folds.reoffending import latest_recorded
    from offender_journey.history import ALL_TIME
    from offender_journey.timeline import build_timeline

    theft = charge("P1", "police")
    run = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
    linked = RecordLinked(
        event_id="link-1",
        offender_id="P1",
        date=run.date(),
        recorded_at=run,
        source="police",
        person_id="P000001",
        rule=LinkRule.MODEL,
        model_version="abc123",
        weight=12.5,
    )
    history = History.of_records("P000001", {"police:P1": [theft, linked]})
    assert [e.event_id for e in build_timeline(history, ALL_TIME).events] == ["E1"]
    assert latest_recorded(history) == WHEN
