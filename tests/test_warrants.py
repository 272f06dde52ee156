import datetime as dt

from offender_journey.builder import JourneyBuilder
from offender_journey.history import Window
from offender_journey.metrics import compute
from offender_journey.views.warrants import WarrantsView, WarrantTargets

YEAR = Window(dt.date(2014, 1, 1), dt.date(2014, 12, 31))


def journey() -> JourneyBuilder:
    j = JourneyBuilder("O1")
    a = j.warrant("2014-01-01", "failed_to_appear", "A")
    j.execute_warrant("2014-01-15", a)  # 14 days: on time
    b = j.warrant("2014-02-01", "failed_to_appear", "A")
    j.execute_warrant("2014-02-16", b)  # 15 days: late
    c = j.warrant("2014-03-01", "breach", "C")
    j.withdraw_warrant("2014-03-05", c)
    j.warrant("2014-11-01", "recall")  # no category, still outstanding
    sentence = j.sentence("2013-01-01", disposal="immediate_custody", length_days=730)
    licence = j.release("2014-01-01", sentence, "2015-01-01")
    j.recall("2014-05-01", licence)
    j.return_to_custody("2014-05-04", licence)
    other = j.release("2014-06-01", sentence, "2015-01-01")
    j.recall("2014-12-01", other)
    return j


def test_outstanding_execution_and_recalls() -> None:
    report = compute([("O1", journey().events)], window=YEAR, views=["warrants"])["warrants"]
    assert report.outstanding == {"recall/none": 1}
    assert (report.executed["A"].executed, report.executed["A"].on_time) == (2, 1)
    assert report.recall_returns.days == {3: 1}
    assert report.recalls_outstanding == 1
    out = report.to_json()
    assert out["execution"]["A"]["share_on_time"] == 0.5
    assert out["execution"]["A"]["meets_target"] is False


def test_outstanding_on_an_earlier_day() -> None:
    report = compute(
        [("O1", journey().events)], window=Window(None, dt.date(2014, 2, 10)), views=["warrants"]
    )["warrants"]
    assert report.outstanding == {"failed_to_appear/A": 1}


def test_targets_are_configurable() -> None:
    lenient = WarrantsView(WarrantTargets(days={"A": 20}, on_time_share=0.5))
    report = compute([("O1", journey().events)], window=YEAR, views=[lenient])["warrants"]
    out = report.to_json()["execution"]["A"]
    assert (out["on_time"], out["meets_target"]) == (2, True)
