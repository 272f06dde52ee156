"""What "every view can fold" means in the import tests: each view, each output, each offender."""

from __future__ import annotations

from offender_journey.metrics import VIEWS, compute, timeline
from offender_journey.store.base import EventStore


def every_view_runs(store: EventStore) -> None:
    """Run every registered view (quality included) and every offender's timeline, rendered."""
    report = compute(store.read_all(), views=list(VIEWS))
    report.to_json()
    str(report)
    for offender_id, stream in store.read_all():
        result = timeline(stream, offender_id=offender_id)
        result.to_json()
        str(result)
