"""The pictures are drawn from the right data: lanes, markers, bands, stars, lines, counts."""

import datetime as dt
import itertools
import sys

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402
from matplotlib.dates import date2num, num2date  # noqa: E402

from offender_journey import plot, synth  # noqa: E402
from offender_journey.builder import JourneyBuilder  # noqa: E402
from offender_journey.errors import MissingExtraError, PlotError  # noqa: E402
from offender_journey.folds.episodes import Episode, EpisodeKind  # noqa: E402
from offender_journey.history import ALL_TIME, History, Window  # noqa: E402
from offender_journey.metrics import compute, reoffending_rows  # noqa: E402
from offender_journey.plot import (  # noqa: E402
    FLAG_MARKS,
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
from offender_journey.plot.reoffending import _product_limit  # noqa: E402
from offender_journey.plot.style import HATCHES, MARKERS, PALETTE, output_format  # noqa: E402
from offender_journey.plot.timeline import _concurrent, _pack  # noqa: E402
from offender_journey.timeline import build_timeline  # noqa: E402
from offender_journey.views.iom import LONDON, IomCohort, IomView  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    yield
    matplotlib.pyplot.close("all")


def by_gid(ax, gid):  # type: ignore[no-untyped-def]
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"nothing drawn as {gid}"
    return found[0]


def gids(ax, prefix):  # type: ignore[no-untyped-def]
    """Every artist whose gid starts with ``prefix``."""
    return [a for a in ax.get_children() if str(a.get_gid()).startswith(prefix)]


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


def band_counts(ax, kind):  # type: ignore[no-untyped-def]
    """(from, until, how many at once) read back from a band's heights."""
    values, edges, baseline = by_gid(ax, f"band:{kind}").get_data()
    peak = max(values) - baseline
    out = []
    for low, high, value in zip(edges, edges[1:], values, strict=False):
        n = round(lane_peak(ax, kind) * (value - baseline) / peak)
        if n:
            out.append((num2date(low).date(), num2date(high).date(), n))
    return out


def lane_peak(ax, kind) -> int:  # type: ignore[no-untyped-def]
    """The most episodes at once a band's lane names ("(up to 3 at once)"), else 1."""
    text = next(t for t in lanes(ax) if t.lower().startswith(kind.replace("_", " ")))
    return int(text.split("up to ")[1].split(" ")[0]) if "up to" in text else 1


def test_timeline_zooms_to_the_window_and_draws_only_lanes_in_use() -> None:
    history = History.build("O1", journey().events)
    window = Window(dt.date(2012, 1, 1), dt.date(2013, 12, 31))
    ax = plot_timeline(history, window)
    assert ax.get_xlim() == (date2num(dt.date(2012, 1, 1)), date2num(dt.date(2014, 1, 1)))
    assert lanes(ax) == [
        "Arrests",
        "Charges",
        "Flagged offences",
        "Court cases",
        "Court appearances",
        "Convictions",
        "Sentences",
        "On bail",
        "Suspended sentence",
    ]
    assert len(by_gid(ax, "lane:arrests").get_xdata()) == 2  # 2011's arrest is out of view
    assert len(by_gid(ax, "lane:charges").get_xdata()) == 3
    assert len(by_gid(ax, "lane:convictions").get_xdata()) == 1
    assert not gids(ax, "lane:cautions")
    assert band_counts(ax, "on_bail") == [(dt.date(2012, 5, 2), dt.date(2012, 9, 1), 1)]
    assert band_counts(ax, "suspended_sentence") == [(dt.date(2012, 9, 1), dt.date(2013, 9, 1), 1)]
    caption = by_gid(ax, "caption").get_text()
    assert "Before 2012-01-01: 1 arrest, 0 charges" in caption
    assert "conversion 1 of 3 charges" in caption
    assert "2012-01-01 to 2013-12-31" in by_gid(ax, "subtitle").get_text()


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
    assert "1 offence committed on bail" in legend
    assert "1 offence committed during a suspended sentence" in legend
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
    assert band_counts(ax, "on_bail") == [(dt.date(2014, 3, 1), dt.date(2014, 9, 30), 1)]
    (case,) = by_gid(ax, "lane:court_cases").get_segments()
    assert [num2date(x).date() for x in case[:, 0]] == [dt.date(2014, 4, 1), dt.date(2014, 6, 2)]
    appearances = by_gid(ax, "lane:court_cases:appearances").get_xdata()
    assert list(appearances) == [dt.date(2014, 4, 1), dt.date(2014, 6, 2)]
    assert "as of 2014-09-30" in by_gid(ax, "subtitle").get_text()


def test_charges_on_nearby_days_are_stacked_so_each_shows() -> None:
    j = JourneyBuilder("O3")
    for _ in range(7):
        j.charge("2015-05-01", "shoplifting", case_id="K1")
    j.charge("2016-05-01", "shoplifting")
    ax = plot_timeline(History.build("O3", j.events, dt.datetime(2016, 6, 1, tzinfo=dt.UTC)))
    charges = by_gid(ax, "lane:charges")
    heights = list(charges.get_ydata())
    assert len(set(heights[:4])) == 4  # four rows, then "+3"
    assert by_gid(ax, "lane:charges:more:0").get_text() == "+3"


def test_timeline_size_and_title_options() -> None:
    history = History.build("O1", journey().events)
    ax = plot_timeline(history, size=(8, 4), title="Case study")
    assert tuple(ax.figure.get_size_inches()) == (8, 4)
    assert ax.get_title(loc="left") == "Case study"


def test_days_by_occasion_draws_each_measure_in_its_own_fitted_panel() -> None:
    events = synth.generate(30, seed=5, preset="prolific")
    streams = [(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)]
    days = compute(streams, views=["days_by_sentencing_occasion"]).occasions
    as_of = dt.datetime(2016, 12, 31, tzinfo=dt.UTC)
    window = Window(dt.date(2010, 1, 1), dt.date(2016, 12, 31))
    ax = plot_days_by_occasion(days, window=window, as_of=as_of, min_n=5)
    top, bottom = ax.figure.axes
    assert top is ax
    assert (top.get_gid(), bottom.get_gid()) == (
        "panel:arrest_to_conviction",
        "panel:offence_to_arrest",
    )
    assert bottom.get_shared_x_axes().joined(top, bottom)
    shown = [k for k in days.occasions if days.row(k)[0].n >= 5]
    assert len(shown) < len(days.occasions)
    for i, (panel, name) in enumerate(
        ((top, "arrest_to_conviction"), (bottom, "offence_to_arrest"))
    ):
        line = by_gid(panel, f"line:{name}")
        assert list(line.get_xdata()) == shown
        assert list(line.get_ydata()) == [days.row(k)[i].mean for k in shown]
        median = by_gid(panel, f"median:{name}")
        assert list(median.get_ydata()) == [days.row(k)[i].median for k in shown]
        band = by_gid(panel, f"iqr:{name}").get_paths()[0].vertices
        low, high = days.quartiles(shown[0])[i]
        assert low in band[:, 1]
        assert high in band[:, 1]
        # The axis fits its own data: from 0 to just above the highest quartile or mean.
        highest = max(
            max(q[i][1] for q in map(days.quartiles, shown)),
            max(days.row(k)[i].mean for k in shown),
        )
        assert panel.get_ylim() == (0, pytest.approx(highest * 1.08))
        legend = [t.get_text() for t in panel.get_legend().get_texts()]
        assert legend == ["interquartile range", "mean", "median"]
    assert top.get_title(loc="left") == "Days from arrest to conviction"
    assert bottom.get_title(loc="left") == "Days from offence to arrest"
    assert ax.figure.get_suptitle() == (
        "Days from arrest to conviction, and from offence to arrest, by sentencing occasion"
    )
    n_labels = [a.get_text() for a in gids(top, "n_label:")]
    assert n_labels == [str(days.row(k)[0].n) for k in shown]
    subtitle = top.get_title(loc="right")
    assert "2010-01-01" in subtitle
    assert "as of 2016-12-31" in subtitle
    dropped = len(days.occasions) - len(shown)
    assert f"{dropped} occasions with n < 5 left out" in by_gid(bottom, "caption").get_text()


def test_days_by_occasion_splits_the_axes_it_is_given() -> None:
    events = synth.generate(10, seed=5, preset="prolific")
    streams = [(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)]
    days = compute(streams, views=["days_by_sentencing_occasion"]).occasions
    by_grid = matplotlib.pyplot.subplots(figsize=(8, 6))[1]
    by_hand = matplotlib.pyplot.figure(figsize=(8, 6)).add_axes((0.1, 0.1, 0.8, 0.8))
    for place in (by_grid, by_hand):
        ax = plot_days_by_occasion(days, ax=place, min_n=1)
        assert ax is place
        top, bottom = ax.figure.axes
        assert (top.get_gid(), bottom.get_gid()) == (
            "panel:arrest_to_conviction",
            "panel:offence_to_arrest",
        )
        ax.figure.canvas.draw()
        assert bottom.get_position().y1 < top.get_position().y0  # one above the other


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
    assert "n = 5, 3 reoffences" in ax.get_legend().get_texts()[0].get_text()
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
    headline = ax.get_title(loc="left")
    assert headline.startswith("Concentration of the cost of crime\n")
    assert f"Priced offences only: {priced} % of offences have a unit cost" in headline
    assert by_gid(ax, "headline").get_fontsize() == plot.style.SIZE["title"]  # not small print


def test_iom_picture_shows_everyone_scored_by_reason() -> None:
    day = dt.date(2016, 12, 31)
    events = synth.generate(120, seed=4)
    histories = [
        History.build(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)
    ]
    cohort = IomCohort()
    for history in histories:
        cohort = cohort + IomView(on=day).project(history, ALL_TIME)
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
    assert not gids(ax, "band:survival")


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


# --- The package, its style and its files ---------------------------------------------------


def test_the_package_keeps_every_public_name() -> None:
    assert plot.__all__ == [
        "plot_conversion",
        "plot_cost_concentration",
        "plot_days_by_occasion",
        "plot_iom_cohort",
        "plot_lorenz",
        "plot_reoffending",
        "plot_reoffending_survival",
        "plot_survival",
        "plot_timeline",
        "save",
        "survival_curve",
    ]
    assert all(callable(getattr(plot, name)) for name in plot.__all__)
    for table in (plot.LANES, plot.BANDS, plot.FLAG_MARKS, plot.IOM_GROUPS):
        assert table  # the drawing tables stay where users found them


def test_without_matplotlib_the_error_names_the_extra(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"offender-journey\[plot\]"):
        plot_timeline(History.build("O1", journey().events))


def _contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def test_the_palette_is_the_analysis_function_s_and_neighbours_stand_apart() -> None:
    assert PALETTE == ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
    assert all(_contrast(a, b) >= 3 for a, b in itertools.pairwise(PALETTE))
    # A second signal for each colour: markers and hatches differ too.
    assert len(set(MARKERS)) == len(set(HATCHES)) == len(PALETTE)
    flag_colours = [colour for _, colour, _ in FLAG_MARKS.values()]
    assert flag_colours == list(PALETTE[:4])


def test_every_category_differs_in_more_than_colour() -> None:
    report = compute([("O1", journey().events)], views=["conversion"])
    ax = plot_conversion({"O1": report.conversion, "O2": report.conversion})
    hatches = {p: by_gid(ax, f"bar:{p}").get_hatch() for p in ("convicted", "pending")}
    assert hatches["convicted"] != hatches["pending"]
    events = synth.generate(60, seed=4)
    histories = [
        History.build(o, list(e)) for o, e in itertools.groupby(events, key=lambda e: e.offender_id)
    ]
    ax = plot_iom_cohort(histories, dt.date(2016, 12, 31))
    assert len({by_gid(ax, f"iom:{i}").get_marker() for i in range(4)}) == 4
    ax = plot_survival([1, 2, 3], [True, False, True], label="a")
    plot_survival([1, 2, 4], [True, True, False], label="b", ax=ax)
    a, b = by_gid(ax, "line:survival:a"), by_gid(ax, "line:survival:b")
    assert a.get_color() != b.get_color()
    assert a.get_linestyle() != b.get_linestyle()


def test_save_writes_svg_with_each_gid_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import xml.etree.ElementTree as ET

    ax = plot_timeline(History.build("O1", journey().events))
    save(ax, tmp_path / "t.svg")
    text = (tmp_path / "t.svg").read_text()
    ids = [e.get("id") for e in ET.fromstring(text).iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # one element per id, so a browser finds each
    for gid in (
        "lane:arrests",
        "lane:charges",
        "lane:court_cases",
        "lane:convictions",
        "flags:on_bail",
        "flags:suspended_sentence",
        "band:on_bail",
        "band:suspended_sentence",
        "caption",
    ):
        assert gid in ids
    assert "<dc:date>" not in text  # no date: the same picture makes the same file
    assert (tmp_path / "t.svg").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("name", ["x.txt", "x.docx"])
def test_an_unknown_picture_format_is_one_clear_error(tmp_path, name) -> None:  # type: ignore[no-untyped-def]
    ax = plot_survival([1, 2], [True, False])
    with pytest.raises(PlotError, match=r"\.png, \.svg") as caught:
        save(ax, tmp_path / name)
    assert name in str(caught.value)
    assert not (tmp_path / name).exists()
    assert output_format(tmp_path / "x.SVG") == "svg"
    assert output_format(tmp_path / "x") == "png"


def test_a_missing_folder_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ax = plot_survival([1, 2], [True, False])
    with pytest.raises(PlotError, match="No such file or directory"):
        save(ax, tmp_path / "nowhere" / "x.png")


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("x.txt", "cannot draw into 'x.txt': a picture file ends in .png, .svg"),
        ("nowhere/x.png", "cannot write 'nowhere/x.png': there is no folder 'nowhere'"),
    ],
)
def test_cli_says_in_one_line_why_a_picture_cannot_be_written(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch, capsys, option, expected
) -> None:
    from offender_journey.cli import main
    from offender_journey.store import SQLiteStore

    monkeypatch.chdir(tmp_path)
    with SQLiteStore("journeys.db") as store:
        store.append(journey().events)
    for command in (["timeline", "O1"], ["metrics"]):
        assert main([*command, "--png", option]) == 2
        out, err = capsys.readouterr()
        assert out == ""  # refused before any work
        (line,) = err.strip().splitlines()
        assert line.startswith(f"offender-journey {command[0]}: {expected}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journeys.db"]  # no temporary left


# --- The timeline of a prolific offender ------------------------------------------------------


def prolific() -> History:
    """The synthetic cohort's first prolific offender: dozens of court cases in 2012-2015,
    several bails at once, offences flagged of every kind."""
    events = list(synth.generate(1, seed=0, preset="prolific"))
    return History.build(events[0].offender_id, events, dt.datetime(2016, 12, 31, tzinfo=dt.UTC))


FOUR_YEARS = Window(dt.date(2012, 1, 1), dt.date(2015, 12, 31))


def test_many_court_cases_are_counted_by_month() -> None:
    history = prolific()
    ax = plot_timeline(history, FOUR_YEARS)
    assert "Court cases\nopen each month" in lanes(ax)
    assert "Court appearances\neach month" in lanes(ax)
    hearings: dict[str, list[dt.date]] = {}
    for e in history.events:
        if e.TYPE == "court_appearance" and FOUR_YEARS.contains(e.date):
            hearings.setdefault(e.case_id, []).append(e.date)
    values, _, baseline = by_gid(ax, "lane:court_cases").get_data()
    assert len(values) == 48  # a column a month
    open_in = []
    for month in range(48):
        since = dt.date(2012 + month // 12, month % 12 + 1, 1)
        until = dt.date(2012 + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        open_in.append(sum(1 for d in hearings.values() if min(d) < until and max(d) >= since))
    heights = [v - baseline for v in values]
    assert [round(h / max(heights) * max(open_in)) for h in heights] == open_in
    # The counts in figures: at least the busiest month's, at that month.
    counts = {a.get_gid(): a.get_text() for a in gids(ax, "count:court_cases:")}
    busiest = open_in.index(max(open_in))
    key = f"count:court_cases:{2012 + busiest // 12}-{busiest % 12 + 1:02d}"
    assert counts[key] == str(max(open_in))


def test_court_cases_as_bars_on_request_take_rows_that_never_overlap() -> None:
    history = prolific()
    ax = plot_timeline(history, FOUR_YEARS, cases="bars")
    segments = by_gid(ax, "lane:court_cases").get_segments()
    cases = {
        e.case_id
        for e in history.events
        if e.TYPE == "court_appearance" and FOUR_YEARS.contains(e.date)
    }
    assert len(segments) == len(cases) > 30  # a bar per case heard in the window
    rows: dict[float, list[tuple[float, float]]] = {}
    for segment in segments:
        rows.setdefault(segment[0, 1], []).append((segment[0, 0], segment[1, 0]))
    assert len(rows) > 4  # stacked rows, the lane taller to hold them
    for spans in rows.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))


def test_concurrent_bails_show_how_many_at_once() -> None:
    j = JourneyBuilder("O4")
    bails = []
    for day, end in (
        ("2012-01-01", "2012-06-01"),
        ("2012-02-01", "2012-03-01"),
        ("2012-02-15", "2012-04-01"),
    ):
        bails.append((j.bail(day, j.charge(day, "shoplifting")), end))
    for bail, end in bails:
        j.end_bail(end, bail)
    ax = plot_timeline(History.build("O4", j.events))
    assert "On bail\n(up to 3 at once)" in lanes(ax)
    assert band_counts(ax, "on_bail") == [
        (dt.date(2012, 1, 1), dt.date(2012, 2, 1), 1),
        (dt.date(2012, 2, 1), dt.date(2012, 2, 15), 2),
        (dt.date(2012, 2, 15), dt.date(2012, 3, 1), 3),
        (dt.date(2012, 3, 1), dt.date(2012, 4, 1), 2),
        (dt.date(2012, 4, 1), dt.date(2012, 6, 1), 1),
    ]
    assert [a.get_text() for a in gids(ax, "count:on_bail:")] == ["3"]


def test_flag_legend_counts_in_words() -> None:
    history = prolific()
    ax = plot_timeline(history, FOUR_YEARS)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    on_bail = [f for f in build_timeline(history, FOUR_YEARS).flags if f.kind == "on_bail"]
    days = len({f.offence_date for f in on_bail})
    assert f"{len(on_bail)} offences committed on bail\n(on {days} different days)" in legend
    assert all("_" not in text for text in [*legend, *lanes(ax)])  # words, never codes


@pytest.mark.parametrize(
    ("window", "size"),
    [
        (Window(dt.date(2013, 1, 1), dt.date(2013, 3, 31)), (10, 6)),
        (Window(dt.date(2013, 1, 1), dt.date(2013, 3, 31)), (8, 6)),
        (Window(dt.date(2013, 3, 1), dt.date(2013, 3, 10)), (10, 6)),
        (Window(dt.date(2013, 1, 1), dt.date(2013, 12, 31)), (8, 5)),
        (FOUR_YEARS, (13, 7)),
        (ALL_TIME, (10, 6)),
    ],
)
def test_date_labels_never_overlap(window, size) -> None:  # type: ignore[no-untyped-def]
    ax = plot_timeline(prolific(), window, size=size)
    ax.figure.canvas.draw()
    boxes = sorted(
        (t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()),
        key=lambda box: box.x0,
    )
    assert len(boxes) >= 3
    assert all(a.x1 + 4 < b.x0 for a, b in itertools.pairwise(boxes))


# --- Invariants of the timeline's layout ------------------------------------------------------

DAY0 = dt.date(2012, 1, 1)
spans = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 60)).map(
        lambda s: (DAY0 + dt.timedelta(days=s[0]), DAY0 + dt.timedelta(days=s[0] + s[1]))
    ),
    max_size=25,
)


@given(spans, st.integers(1, 10))
def test_packed_rows_never_hold_spans_closer_than_asked(given_spans, apart) -> None:  # type: ignore[no-untyped-def]
    ordered = sorted(given_spans)
    rows = _pack(ordered, apart)
    assert len(rows) == len(ordered)
    for row in set(rows):
        mine = [s for s, r in zip(ordered, rows, strict=True) if r == row]
        assert all((b[0] - a[1]).days >= apart for a, b in itertools.pairwise(mine))


@given(spans)
def test_concurrent_counts_every_episode_day_once(given_spans) -> None:  # type: ignore[no-untyped-def]
    episodes = [
        Episode(kind=EpisodeKind.ON_BAIL, start=a, end=b, ref=f"b{i}", start_event_id=f"e{i}")
        for i, (a, b) in enumerate(given_spans)
    ]
    first, end = DAY0 + dt.timedelta(days=30), DAY0 + dt.timedelta(days=180)
    stretches = _concurrent(episodes, first, end, open_to=end)
    # Stretches are in order, do not overlap, and lie in the view.
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(stretches))
    assert all(first <= since < until <= end and n > 0 for since, until, n in stretches)
    # Day by day, the count is how many episodes (a day at least each) cover the day.
    for offset in range(0, 150, 7):
        day = first + dt.timedelta(days=offset)
        covering = sum(1 for a, b in given_spans if a <= day < max(b, a + dt.timedelta(days=1)))
        counted = sum(n for since, until, n in stretches if since <= day < until)
        assert counted == covering


def test_a_person_from_several_sources_has_each_events_source_marked() -> None:
    from offender_journey.events import Arrest, BailEnded, BailGranted, Charge

    police_kinds = (Arrest, Charge, BailGranted, BailEnded)
    police = [e for e in journey().events if isinstance(e, police_kinds)]
    courts = [e for e in journey().events if not isinstance(e, police_kinds)]
    records = {
        "police:P1": [attrs.evolve(e, source="police", offender_id="P1") for e in police],
        "courts:D1": [attrs.evolve(e, source="courts", offender_id="D1") for e in courts],
    }
    ax = plot_timeline(History.of_records("P000001", records))
    arrests = by_gid(ax, "lane:arrests:police")
    assert list(arrests.get_xdata()) == [
        dt.date(2011, 3, 1),
        dt.date(2012, 5, 1),
        dt.date(2013, 2, 1),
    ]
    assert len(by_gid(ax, "lane:charges:police").get_xdata()) == 3
    assert list(by_gid(ax, "lane:convictions:courts").get_xdata()) == [dt.date(2012, 9, 1)]
    assert arrests.get_marker() != by_gid(ax, "lane:convictions:courts").get_marker()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("recorded by police") == legend.count("recorded by courts") == 1
    assert "charges: 3 in view (close dates stacked)" in legend


def test_a_single_source_timeline_names_no_source() -> None:
    ax = plot_timeline(History.build("O1", journey().events))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any(text.startswith("recorded by") for text in legend)
    assert by_gid(ax, "lane:arrests").get_marker() == "|"
