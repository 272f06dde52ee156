"""The pictures are drawn from the right data: lanes, markers, bands, stars, lines, counts."""

import datetime as dt
import itertools

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from offender_journey import synth  # noqa: E402
from offender_journey.builder import JourneyBuilder  # noqa: E402
from offender_journey.metrics import compute  # noqa: E402
from offender_journey.plot import (  # noqa: E402
    plot_conversion,
    plot_days_by_occasion,
    plot_lorenz,
    plot_reoffending,
    plot_timeline,
    save,
)
from offender_journey.projections import History, Window  # noqa: E402


def by_gid(ax, gid):  # type: ignore[no-untyped-def]
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"nothing drawn as {gid}"
    return found[0]


def bars(ax, gid):  # type: ignore[no-untyped-def]
    """Heights of the bars drawn under one gid (each rectangle carries it)."""
    return [a.get_height() for a in ax.get_children() if a.get_gid() == gid]


def journey() -> JourneyBuilder:
    j = JourneyBuilder("O1")
    for day in ("2011-03-01", "2012-05-01", "2013-02-01"):
        j.arrest(day)
    c1 = j.charge("2012-05-02", "robbery", offence_date="2012-05-01")
    bail = j.bail("2012-05-02", c1)
    c2 = j.charge("2012-07-01", "shoplifting", offence_date="2012-06-20")  # on bail
    j.end_bail("2012-09-01", bail)
    j.hearing("2012-08-01", "case1", c1, c2)
    j.convict("2012-09-01", c1)
    j.sentence("2012-09-01", c1, disposal="suspended_sentence", length_days=365)
    j.charge(
        "2013-01-10", "theft_other", offence_date="2013-01-05"
    )  # during the suspended sentence
    return j


def test_timeline_lanes_markers_bands_stars_window_caption() -> None:
    history = History.build("O1", journey().events)
    ax = plot_timeline(history, Window(dt.date(2012, 1, 1), dt.date(2013, 12, 31)))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:6] == [
        "arrests",
        "charges",
        "court appearances",
        "convictions",
        "cautions",
        "sentences",
    ]
    assert len(by_gid(ax, "lane:arrests").get_xdata()) == 3
    assert len(by_gid(ax, "lane:charges").get_xdata()) == 3
    assert len(by_gid(ax, "lane:convictions").get_xdata()) == 1
    assert len(by_gid(ax, "lane:cautions").get_xdata()) == 0
    assert len(by_gid(ax, "stars").get_xdata()) == 2
    assert len(by_gid(ax, "band:on_bail").get_paths()) == 1
    assert len(by_gid(ax, "band:suspended_sentence").get_paths()) == 1
    assert len(by_gid(ax, "band:in_custody").get_paths()) == 0
    by_gid(ax, "window")
    caption = by_gid(ax, "caption").get_text()
    assert "Before 2012-01-01: 1 arrests" in caption
    assert "conversion 1/3" in caption


def test_days_by_occasion_lines_are_the_means() -> None:
    events = synth.generate(30, seed=5, preset="prolific")
    streams = [(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)]
    days = compute(streams, views=["days_by_sentencing_occasion"]).occasions
    ax = plot_days_by_occasion(days)
    line = by_gid(ax, "line:arrest_to_conviction")
    assert list(line.get_xdata()) == days.occasions
    assert list(line.get_ydata()) == [days.row(k)[0].mean for k in days.occasions]
    flat = by_gid(ax, "line:offence_to_arrest")
    assert list(flat.get_ydata()) == [days.row(k)[1].mean for k in days.occasions]


def test_conversion_reoffending_and_lorenz(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = compute([("O1", journey().events)], views=["conversion", "reoffending", "cost"])
    ax = plot_conversion({"O1": report.conversion})
    assert bars(ax, "bar:convicted") == [1]
    assert bars(ax, "bar:pending") == [2]
    ax = plot_reoffending({"2012": report["reoffending"]})
    assert bars(ax, "bar:binary_rate") == [100 * report["reoffending"].total.binary_rate]
    ax = plot_lorenz(report["cost"])
    assert list(by_gid(ax, "line:lorenz").get_ydata())[-1] == 1.0
    save(ax, str(tmp_path / "lorenz.png"))
    assert (tmp_path / "lorenz.png").stat().st_size > 1000


def test_cli_writes_pictures(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from offender_journey.cli import main
    from offender_journey.store import SQLiteStore

    monkeypatch.chdir(tmp_path)
    with SQLiteStore("journeys.db") as store:
        store.append(journey().events)
    assert main(["timeline", "O1", "--png", "t.png"]) == 0
    assert main(["metrics", "--png", "m.png"]) == 0
    assert (tmp_path / "t.png").stat().st_size > 1000
    assert (tmp_path / "m.png").stat().st_size > 1000
