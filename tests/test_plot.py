"""The pictures are drawn from the right data: lanes, markers, bands, stars, lines, counts."""

import datetime as dt
import itertools
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.dates import date2num  # noqa: E402

from offender_journey import synth  # noqa: E402
from offender_journey.builder import JourneyBuilder  # noqa: E402
from offender_journey.history import ALL_TIME, History, Window  # noqa: E402
from offender_journey.metrics import compute, reoffending_rows  # noqa: E402
from offender_journey.plot import (  # noqa: E402
    FLAG_MARKS,
    _product_limit,
    plot_conversion,
    plot_cost_concentration,
    plot_days_by_occasion,
    plot_iom_cohort,
    plot_lorenz,
    plot_reoffending,
    plot_reoffending_survival,
    plot_survival,
    plot_timeline,
    save,
    survival_curve,
)
from offender_journey.views.iom import LONDON, IomCohort, IomProjection  # noqa: E402


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


def lanes(ax):  # type: ignore[no-untyped-def]
    return [t.get_text() for t in ax.get_yticklabels()]


def test_timeline_zooms_to_the_window_and_draws_only_lanes_in_use() -> None:
    history = History.build("O1", journey().events)
    window = Window(dt.date(2012, 1, 1), dt.date(2013, 12, 31))
    ax = plot_timeline(history, window)
    assert ax.get_xlim() == (date2num(dt.date(2012, 1, 1)), date2num(dt.date(2014, 1, 1)))
    assert lanes(ax) == [
        "arrests",
        "charges",
        "flagged offences",
        "court cases",
        "court appearances",
        "convictions",
        "sentences",
        "on bail",
        "suspended sentence",
    ]
    assert len(by_gid(ax, "lane:arrests").get_xdata()) == 2  # 2011's arrest is out of view
    assert len(by_gid(ax, "lane:charges").get_xdata()) == 3
    assert len(by_gid(ax, "lane:convictions").get_xdata()) == 1
    assert not [a for a in ax.get_children() if a.get_gid() == "lane:cautions"]
    assert len(by_gid(ax, "band:on_bail").get_paths()) == 1
    assert len(by_gid(ax, "band:suspended_sentence").get_paths()) == 1
    caption = by_gid(ax, "caption").get_text()
    assert "Before 2012-01-01: 1 arrests" in caption
    assert "conversion 1/3" in caption
    assert "2012-01-01 to 2013-12-31" in ax.get_title(loc="right")


def test_timeline_without_a_window_spans_the_data_not_today() -> None:
    ax = plot_timeline(History.build("O1", journey().events))
    first, last = ax.get_xlim()
    assert first == date2num(dt.date(2011, 3, 1))  # the first arrest
    assert last == date2num(dt.date(2013, 9, 2))  # the suspended sentence's end (exclusive)
    assert "Before" not in by_gid(ax, "caption").get_text()


def test_each_flag_kind_has_its_own_marker_and_legend_entry() -> None:
    history = History.build("O1", journey().events)
    ax = plot_timeline(history)
    on_bail = by_gid(ax, "flags:on_bail")
    suspended = by_gid(ax, "flags:suspended_sentence")
    assert list(on_bail.get_xdata()) == [dt.date(2012, 6, 20)]
    assert list(suspended.get_xdata()) == [dt.date(2013, 1, 5)]
    assert on_bail.get_marker() != suspended.get_marker()
    markers = {kind: mark for kind, (mark, _, _) in FLAG_MARKS.items()}
    assert len(set(markers.values())) == len(FLAG_MARKS) == 4
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "offence on bail (1)" in legend
    assert "offence during a suspended sentence (1)" in legend
    # The legend sits outside the axes, hiding nothing.
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    assert box.x0 >= ax.get_window_extent().x1


def test_open_episodes_end_at_the_as_of_date_with_an_arrow() -> None:
    j = JourneyBuilder("O2")
    arrest = j.arrest("2014-03-01")
    charge = j.charge("2014-03-01", "robbery", arrest=arrest)
    j.bail("2014-03-01", charge)  # never ended
    j.hearing("2014-04-01", "K1", charge)
    j.hearing("2014-06-02", "K1", charge)
    as_of = dt.datetime(2014, 9, 30, 12, tzinfo=dt.UTC)
    ax = plot_timeline(History.build("O2", j.events, as_of))
    arrow = by_gid(ax, "open_end:on_bail")
    assert list(arrow.get_xdata()) == [dt.date(2014, 9, 30)]
    (bar,) = by_gid(ax, "open:on_bail").get_paths()
    assert bar.get_extents().x1 == date2num(dt.date(2014, 9, 30))
    assert ax.get_xlim()[1] == date2num(dt.date(2014, 10, 1))  # the axis runs to the as-of day
    assert not [
        a for a in ax.get_children() if a.get_gid() == "band:on_bail" and len(a.get_paths())
    ]
    cases = [a for a in ax.get_children() if a.get_gid() == "lane:court cases"]
    assert [list(c.get_xdata()) for c in cases] == [[dt.date(2014, 4, 1), dt.date(2014, 6, 2)]]
    assert "as of 2014-09-30" in ax.get_title(loc="right")


def test_charges_on_nearby_days_are_stacked_so_each_shows() -> None:
    j = JourneyBuilder("O3")
    for _ in range(7):
        j.charge("2015-05-01", "shoplifting", case_id="K1")
    j.charge("2016-05-01", "shoplifting")
    ax = plot_timeline(History.build("O3", j.events, dt.datetime(2016, 6, 1, tzinfo=dt.UTC)))
    charges = by_gid(ax, "lane:charges")
    heights = list(charges.get_ydata())
    assert len(set(heights[:4])) == 4  # four rows, then "+3"
    assert by_gid(ax, "lane:charges:more").get_text() == "+3"


def test_timeline_size_and_title_options() -> None:
    history = History.build("O1", journey().events)
    ax = plot_timeline(history, size=(8, 4), title="Case study")
    assert tuple(ax.figure.get_size_inches()) == (8, 4)
    assert ax.get_title(loc="left") == "Case study"


def test_days_by_occasion_draws_means_medians_quartiles_and_n() -> None:
    events = synth.generate(30, seed=5, preset="prolific")
    streams = [(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)]
    days = compute(streams, views=["days_by_sentencing_occasion"]).occasions
    as_of = dt.datetime(2016, 12, 31, tzinfo=dt.UTC)
    window = Window(dt.date(2010, 1, 1), dt.date(2016, 12, 31))
    ax = plot_days_by_occasion(days, window=window, as_of=as_of, min_n=5)
    shown = [k for k in days.occasions if days.row(k)[0].n >= 5]
    assert len(shown) < len(days.occasions)
    line = by_gid(ax, "line:arrest_to_conviction")
    assert list(line.get_xdata()) == shown
    assert list(line.get_ydata()) == [days.row(k)[0].mean for k in shown]
    median = by_gid(ax, "median:arrest_to_conviction")
    assert list(median.get_ydata()) == [days.row(k)[0].median for k in shown]
    flat = by_gid(ax, "line:offence_to_arrest")
    assert list(flat.get_ydata()) == [days.row(k)[1].mean for k in shown]
    band = by_gid(ax, "iqr:arrest_to_conviction").get_paths()[0].vertices
    low, high = days.quartiles(shown[0])[0]
    assert low in band[:, 1]
    assert high in band[:, 1]
    n_labels = [a.get_text() for a in ax.get_children() if a.get_gid() == "n_label"]
    assert n_labels == [str(days.row(k)[0].n) for k in shown]
    subtitle = ax.get_title(loc="right")
    assert "2010-01-01" in subtitle
    assert "as of 2016-12-31" in subtitle
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "arrest to conviction: mean" in legend
    assert "arrest to conviction: median" in legend
    assert "arrest to conviction: interquartile range" in legend
    assert "charges measured (n)" in legend


def test_survival_curve_is_the_product_limit_estimate() -> None:
    durations = [5, 8, 8, 12, 20, 20, 30]
    observed = [True, True, False, True, False, True, False]
    times, survival, low, high = survival_curve(durations, observed)
    expected = _product_limit(durations, observed)
    assert times == expected[0]
    assert survival == pytest.approx(expected[1])
    # By hand: 7 at risk, one event at 5; 6 at risk, one at 8; 4 at 12; 3 at 20 (one event).
    assert survival[-1] == pytest.approx(6 / 7 * 5 / 6 * 3 / 4 * 2 / 3)
    if low is not None and high is not None:  # lifelines installed: a band around it
        assert all(lo <= s <= hi for lo, s, hi in zip(low, survival, high, strict=True))


def test_reoffending_survival_picture() -> None:
    rows = [(30, True), (90, True), (365, False), (400, False), (200, True)]
    ax = plot_reoffending_survival(rows, label="2015 Q1")
    line = by_gid(ax, "line:survival:2015 Q1")
    assert line.get_ydata()[0] == 1.0
    assert line.get_ydata()[-1] == pytest.approx(0.4)
    assert list(by_gid(ax, "censored:2015 Q1").get_xdata()) == [365, 400]
    assert "n = 5, 3 events" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="same length"):
        survival_curve([1, 2], [True])


def test_cost_concentration_marks_the_top_ten_percent_and_the_priced_share() -> None:
    events = synth.generate(40, seed=2, preset="prolific")
    streams = [(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)]
    cost = compute(streams, views=["cost"])["cost"]
    ax = plot_cost_concentration(cost)
    curve = by_gid(ax, "line:lorenz")
    assert curve.get_ydata()[0] == 0.0
    assert curve.get_ydata()[-1] == pytest.approx(1.0)
    assert len(curve.get_xdata()) == 41  # every offender a step
    point = by_gid(ax, "top10:point")
    assert list(point.get_xdata()) == [0.1]
    assert list(point.get_ydata()) == [cost.top_share(0.1)]
    assert cost.unpriced_share is not None
    priced = round(100 * (1 - cost.unpriced_share))
    assert by_gid(ax, "priced_note").get_text() == f"priced offences only: {priced} % of offences"


def test_iom_picture_shows_everyone_scored_by_reason() -> None:
    day = dt.date(2016, 12, 31)
    events = synth.generate(120, seed=4)
    histories = [
        History.build(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)
    ]
    cohort = IomCohort()
    for history in histories:
        cohort = cohort + IomProjection(on=day).project(history, ALL_TIME)
    ax = plot_iom_cohort(histories, day)
    groups = [by_gid(ax, f"iom:{i}") for i in range(4)]
    threshold = [s.offender_id for s in cohort.selected if not s.recent]
    assert len(groups[0].get_xdata()) == len(threshold)
    assert len(groups[1].get_xdata()) == len(cohort.selected) - len(threshold)
    assert all(x >= LONDON.threshold for x in groups[0].get_xdata())
    assert all(LONDON.lower_threshold <= x < LONDON.threshold for x in groups[1].get_xdata())
    assert all(LONDON.lower_threshold <= x < LONDON.threshold for x in groups[2].get_xdata())
    assert all(x < LONDON.lower_threshold for x in groups[3].get_xdata())
    scored = cohort.considered - sum(cohort.unscored.values())
    assert sum(len(g.get_xdata()) for g in groups) == scored
    assert list(by_gid(ax, "rule:threshold").get_xdata()) == [LONDON.threshold] * 2
    assert f"{len(cohort.selected)} of {scored} selected" in ax.get_title(loc="left")


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
    options = ["--size", "8x4", "--dpi", "50", "--title", "Case study"]
    assert main(["timeline", "O1", "--png", "small.png", *options]) == 0
    height, width, _ = matplotlib.image.imread(tmp_path / "small.png").shape
    assert (width, height) == (400, 200)
    assert (tmp_path / "small.png").stat().st_mode & 0o777 == 0o600


def test_cli_rejects_a_bad_size(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from offender_journey.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["timeline", "O1", "--png", "t.png", "--size", "wide"])
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_survival_without_lifelines_is_the_same_estimate_without_a_band(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    durations = [5, 8, 8, 12, 20, 20, 30]
    observed = [True, True, False, True, False, True, False]
    with_lifelines = survival_curve(durations, observed)
    monkeypatch.setitem(sys.modules, "lifelines", None)  # as if the extra were not installed
    times, survival, low, high = survival_curve(durations, observed)
    assert (low, high) == (None, None)
    assert times == with_lifelines[0]
    assert survival == pytest.approx(with_lifelines[1])
    ax = plot_survival(durations, observed, label="plain")
    assert not [a for a in ax.get_children() if a.get_gid() == "band:survival"]


def test_reoffending_survival_reads_the_cohort_rows() -> None:
    j = JourneyBuilder("O1")
    j.caution("2015-03-01", "shoplifting")
    reoffence = j.charge("2015-05-01", "theft_other", offence_date="2015-04-30")
    j.convict("2015-07-01", reoffence)
    k = JourneyBuilder("O2")
    k.caution("2015-02-01", "shoplifting")
    k.arrest("2017-01-01")  # the data reach 2017: a whole year without reoffending
    window = Window(dt.date(2015, 1, 1), dt.date(2015, 3, 31))
    rows = reoffending_rows([("O1", j.events), ("O2", k.events)], window=window)
    ax = plot_reoffending_survival(rows, label="2015 Q1")
    line = by_gid(ax, "line:survival:2015 Q1")
    assert list(line.get_xdata()) == [0, 60, 365]
    assert list(line.get_ydata()) == pytest.approx([1.0, 0.5, 0.5])
    assert list(by_gid(ax, "censored:2015 Q1").get_xdata()) == [365]
