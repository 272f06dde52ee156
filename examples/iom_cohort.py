"""Select an IOM cohort from a synthetic population: its size, reoffending and cost concentration.

Run: python examples/iom_cohort.py
"""

from __future__ import annotations

import datetime as dt
import itertools

from offender_journey import synth
from offender_journey.history import Window
from offender_journey.metrics import compute


def main() -> None:
    # A mixed population: a general offending population and a prolific group.
    events = itertools.chain(
        synth.generate(400, seed=1, preset="default"),
        synth.generate(60, seed=2, preset="prolific"),
    )
    streams = [(o, list(evs)) for o, evs in itertools.groupby(events, key=lambda e: e.offender_id)]

    # Select on 30 June 2014 with the London preset (described in 2015, unconfirmed).
    selection = compute(streams, window=Window(None, dt.date(2014, 6, 30)), views=["iom"])["iom"]
    chosen = set(selection.offender_ids)
    cohort = [(o, evs) for o, evs in streams if o in chosen]
    print(f"IOM cohort: {len(chosen)} of {selection.considered} offenders selected")
    for row in selection.selected[:5]:
        print(f"  {row.offender_id}: {row.reason} [{row.source}]")

    # Their proven reoffending after an index event in the following quarter ...
    quarter = Window(dt.date(2014, 7, 1), dt.date(2014, 9, 30))
    reoffending = compute(cohort, window=quarter, views=["reoffending"])["reoffending"].total
    rate = "n/a" if reoffending.binary_rate is None else f"{100 * reoffending.binary_rate:.1f} %"
    print(
        f"Reoffending (index events July-September 2014): cohort {reoffending.cohort}, "
        f"reoffenders {reoffending.reoffenders}, binary rate {rate}"
    )

    # ... and how concentrated the cost of their offending in 2014 is.
    year = Window(dt.date(2014, 1, 1), dt.date(2014, 12, 31))
    cost = compute(cohort, window=year, views=["cost"])["cost"]
    top = cost.top_share(0.1)
    print(
        f"Cost of their 2014 offences: £{cost.charged:,.0f}; top 10 % of the cohort: "
        + ("n/a" if top is None else f"{100 * top:.1f} % of it")
        + f"; {100 * (cost.unpriced_share or 0):.0f} % of offences unpriced"
    )


if __name__ == "__main__":
    main()
