"""Make the IOM panel pack for a synthetic cohort: one HTML page, one section per person.

Run: python examples/iom_panel_pack.py [OUT_DIR]     (writes OUT_DIR/iom_panel_pack.html)

The same as `offender-journey report --iom --from 2014-01-01 --to 2016-12-31 --as-of
2016-12-31 --html iom_panel_pack.html` over a store of this cohort. Open the page in a
browser; print it to PDF for a cover and one A4 page per person.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from pathlib import Path

from offender_journey import synth
from offender_journey.history import Window
from offender_journey.labels import label
from offender_journey.metrics import compute
from offender_journey.report import Pack, case_of, selection_day, write_html
from offender_journey.views.iom import LONDON

#: Everything as recorded by the end of 2016; timelines zoomed to the last three years.
AS_OF = dt.datetime(2016, 12, 31, 23, 59, tzinfo=dt.UTC)
WINDOW = Window(dt.date(2014, 1, 1), dt.date(2016, 12, 31))


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "iom_panel_pack.html"
    events = synth.generate(60, seed=5)
    streams = {o: list(evs) for o, evs in itertools.groupby(events, key=lambda e: e.offender_id)}

    # The cohort as the `iom` command selects it: the window's last day is the selection day.
    cohort = compute(streams.items(), window=WINDOW, as_of=AS_OF, views=["iom"])["iom"]
    day = selection_day(LONDON, None, WINDOW, AS_OF)
    cases = tuple(
        case_of(person, streams[person], as_of=AS_OF, day=day, window=WINDOW, rule=LONDON)
        for person in cohort.offender_ids
    )
    pack = Pack(f"IOM panel pack: cohort selected on {day}", cases, AS_OF, WINDOW, LONDON)
    write_html(pack, out)  # readable by its owner only: it is personal data
    print(f"IOM panel pack: {len(cases)} of {cohort.considered} people selected on {day}")
    for case in cases:
        on = ", ".join(label(e.kind.value, capital=False) for e in case.status) or "no state"
        print(f"  {case.offender_id}: {case.selection.reason}; {on}")  # type: ignore[union-attr]
    print(f"written to {out}")


if __name__ == "__main__":
    main()
