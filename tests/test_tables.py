"""Results as DataFrames and notebook HTML: tidy typed columns, readable tables."""

import sys

import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.errors import MissingExtraError
from offender_journey.metrics import VIEWS, compute, timeline
from offender_journey.store import InMemoryStore, SQLiteStore

pd = pytest.importorskip("pandas")


def journey() -> JourneyBuilder:
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", "1990-01-01")
    a = j.arrest("2013-02-01")
    c1 = j.charge("2013-02-02", "robbery", arrest=a, offence_date="2013-01-30")
    bail = j.bail("2013-02-02", c1)
    c2 = j.charge("2013-03-01", "shoplifting", offence_date="2013-02-20")
    j.end_bail("2013-05-01", bail)
    j.convict("2013-05-01", c1)
    j.sentence("2013-05-01", c1, disposal="community_order", length_days=365)
    j.caution("2013-08-01", "theft_other")
    assert c2
    return j


def report():  # type: ignore[no-untyped-def]
    return compute([("O1", journey().events)], views=list(VIEWS))


def test_every_view_has_a_typed_dataframe() -> None:
    frames = report().to_pandas()
    assert set(frames) == set(VIEWS)
    conversion = frames["conversion"]
    assert conversion.loc[0, "charges"] == 2
    assert str(conversion["charges"].dtype) == "Int64"
    assert str(conversion["rate"].dtype) == "Float64"
    occasions = frames["days_by_sentencing_occasion"]
    assert occasions.loc[0, "arrest_to_conviction_mean"] == 89.0
    assert list(frames["history_bands"]["band"].cat.categories) == sorted(
        ["0", "1-2", "3-6", "7-10", "11-14", "15+"]
    )
    reoffending = frames["reoffending"]
    assert reoffending.loc[0, "group"] == "all"
    assert isinstance(reoffending["split"].dtype, pd.CategoricalDtype)


def test_timeline_parts_as_dataframes() -> None:
    t = timeline(journey().events)
    events = t.to_pandas()
    assert list(events["type"].astype(str)) == [e.TYPE for e in t.events]
    assert pd.api.types.is_datetime64_any_dtype(events["date"])
    assert str(events["recorded_at"].dt.tz) == "UTC"
    episodes = t.to_pandas("episodes")
    assert set(episodes["kind"].astype(str)) == {"on_bail", "community_order"}
    assert episodes["open"].dtype == "boolean"
    flags = t.to_pandas("flags")
    assert list(flags["kind"].astype(str)) == ["on_bail", "community_order"]
    assert t.to_pandas("summary").loc[0, "measure"] == "arrests"
    with pytest.raises(ValueError, match="part must be one of"):
        t.to_pandas("nope")


def test_stores_give_raw_events() -> None:
    for store in (InMemoryStore(), SQLiteStore(":memory:")):
        store.append(journey().events)
        frame = store.to_pandas()
        assert len(frame) == len(journey().events)
        assert set(frame.columns) == {
            "offender_id",
            "event_id",
            "type",
            "date",
            "recorded_at",
            "fields",
        }
        assert frame.loc[frame["type"] == "charge", "fields"].str.contains("robbery").any()


def test_html_for_notebooks() -> None:
    r = report()
    assert "<table>" in r.conversion._repr_html_()
    assert "Charge-to-conviction conversion" in r._repr_html_()
    assert "<caption>Proven reoffending</caption>" in r["reoffending"]._repr_html_()
    t = timeline(journey().events)
    html = t._repr_html_()
    assert html.count("<table>") == 3
    assert "community_order" in html


def test_without_pandas_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'offender-journey\[pandas\]'"):
        report().conversion.to_pandas()
