"""Link decisions made by hand, for tests."""

import datetime as dt

from offender_journey.events import LinkRule, RecordLinked


def linked(
    offender_id: str,
    person: str,
    source: str = "police",
    *,
    at: dt.datetime = dt.datetime(2015, 1, 1, tzinfo=dt.UTC),
    event_id: str | None = None,
) -> RecordLinked:
    """``source:offender_id`` placed in ``person`` by hand, recorded ``at``."""
    return RecordLinked(
        event_id=event_id or f"link-{offender_id}",
        offender_id=offender_id,
        source=source,
        date=at.date(),
        recorded_at=at,
        person_id=person,
        rule=LinkRule.MANUAL,
        model_version="none",
    )
