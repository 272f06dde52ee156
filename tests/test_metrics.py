"""One-pass cohort metrics: counts, every view, the SPEC section 4 JSON, the view registry."""

import datetime as dt
import json

import attrs
import pytest

from offender_journey import metrics
from offender_journey.builder import JourneyBuilder
from offender_journey.history import Window
from offender_journey.metrics import MetricsReport, View, compute, register_view, timeline
from offender_journey.store import InMemoryStore
from offender_journey.views.conversion import Conversion


def two_offenders():
    a = JourneyBuilder("A")
    arrest = a.arrest("2013-01-01")
    c1 = a.charge("2013-01-02", "shoplifting", arrest=arrest, offence_date="2012-12-30")
    c2 = a.charge("2013-01-02", "shoplifting", arrest=arrest, offence_date="2012-12-31")
    a.convict("2013-03-02", c1)  # 60 days after arrest
    a.dispose("2013-03-02", c2)
    a.sentence("2013-04-01", c1)
    b = JourneyBuilder("B")
    arrest = b.arrest("2014-01-01")
    c3 = b.charge("2014-01-01", "burglary_domestic", arrest=arrest, offence_date="2013-12-27")
    b.convict("2014-01-21", c3)  # 20 days
    b.sentence("2014-02-01", c3)
    b.charge("2014-05-01", "shoplifting")  # pending summons
    return a, b


def test_compute_sums_every_view_over_offenders():
    a, b = two_offenders()
    report = compute([("A", a.events), ("B", b.events)])
    assert (report.offenders, report.events) == (2, 11)
    assert report.conversion == Conversion(4, 2, 1, 1)
    (row,) = report.occasions.to_json()
    assert row["occasion"] == 1
    assert row["n"] == 2
    assert row["arrest_to_conviction"] == {"mean": 40.0, "median": 40.0}
    assert row["offence_to_arrest"] == {"mean": 3.5, "median": 3.5}
    assert report.quality.total == 0


def test_json_has_the_spec_shape():
    a, b = two_offenders()
    out = json.loads(json.dumps(compute([("A", a.events), ("B", b.events)]).to_json()))
    assert {"offenders", "events", "conversion", "days_by_sentencing_occasion"} <= set(out)
    assert set(out["conversion"]) == {
        "charges",
        "convicted",
        "not_convicted",
        "pending",
        "rate",
        "resolved_rate",
    }
    row = out["days_by_sentencing_occasion"][0]
    assert {"occasion", "n", "arrest_to_conviction", "offence_to_arrest"} <= set(row)
    assert set(row["arrest_to_conviction"]) == {"mean", "median"}


def test_empty_input_gives_zero_results():
    out = compute([]).to_json()
    assert out["offenders"] == 0
    assert out["conversion"]["rate"] is None
    assert out["days_by_sentencing_occasion"] == []


def test_events_are_the_effective_ones_as_of():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-02", "shoplifting")
    wrong = j.convict("2013-02-01", c)
    j.retract(wrong, recorded_at="2013-06-01T00:00:00+00:00")
    j.arrest("2013-03-01", recorded_at="2014-01-01T00:00:00+00:00")  # late record
    gone = JourneyBuilder("O2")
    gone.retract(gone.arrest("2013-01-01"), recorded_at="2013-06-01T00:00:00+00:00")
    streams = [("O1", j.events), ("O2", gone.events)]
    now = compute(streams)
    assert (now.offenders, now.events) == (1, 2)  # charge, arrest
    assert now.conversion == Conversion(1, 0, 0, 1)
    then = compute(streams, as_of=dt.datetime(2013, 3, 1, tzinfo=dt.UTC))
    assert (then.offenders, then.events) == (2, 3)  # charge, conviction; O2's arrest
    assert then.conversion == Conversion(1, 1, 0, 0)


def test_window_applies_to_every_view():
    a, b = two_offenders()
    report = compute([("A", a.events), ("B", b.events)], window=Window(dt.date(2014, 1, 1), None))
    assert report.conversion == Conversion(2, 1, 0, 1)
    assert [r["n"] for r in report.occasions.to_json()] == [1]


def test_reads_straight_from_a_store():
    a, b = two_offenders()
    store = InMemoryStore()
    store.append(a.events + b.events)
    assert compute(store.read_all()).conversion == Conversion(4, 2, 1, 1)


def test_views_can_be_chosen_and_added():
    a, _ = two_offenders()
    only = compute([("A", a.events)], views=["conversion"])
    assert set(only.results) == {"conversion"}
    with pytest.raises(ValueError, match="unknown view"):
        compute([("A", a.events)], views=["nope"])

    @attrs.frozen
    class Count:
        n: int = 0

        def __add__(self, other):
            return Count(self.n + other.n)

        def to_json(self):
            return {"arrests": self.n}

    @attrs.frozen
    class Arrests(View[Count]):
        name: str = "arrest_count"
        tables = None

        def empty(self):
            return Count()

        def fold(self, history, window):
            return Count(sum(1 for d in history.arrests.values() if window.contains(d.date)))

    register_view(Arrests())
    try:
        out = compute([("A", a.events)]).to_json()
        assert out["arrest_count"] == {"arrests": 1}
    finally:
        del metrics.VIEWS["arrest_count"]


def test_text_rendering_and_timeline_helper():
    a, b = two_offenders()
    report = compute([("A", a.events), ("B", b.events)])
    assert isinstance(report, MetricsReport)
    text = str(report)
    assert "2 offenders, 11 events" in text
    assert "Charge-to-conviction conversion" in text
    t = timeline(b.events, window=Window(dt.date(2014, 1, 1), dt.date(2014, 12, 31)))
    assert t.offender_id == "B"
    assert t.summary.within.charges == 2
    with pytest.raises(ValueError, match="offender_id"):
        timeline([])


def test_command_line_metrics_and_quality(tmp_path, capsys):
    from offender_journey.cli import main
    from offender_journey.codec import Codec

    a, b = two_offenders()
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(Codec().encode_line(e) + "\n" for e in a.events + b.events))
    db = str(tmp_path / "journeys.db")
    assert main(["ingest", str(lines), "--store", db]) == 0
    capsys.readouterr()
    assert main(["metrics", "--store", db, "--json", "--from", "2014-01-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["conversion"]["charges"] == 2
    assert out["days_by_sentencing_occasion"][0]["n"] == 1
    assert main(["metrics", "--store", db]) == 0
    assert "Charge-to-conviction conversion" in capsys.readouterr().out
    assert main(["quality", "--store", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["quality"]["total"] == 0
    assert main(["metrics", "--store", str(tmp_path / "missing.db")]) == 2
    assert main(["metrics", "--store", db, "--from", "2015-01-01", "--to", "2014-01-01"]) == 2


def test_sharing_out_over_processes_gives_the_same_numbers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from offender_journey import synth
    from offender_journey.metrics import compute_store
    from offender_journey.store import SQLiteStore

    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.append(synth.generate(40, seed=8))
    alone = compute_store(path, jobs=1)
    shared = compute_store(path, jobs=3)
    assert shared.to_json() == alone.to_json()
    assert alone.offenders == 40
