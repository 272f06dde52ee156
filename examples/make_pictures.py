"""Draw the README's and docs' pictures: the case study's timeline and the occasions chart.

python examples/make_pictures.py            # writes docs/img/*.png
python examples/make_pictures.py OUT_DIR    # writes there instead
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from case_study import AS_OF, WINDOW, build_journey

from offender_journey import synth
from offender_journey.metrics import compute
from offender_journey.plot import plot_days_by_occasion, plot_timeline, save
from offender_journey.projections import History


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

    events = synth.generate(300, seed=0, preset="prolific")
    streams = [(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)]
    days = compute(streams, views=["days_by_sentencing_occasion"]).occasions
    save(plot_days_by_occasion(days), str(out / "days_by_occasion.png"))
    print(f"pictures written to {out}")


if __name__ == "__main__":
    main()
