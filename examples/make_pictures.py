"""Draw the README's and docs' pictures from the case study and synthetic cohorts.

python examples/make_pictures.py            # writes docs/img/*.png
python examples/make_pictures.py OUT_DIR    # writes there instead
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from case_study import AS_OF, WINDOW, build_journey

from offender_journey import agencies, synth
from offender_journey.codec import Codec
from offender_journey.events import record_key
from offender_journey.history import History, Window
from offender_journey.metrics import compute, reoffending_rows
from offender_journey.plot import (
    plot_cost_concentration,
    plot_days_by_occasion,
    plot_iom_cohort,
    plot_reoffending_survival,
    plot_timeline,
    save,
)

#: The synthetic data's end, and the as-of time of its pictures.
END = dt.date(2016, 12, 31)
DATA_AS_OF = dt.datetime(2016, 12, 31, 23, tzinfo=dt.UTC)


def histories(n: int, preset: str) -> Iterator[History]:
    events = synth.generate(n, seed=0, preset=preset)
    for offender_id, stream in itertools.groupby(events, key=lambda e: e.offender_id):
        yield History.build(offender_id, list(stream), DATA_AS_OF)


def joined_up(n: int) -> History:
    """The synthetic person with the most source records, put together from all of them."""
    population = agencies.build(n, seed=2, errors="low")
    people: dict[str, dict[str, list]] = {}
    codec = Codec()
    for record in population.records:
        events = [codec.decode(event) for event in record.events]
        people.setdefault(record.person, {})[record_key(record.source, record.offender_id)] = events
    busiest = max(people, key=lambda person: (len(people[person]), person))
    return History.of_records(busiest, people[busiest], DATA_AS_OF)


def main() -> None:
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[1] / "docs" / "img"
    )
    out.mkdir(parents=True, exist_ok=True)

    journey = build_journey()
    history = History.build(journey.offender_id, journey.events, AS_OF)
    save(plot_timeline(history, WINDOW), str(out / "case_study_timeline.png"))

    prolific = list(histories(300, "prolific"))
    save(
        plot_timeline(prolific[0], Window(dt.date(2012, 1, 1), dt.date(2015, 12, 31))),
        str(out / "prolific_timeline.png"),
    )
    save(
        plot_timeline(joined_up(40), title="One person, four agencies"),
        str(out / "joined_up_timeline.png"),
    )
    report = compute(
        [(h.offender_id, list(h.events)) for h in prolific],
        views=["days_by_sentencing_occasion", "cost"],
        as_of=DATA_AS_OF,
    )
    save(
        plot_days_by_occasion(report.occasions, as_of=DATA_AS_OF),
        str(out / "days_by_occasion.png"),
    )
    save(plot_cost_concentration(report["cost"]), str(out / "cost_concentration.png"))

    general = list(histories(800, "default"))
    period = Window(dt.date(2012, 1, 1), dt.date(2012, 12, 31))
    rows = reoffending_rows(
        [(h.offender_id, list(h.events)) for h in general], window=period, as_of=DATA_AS_OF
    )
    save(
        plot_reoffending_survival(rows, label="2012 cohort, synthetic"),
        str(out / "reoffending_survival.png"),
    )
    save(plot_iom_cohort(general[:600], END), str(out / "iom_cohort.png"))
    print(f"pictures written to {out}")


if __name__ == "__main__":
    main()
