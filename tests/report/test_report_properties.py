"""Invariants of a case report over any journey: what it says agrees with what it draws."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offender_journey.history import Window
from offender_journey.report import STATUS_ORDER, Pack, case_of, render_html
from offender_journey.views.iom import LONDON
from strategies import RISK_STEPS, journeys

AS_OF = dt.datetime(2016, 12, 31, 23, tzinfo=dt.UTC)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    journeys(max_steps=25, steps=RISK_STEPS),
    st.dates(dt.date(2009, 1, 1), dt.date(2016, 12, 31)),
    st.sampled_from([Window(), Window(dt.date(2010, 1, 1), dt.date(2013, 12, 31))]),
)
def test_the_report_agrees_with_itself(events, day, window) -> None:  # type: ignore[no-untyped-def]
    case = case_of("O1", events, as_of=AS_OF, day=day, window=window, rule=LONDON)
    # The status is exactly the episodes covering the day, in the panel's order.
    assert all(e.covers(day) for e in case.status)
    assert len(case.status) == len(case.timeline.covering(day))
    order = [STATUS_ORDER.index(e.kind) for e in case.status]
    assert order == sorted(order)
    # Recent offences are in the look-back, newest first.
    assert all(case.look_back_start <= o.offence_date <= day for o in case.recent)
    assert [o.offence_date for o in case.recent] == sorted(
        (o.offence_date for o in case.recent), reverse=True
    )

    page = render_html(Pack("Case report: O1", (case,), AS_OF, window, LONDON))
    section = page[page.index('<section class="person"') :]
    # One row per state, per episode, per event and per flagged offence of the window.
    assert section.count("<svg") == 1
    status_rows = len(case.status)
    expected = (
        status_rows
        + len(case.timeline.episodes_in_window)
        + len(case.timeline.events)
        + len(case.timeline.flags)
    )
    tables = re.findall(r"<caption>(.*?)</caption>.*?<tbody>(.*?)</tbody>", section, re.DOTALL)
    counted = {
        "States on": 0,
        "Episodes overlapping": 0,
        "Events dated": 0,
        "Offences committed while": 0,
    }
    for caption, body in tables:
        for start in counted:
            if caption.startswith(start):
                counted[start] += body.count("<tr>")
    assert sum(counted.values()) == expected
    # Each flagged offence on the axis is one mark in the picture, of its kind's id.
    first, end = (
        dt.date.fromisoformat(d)
        for d in re.search(r'data-first-day="(.*?)" data-end-day="(.*?)"', section).groups()  # type: ignore[union-attr]
    )
    shown = [f for f in case.timeline.flags if first <= f.offence_date < end]
    for kind in {f.kind.value for f in shown}:
        mark = re.search(rf'id="person-1-timeline-flags:{kind}">(.*?)</g>\s*</g>', section, re.S)
        assert mark is not None, kind
        assert mark.group(1).count("<use") == sum(f.kind.value == kind for f in shown)
