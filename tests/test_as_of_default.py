"""``as_of`` defaults to now; arguments are checked when given, not deep inside a view."""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.cli import main
from offender_journey.events import Event
from offender_journey.history import Window
from offender_journey.metrics import compute, compute_store, timeline
from offender_journey.store import SQLiteStore

FUTURE = "2099-01-01T00:00:00+00:00"


def journey() -> JourneyBuilder:
    j = JourneyBuilder("O1")
    c = j.charge("2014-01-10", "shoplifting")
    j.convict("2014-02-01", c)
    j.charge("2014-03-01", "robbery", recorded_at=FUTURE)  # a wrong clock
    return j


def test_by_default_events_recorded_in_the_future_are_unseen_and_reported() -> None:
    report = compute([("O1", journey().events)])
    assert report.events == 2
    assert report.conversion.charges == 1
    assert report.quality.counts == {"recorded_in_future": 1}
    assert report.quality.examples["recorded_in_future"] == ("O1-e2",)


def test_a_past_as_of_reproduces_the_past_without_the_future_report() -> None:
    report = compute([("O1", journey().events)], as_of="2019-01-01")
    assert report.events == 2
    assert report.quality.counts == {}


def test_an_as_of_beyond_a_future_record_sees_it_and_still_reports_it() -> None:
    report = compute([("O1", journey().events)], as_of="2099-06-01")
    assert report.events == 3
    assert report.quality.counts == {"recorded_in_future": 1}


def test_the_timeline_defaults_to_now() -> None:
    t = timeline(journey().events)
    assert t.summary.within.charges == 1
    assert [e.event_id for e in t.events] == ["O1-e0", "O1-e1"]


def test_the_store_and_the_command_line_default_to_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with SQLiteStore(tmp_path / "journeys.db") as store:
        store.append(journey().events)
    assert compute_store(tmp_path / "journeys.db").events == 2
    assert compute_store(tmp_path / "journeys.db", jobs=2).events == 2
    assert main(["metrics", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["events"] == 2
    assert out["quality"]["kinds"]["recorded_in_future"]["count"] == 1
    assert main(["quality", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["quality"]["total"] == 1
    assert main(["timeline", "O1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["within"]["charges"] == 1


# --- arguments checked at construction ------------------------------------------------


def test_iso_strings_are_converted_as_the_command_line_does() -> None:
    events = journey().events
    end_of_day = dt.datetime(2016, 1, 1, 23, 59, 59, 999999, tzinfo=dt.UTC)
    window = Window("2014-01-01", "2014-12-31")
    assert window == Window(dt.date(2014, 1, 1), dt.date(2014, 12, 31))
    by_string = compute([("O1", events)], window=window, as_of="2016-01-01")
    assert by_string.as_of == end_of_day
    assert by_string == compute([("O1", events)], window=window, as_of=end_of_day)
    assert compute([("O1", events)], as_of=dt.date(2016, 1, 1)).as_of == end_of_day


def never_read() -> Iterator[tuple[str, list[Event]]]:
    raise AssertionError("the streams were read before the arguments were checked")
    yield  # pragma: no cover


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Window(2012, None), TypeError, "window end must be a date"),
        (lambda: Window("2014-02-30"), ValueError, "impossible date"),
        (lambda: Window("2015-01-01", "2014-01-01"), ValueError, "after it ends"),
        (lambda: compute(never_read(), as_of=20160101), TypeError, "as_of must be"),
        (
            lambda: compute(never_read(), as_of=dt.datetime(2016, 1, 1)),
            ValueError,
            "no UTC offset",
        ),
        (lambda: compute(never_read(), window=("2014", "2015")), TypeError, "must be a Window"),
        (lambda: compute_store("nowhere.db", as_of="soon"), ValueError, "as_of"),
        (lambda: timeline([], as_of=1.5), TypeError, "as_of must be"),
    ],
)
def test_wrong_arguments_fail_at_once_with_a_clear_error(
    call: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]
